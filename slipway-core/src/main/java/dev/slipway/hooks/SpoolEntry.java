package dev.slipway.hooks;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One power-save hook call as the {@code sh} wrapper spooled it: a file in the cluster's
 * {@code spool/} directory, named {@code <epoch nanoseconds, 19 digits>-<pid, 10 digits>} so that
 * names sort in arrival order. The wrapper writes it to a temporary dot-name, fsyncs it, renames
 * it into place and fsyncs the directory; {@link SpoolImporter} turns it into intents.
 *
 * <p>Format (version 1), text lines, then the resume file's bytes verbatim:
 * <pre>
 * slipway-spool 1
 * kind resume                      (resume | suspend | resume-fail)
 * time 1764170000123456789         (epoch nanoseconds when the wrapper ran)
 * hosts cpu-[0-3]                  (slurmctld's hostlist argument, unparsed)
 * log /var/lib/slipway/c1/log/power.log       (optional: where the wrapper logs)
 * resume-file-unreadable /tmp/x    (optional: SLURM_RESUME_FILE was set but not readable)
 * resume-file 104 /tmp/x           (optional, last: byte count and name; the bytes follow)
 * </pre>
 * The byte count makes a torn resume file visible. Unknown keys are ignored, so a later wrapper
 * may add some.
 *
 * @param name the file name, which is also the call's identity in history events
 * @param time when the wrapper ran
 * @param hosts the hostlist argument as Slurm passed it
 * @param log the wrapper's power log
 * @param resumeFile the content of SLURM_RESUME_FILE
 * @param unreadableResumeFile SLURM_RESUME_FILE, when it was set but the wrapper could not read it
 */
public record SpoolEntry(
    String name, HookKind kind, Instant time, String hosts, Optional<Path> log, Optional<String> resumeFile,
    Optional<String> unreadableResumeFile) {
  /** First line of every spool file. */
  public static final String MAGIC = "slipway-spool 1";
  /** What a spool file's name looks like; other names in the directory are not the wrapper's. */
  public static final Pattern NAME = Pattern.compile("[0-9]{19}-[0-9]{10}");

  public SpoolEntry {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(hosts, "hosts");
    Objects.requireNonNull(log, "log");
    Objects.requireNonNull(resumeFile, "resumeFile");
    Objects.requireNonNull(unreadableResumeFile, "unreadableResumeFile");
  }

  /**
   * Reads a spool file's bytes.
   *
   * @throws IllegalArgumentException with a one-line reason when they are not a version 1 spool file
   */
  public static SpoolEntry parse(String name, byte[] bytes) {
    Map<String, String> fields = new HashMap<>();
    Optional<String> resume = Optional.empty();
    int at = 0;
    boolean first = true;
    while (at < bytes.length) {
      int end = indexOf(bytes, (byte) '\n', at);
      if (end < 0) {
        throw new IllegalArgumentException("the last line is not terminated (a torn write?)");
      }
      String line = new String(bytes, at, end - at, StandardCharsets.UTF_8);
      at = end + 1;
      if (first) {
        if (!line.equals(MAGIC)) {
          throw new IllegalArgumentException("does not start with '" + MAGIC + "'");
        }
        first = false;
        continue;
      }
      int space = line.indexOf(' ');
      String key = space < 0 ? line : line.substring(0, space);
      String value = space < 0 ? "" : line.substring(space + 1);
      if (key.equals("resume-file")) {
        String[] sizeAndName = value.split(" ", 2);
        long size;
        try {
          size = Long.parseLong(sizeAndName[0]);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("resume-file has no byte count: " + value);
        }
        if (size != bytes.length - at) {
          throw new IllegalArgumentException("resume-file should have " + size + " bytes, the spool file holds " + (bytes.length - at));
        }
        resume = Optional.of(new String(bytes, at, bytes.length - at, StandardCharsets.UTF_8));
        at = bytes.length;
        break;
      }
      fields.putIfAbsent(key, value);
    }
    if (first) {
      throw new IllegalArgumentException("empty file");
    }
    String kindName = required(fields, "kind");
    HookKind kind = HookKind.fromCommandName(kindName)
        .orElseThrow(() -> new IllegalArgumentException("unknown kind '" + kindName + "'"));
    String timeText = required(fields, "time");
    Instant time;
    try {
      long nanos = Long.parseLong(timeText);
      time = Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("time is not epoch nanoseconds: '" + timeText + "'");
    }
    String hosts = required(fields, "hosts");
    return new SpoolEntry(name, kind, time, hosts,
        Optional.ofNullable(fields.get("log")).filter(s -> !s.isBlank()).map(Path::of), resume,
        Optional.ofNullable(fields.get("resume-file-unreadable")));
  }

  private static String required(Map<String, String> fields, String key) {
    String v = fields.get(key);
    if (v == null) {
      throw new IllegalArgumentException("no '" + key + "' line");
    }
    return v;
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** The file's bytes as the wrapper writes them (tests and the Java side use this to spool). */
  public byte[] render() {
    StringBuilder s = new StringBuilder();
    s.append(MAGIC).append('\n');
    s.append("kind ").append(kind.commandName()).append('\n');
    long nanos = Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000_000L), time.getNano());
    s.append("time ").append(nanos).append('\n');
    s.append("hosts ").append(hosts).append('\n');
    log.ifPresent(l -> s.append("log ").append(l).append('\n'));
    unreadableResumeFile.ifPresent(p -> s.append("resume-file-unreadable ").append(p).append('\n'));
    byte[] head;
    byte[] body = resumeFile.map(r -> r.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
    if (resumeFile.isPresent()) {
      s.append("resume-file ").append(body.length).append(" spooled\n");
    }
    head = s.toString().getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[head.length + body.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return all;
  }

  /** The name a call spooled at {@code time} by process {@code pid} gets, as the wrapper forms it. */
  public static String nameFor(Instant time, long pid) {
    long nanos = Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000_000L), time.getNano());
    return String.format("%019d-%010d", nanos, pid);
  }
}
