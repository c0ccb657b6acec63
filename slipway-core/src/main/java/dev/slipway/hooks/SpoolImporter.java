package dev.slipway.hooks;

import dev.slipway.model.HostList;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.StateStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Turns the power-save calls the {@code sh} wrappers spooled ({@link SpoolEntry}) into intents,
 * oldest first, and deletes each file once its intents are committed.
 *
 * <p><b>Why a spool.</b> A JVM per hook call cost about 0.8 s of CPU; the wrapper instead writes
 * one small file, fsyncs it and renames it into {@code spool/}, which takes milliseconds and is
 * durable the moment the rename is done, whether or not the daemon runs. The daemon imports at
 * the start of every tick (so a wake-up or the next poll brings it in), and CLI commands that show
 * intents import first.
 *
 * <p><b>Validation</b> is {@link PowerSaveHook}'s: hosts of no elastic pool are rejected (one line in
 * the power log, the others recorded), job ids come from the spooled SLURM_RESUME_FILE. A file that
 * is not a spool file, or whose hostlist does not parse, goes to {@code spool/rejected/} with a log
 * line and never holds up the files after it.
 *
 * <p><b>Idempotency.</b> A crash between the commit of a file's intents and the file's deletion
 * imports the file again. Re-recording would be harmful (a repeated UP with a higher sequence
 * restarts a host whose binding failed), so every intent is recorded with the time the wrapper
 * ran (millisecond precision, what every store keeps), and a host is skipped when its stored
 * intent is that same intent (same kind, source, time and jobs: this file, imported before) or is
 * newer than the call (Slurm has since decided otherwise, e.g. through a direct
 * {@code slipway hook} call). History events carry the file name, so a re-import appends only the
 * events that are missing.
 *
 * <p><b>Concurrency.</b> Importers on one machine (the daemon, a CLI command) serialize on an
 * exclusive lock of {@code spool/.import.lock}; inside one JVM use one importer per directory.
 * Store failures propagate with the file left in place for the next import.
 */
public final class SpoolImporter {
  /** The subdirectory malformed files are moved to. */
  public static final String REJECTED = "rejected";
  /** Temporary files older than this belong to a wrapper that was killed while writing; removed. */
  static final Duration STALE_TEMPORARY = Duration.ofHours(1);
  private static final String LOCK = ".import.lock";
  private static final int EVENT_LOOKBACK = 50;

  /** How the importer removes an imported file; tests inject a crash here. */
  @FunctionalInterface
  interface Deleter {
    void delete(Path file) throws IOException;
  }

  /**
   * What one import did.
   *
   * @param imported the spool files whose intents are now in the store (deleted), oldest first
   * @param recorded intents recorded
   * @param skipped host requests skipped as already recorded or superseded by a newer intent
   * @param rejectedFiles files moved to {@code rejected/}
   * @param lines what was written to the power log, in order
   */
  public record Report(List<String> imported, int recorded, int skipped, List<String> rejectedFiles, List<String> lines) {
    public Report {
      imported = List.copyOf(imported);
      rejectedFiles = List.copyOf(rejectedFiles);
      lines = List.copyOf(lines);
    }

    public static Report empty() {
      return new Report(List.of(), 0, 0, List.of(), List.of());
    }

    public boolean isEmpty() {
      return imported.isEmpty() && rejectedFiles.isEmpty();
    }
  }

  private final Path dir;
  private final PowerSaveHook hook;
  private final StateStore store;
  private final InstantSource clock;
  private final Optional<Path> powerLog;
  private final Deleter deleter;
  private final ReentrantLock inProcess = new ReentrantLock();

  /**
   * @param dir the spool directory ({@code <cluster state dir>/spool})
   * @param powerLog where lines go for files that do not name their wrapper's log (malformed ones)
   */
  public SpoolImporter(Path dir, PowerSaveHook hook, StateStore store, InstantSource clock, Optional<Path> powerLog) {
    this(dir, hook, store, clock, powerLog, Files::delete);
  }

  SpoolImporter(Path dir, PowerSaveHook hook, StateStore store, InstantSource clock, Optional<Path> powerLog, Deleter deleter) {
    this.dir = Objects.requireNonNull(dir, "dir");
    this.hook = Objects.requireNonNull(hook, "hook");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.powerLog = Objects.requireNonNull(powerLog, "powerLog");
    this.deleter = Objects.requireNonNull(deleter, "deleter");
  }

  /** The spool files waiting in {@code dir}, oldest first (names only; nothing is read or locked). */
  public static List<String> pending(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".") && !n.equals(REJECTED)).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the spool " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Imports every waiting file, oldest first. Returns at once with an empty report when the
   * directory does not exist or has nothing; a store failure stops the import and propagates,
   * leaving the current and later files for the next call.
   *
   * @throws UncheckedIOException when the spool cannot be listed or locked
   */
  public Report importAll() {
    if (!hasWork()) {
      return Report.empty(); // the common case, every daemon tick: one directory listing, no lock
    }
    if (!inProcess.tryLock()) {
      return Report.empty(); // another thread of this JVM is importing right now; it will get these too
    }
    try (FileChannel channel = open(dir.resolve(LOCK)); FileLock lock = channel.lock()) {
      return importLocked();
    } catch (OverlappingFileLockException e) {
      return Report.empty(); // another importer of this JVM holds the file lock; it imports these
    } catch (IOException e) {
      throw new UncheckedIOException("cannot import the spool " + dir + ": " + e.getMessage(), e);
    } finally {
      inProcess.unlock();
    }
  }

  private static FileChannel open(Path lock) {
    try {
      return FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock the spool: cannot open " + lock + ": " + e, e);
    }
  }

  /** Anything but the lock and the rejected directory: a spool file, or a temporary to look at. */
  private boolean hasWork() {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).anyMatch(n -> !n.equals(LOCK) && !n.equals(REJECTED));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the spool " + dir + ": " + e.getMessage(), e);
    }
  }

  private Report importLocked() throws IOException {
    List<String> lines = new ArrayList<>();
    List<String> imported = new ArrayList<>();
    List<String> rejectedFiles = new ArrayList<>();
    int recorded = 0;
    int skipped = 0;
    removeStaleTemporaries(lines);
    for (String name : pending(dir)) {
      Path file = dir.resolve(name);
      SpoolEntry entry;
      try {
        if (!SpoolEntry.NAME.matcher(name).matches()) {
          throw new IllegalArgumentException("the name is not <nanoseconds>-<pid>");
        }
        // Before reading: reading a directory fails with an IOException that would stop the whole import.
        if (Files.isDirectory(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          throw new IllegalArgumentException("a directory");
        }
        byte[] bytes;
        try {
          bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
          continue; // imported by someone who did not take the lock (cannot happen with importAll), or removed by hand
        }
        entry = SpoolEntry.parse(name, bytes);
        HostList.parse(entry.hosts());
      } catch (IllegalArgumentException e) { // HostlistSyntaxException is one
        reject(file, e.getMessage(), lines);
        rejectedFiles.add(name);
        continue;
      }
      FileOutcome outcome = importEntry(entry);
      outcome.lines().forEach(l -> log(entry.log(), l, lines));
      recorded += outcome.recorded();
      skipped += outcome.skipped();
      try {
        deleter.delete(file);
      } catch (IOException e) {
        // Stop here: the next import skips what this one recorded, but only once the file can go.
        throw new IOException("recorded " + name + " but cannot delete it: " + e.getMessage(), e);
      }
      imported.add(name);
    }
    return new Report(imported, recorded, skipped, rejectedFiles, lines);
  }

  private record FileOutcome(int recorded, int skipped, List<String> lines) {}

  private FileOutcome importEntry(SpoolEntry entry) {
    List<String> lines = new ArrayList<>();
    HookKind kind = entry.kind();
    HostList hosts = HostList.parse(entry.hosts());
    String head = entry.time() + " " + kind.commandName() + " " + entry.hosts() + ": spooled " + entry.name();
    entry.unreadableResumeFile().ifPresent(f -> lines.add(head + ": ignoring SLURM_RESUME_FILE " + f + ": the wrapper could not read it"));
    Optional<ResumeFile> jobs = Optional.empty();
    if (entry.resumeFile().isPresent()) {
      try {
        jobs = Optional.of(ResumeFile.parse(entry.resumeFile().get()));
      } catch (IllegalArgumentException e) {
        lines.add(head + ": ignoring the spooled SLURM_RESUME_FILE: " + e.getMessage());
      }
    }
    PowerSaveHook.Validated v = hook.validate(kind, hosts, jobs);
    // Stores keep milliseconds; recording the truncated time makes "this very call" an equality test.
    Instant at = entry.time().truncatedTo(ChronoUnit.MILLIS);
    List<IntentRequest> toRecord = new ArrayList<>();
    List<HostIntent> alreadyRecorded = new ArrayList<>();
    List<String> superseded = new ArrayList<>();
    for (IntentRequest r : v.requests()) {
      Optional<HostIntent> current = store.intent(r.host());
      if (current.isPresent() && isThisCall(current.get(), r, at)) {
        alreadyRecorded.add(current.get());
      } else if (current.isPresent() && current.get().at().isAfter(at)) {
        superseded.add(r.host());
      } else {
        toRecord.add(r);
      }
    }
    List<HostIntent> recorded = toRecord.isEmpty() ? List.of() : store.recordIntents(toRecord, at);
    String suffix = " (spooled " + entry.name() + ")";
    List<HostEvent> events = new ArrayList<>();
    recorded.forEach(i -> events.add(PowerSaveHook.event(kind, i, suffix)));
    for (HostIntent i : alreadyRecorded) {
      boolean logged = store.hostEvents(i.host(), EVENT_LOOKBACK).stream().anyMatch(e -> e.message().endsWith(suffix));
      if (!logged) {
        events.add(PowerSaveHook.event(kind, i, suffix));
      }
    }
    if (!events.isEmpty()) {
      try {
        store.appendEvents(events);
      } catch (RuntimeException e) {
        lines.add(head + ": intents recorded, but their history events were not: " + PowerSaveHook.firstLine(e));
      }
    }
    lines.add(head + ": " + summary(kind, recorded, alreadyRecorded.size(), superseded, v.rejected().size()));
    new HookResult(kind, recorded, v.rejected(), hook.pools().describe(), Optional.empty())
        .rejectionMessage().ifPresent(m -> lines.add(head + ": " + m));
    return new FileOutcome(recorded.size(), alreadyRecorded.size() + superseded.size(), lines);
  }

  private static boolean isThisCall(HostIntent current, IntentRequest r, Instant at) {
    return current.at().equals(at) && current.intent() == r.intent() && current.source() == r.source()
        && current.poolId().equals(r.poolId()) && current.jobIds().equals(r.jobIds());
  }

  private static String summary(HookKind kind, List<HostIntent> recorded, int already, List<String> superseded, int rejected) {
    StringBuilder line = new StringBuilder(kind.describeRecorded(recorded));
    if (already > 0) {
      line.append(", ").append(already).append(" already recorded by an earlier import");
    }
    if (!superseded.isEmpty()) {
      line.append(", ").append(superseded.size()).append(" superseded by a newer intent: ")
          .append(HostList.compress(superseded).expression());
    }
    if (rejected > 0) {
      line.append(", rejected ").append(rejected);
    }
    return line.toString();
  }

  private void reject(Path file, String reason, List<String> lines) throws IOException {
    Path rejected = dir.resolve(REJECTED);
    Files.createDirectories(rejected);
    Path target = rejected.resolve(file.getFileName());
    try {
      Files.move(file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
    }
    log(Optional.empty(), clock.instant() + " spool: " + file.getFileName() + " is not a valid spool file (" + reason
        + "); moved to " + target + ", nothing recorded", lines);
  }

  private void removeStaleTemporaries(List<String> lines) throws IOException {
    Instant limit = clock.instant().minus(STALE_TEMPORARY);
    List<Path> temporaries;
    try (Stream<Path> files = Files.list(dir)) {
      temporaries = files.filter(p -> p.getFileName().toString().startsWith(".") && p.getFileName().toString().endsWith(".tmp")).toList();
    }
    for (Path t : temporaries) {
      try {
        if (Files.getLastModifiedTime(t).toInstant().isBefore(limit)) {
          Files.deleteIfExists(t);
          log(Optional.empty(), clock.instant() + " spool: removed " + t.getFileName()
              + ", left by a hook that stopped while writing it (Slurm saw that call fail)", lines);
        }
      } catch (NoSuchFileException e) {
        // its wrapper renamed it meanwhile
      }
    }
  }

  /** Appends {@code line} to the entry's power log (or the importer's), best effort, and to {@code lines}. */
  private void log(Optional<Path> entryLog, String line, List<String> lines) {
    lines.add(line);
    Optional<Path> target = entryLog.or(() -> powerLog);
    if (target.isEmpty()) {
      return;
    }
    try {
      Path parent = target.get().toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(target.get(), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      // The log is for operators; the report still carries the line to the caller's own log.
    }
  }
}
