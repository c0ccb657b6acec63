package dev.slipway.cli;

import dev.slipway.tls.DaemonIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The POSIX sh wrappers slurmctld runs: {@code slipway-resume}, {@code slipway-suspend},
 * {@code slipway-resume-fail} and {@code slipway-prolog-slurmctld}. Their names are the ones
 * {@code SlurmLayout.PowerPrograms} puts into slurm.conf.
 *
 * <p>Two kinds of power-save wrapper. With a {@code spool} directory (the default of
 * {@code slipway hook install}) a wrapper runs no JVM: it writes the call into a spool file
 * ({@code dev.slipway.hooks.SpoolEntry}), fsyncs it, renames it into the spool, fsyncs the
 * directory, starts a {@code curl} wake-up it does not wait for, and exits, in milliseconds; the
 * daemon (or a CLI command) imports the file into the store. Without one ({@code --jvm}) it execs
 * {@code slipway hook ...}, which records into the store itself (about 0.8 s of CPU per call).
 *
 * <p>Why wrappers: slurmctld starts power-save programs with file descriptors 0, 1 and 2 closed
 * and an environment holding little more than {@code SLURM_CONF} (no PATH, no JAVA_HOME). A JVM
 * started like that writes its errors nowhere and a child that opens a file may get fd 1 or 2.
 * Each wrapper therefore first points stdio at {@code /dev/null}, then appends to the power log when
 * it can, sets PATH and JAVA_HOME, and execs Java with start-up flags ({@link #FAST_START_FLAGS})
 * and, when {@code slipway hook install} made one, a class-data-sharing archive.
 *
 * <p>The prolog: in Slurm 22.05 a batch job allocated to nodes that are still powering up stays
 * CONFIGURING until a periodic check every 30 s, unless a PrologSlurmctld is running, whose exit
 * re-checks the nodes and launches the job at once. {@code slipway-prolog-slurmctld} polls
 * {@code sinfo} until no node of the job is powering up, powered down, powering down or not
 * responding ({@code # ~ % *}), a node is DOWN or drained (it failed: Slurm requeues the job, which
 * cannot start elsewhere while its PrologSlurmctld still runs), or {@code prologTimeout} passes, and
 * always exits 0: a failing PrologSlurmctld would requeue or hold the job, and Slurm itself handles
 * nodes that never come.
 *
 * @param javaHome the JDK or JRE whose {@code bin/java} runs the hooks
 * @param jar the slipway jar
 * @param configArguments the options that load the cluster's configuration ({@code -c DIR ...})
 * @param log the power log the wrappers append to
 * @param wakeUrls daemon wake-up URLs passed as {@code --wake}
 * @param cdsArchive the AppCDS archive to use when it exists
 * @param sqliteNativeLibrary sqlite-jdbc's JNI library, extracted once by {@code hook install}; without
 *     it sqlite-jdbc runs {@code uname -o} and copies the library out of the jar on every start
 * @param slurmConf SLURM_CONF for the prolog's sinfo when slurmctld does not set it
 * @param prologTimeout how long the prolog waits at most (ResumeTimeout plus a margin)
 * @param searchPath the PATH the scripts set ({@link #DEFAULT_PATH}; tests put a fake sinfo first)
 * @param spool where the power-save wrappers spool their calls; empty: they exec the JVM instead
 * @param wakePin the pin of the daemon's TLS key ({@code sha256//...}) that wake-ups to https URLs
 *     check (curl {@code -k --pinnedpubkey}, the JVM hook's {@code --wake-pin}); public data
 */
public record HookScripts(
    Path javaHome,
    Path jar,
    List<String> configArguments,
    Path log,
    List<String> wakeUrls,
    Optional<Path> cdsArchive,
    Optional<Path> sqliteNativeLibrary,
    Optional<Path> slurmConf,
    Duration prologTimeout,
    String searchPath,
    Optional<Path> spool,
    Optional<String> wakePin) {

  /** JVM flags that shorten a short-lived JVM's start: C1 only, the smallest GC, CDS, no perf file. */
  public static final List<String> FAST_START_FLAGS =
      List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-XX:-UsePerfData");

  /**
   * The hooks log nothing through SLF4J, but sqlite-jdbc asks SLF4J for a logger, which would start
   * logback and parse its configuration on every call: bind SLF4J to its no-op provider instead,
   * quietly.
   */
  public static final List<String> NO_LOGGING_FLAGS =
      List.of("-Dslf4j.provider=org.slf4j.helpers.NOP_FallbackServiceProvider", "-Dslf4j.internal.verbosity=WARN");

  public static final String RESUME = "slipway-resume";
  public static final String SUSPEND = "slipway-suspend";
  public static final String RESUME_FAIL = "slipway-resume-fail";
  public static final String PROLOG = "slipway-prolog-slurmctld";
  /** The CDS archive's file name in libexec. */
  public static final String CDS_ARCHIVE = "slipway-hook.jsa";

  /** The directories where slurmctld's programs find sinfo and friends. */
  public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  public HookScripts {
    Objects.requireNonNull(javaHome, "javaHome");
    Objects.requireNonNull(jar, "jar");
    configArguments = List.copyOf(configArguments);
    Objects.requireNonNull(log, "log");
    wakeUrls = List.copyOf(wakeUrls);
    Objects.requireNonNull(cdsArchive, "cdsArchive");
    Objects.requireNonNull(sqliteNativeLibrary, "sqliteNativeLibrary");
    Objects.requireNonNull(slurmConf, "slurmConf");
    if (prologTimeout.isNegative() || prologTimeout.isZero()) {
      throw new IllegalArgumentException("prolog timeout must be positive, not " + prologTimeout);
    }
    Objects.requireNonNull(searchPath, "searchPath");
    Objects.requireNonNull(spool, "spool");
    wakePin.ifPresent(DaemonIdentity::requirePin);
  }

  /** The four scripts by file name, in a fixed order. */
  public Map<String, String> render() {
    Map<String, String> scripts = new LinkedHashMap<>();
    scripts.put(RESUME, hook("resume", "ResumeProgram"));
    scripts.put(SUSPEND, hook("suspend", "SuspendProgram"));
    scripts.put(RESUME_FAIL, hook("resume-fail", "ResumeFailProgram"));
    scripts.put(PROLOG, prolog());
    return scripts;
  }

  /** The JVM options of every hook: start-up flags, no logging, the extracted SQLite library. */
  public List<String> jvmFlags() {
    return Stream.of(
            FAST_START_FLAGS.stream(),
            NO_LOGGING_FLAGS.stream(),
            sqliteNativeLibrary.stream().flatMap(lib -> Stream.of(
                "-Dorg.sqlite.lib.path=" + Optional.ofNullable(lib.getParent()).orElse(Path.of("/")),
                "-Dorg.sqlite.lib.name=" + lib.getFileName())))
        .flatMap(s -> s)
        .toList();
  }

  /** The java command line a wrapper execs, without the CDS flag and the hostlist (for the CDS training run too). */
  public List<String> javaCommand(String hookName) {
    return Stream.of(
            Stream.of(javaHome.resolve("bin").resolve("java").toString()),
            jvmFlags().stream(),
            Stream.of("-jar", jar.toString(), "hook", hookName),
            configArguments.stream(),
            wakeUrls.isEmpty() ? Stream.of("--no-wake") : wakeUrls.stream().flatMap(u -> Stream.of("--wake", u)),
            wakeUrls.isEmpty() ? Stream.<String>empty() : wakePin.stream().flatMap(p -> Stream.of("--wake-pin", p)))
        .flatMap(s -> s)
        .toList();
  }

  private String hook(String name, String slurmParameter) {
    return spool.map(dir -> spoolingHook(name, slurmParameter, dir)).orElseGet(() -> jvmHook(name, slurmParameter));
  }

  /**
   * The wrapper that spools. Every step that can fail (disk full, a directory that cannot be
   * written) ends the script with exit 1 and one line in the power log, and removes its temporary
   * file; after the rename the call is durable and the script exits 0 whatever the wake-up does.
   */
  private String spoolingHook(String name, String slurmParameter, Path dir) {
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/sh\n");
    s.append("# ").append(slurmParameter).append(" for Slipway: spools '").append(name)
        .append(" HOSTLIST' for the daemon, which records the intents.\n");
    s.append("# Written by 'slipway hook install'; edits are lost when it runs again. See docs/hooks.md, \"The spool\".\n");
    s.append(stdio());
    s.append("PATH=").append(quote(searchPath)).append("\n");
    s.append("export PATH\n");
    s.append("set -f  # hostlists such as cpu-[0-3] must never be expanded as file names\n");
    s.append("kind=").append(name).append("\n");
    s.append("spool=").append(quote(dir.toString())).append("\n");
    s.append("log=").append(quote(log.toString())).append("\n");
    s.append("hosts=${1:-}\n");
    s.append("tmp=\n");
    s.append("fail() { # code reason: one line in the power log, no temporary file left, exit code\n");
    s.append("  [ -z \"$tmp\" ] || rm -f \"$tmp\" 2>/dev/null\n");
    s.append("  echo \"${stamp:-$(date -u +%Y-%m-%dT%H:%M:%SZ)} $kind $hosts: NOT spooled, Slurm's call is lost: $2\"\n");
    s.append("  exit \"$1\"\n");
    s.append("}\n");
    s.append("try() { # reason command...: runs the command, and fails with its error output when it fails\n");
    s.append("  what=$1; shift\n");
    s.append("  if ! out=$(\"$@\" 2>&1); then fail 1 \"$what: $(printf '%s' \"$out\" | tr '\\n' ' ')\"; fi\n");
    s.append("}\n");
    s.append("write() { # the spool file, format 'slipway-spool 1' (dev.slipway.hooks.SpoolEntry)\n");
    s.append("  printf 'slipway-spool 1\\nkind %s\\ntime %s\\nhosts %s\\nlog %s\\n' \"$kind\" \"$now\" \"$hosts\" \"$log\" >\"$tmp\" || return 1\n");
    if (name.equals("resume")) {
      s.append("  # slurmctld's job-to-node map; the importer attaches its job ids to the intents.\n");
      s.append("  [ -n \"${SLURM_RESUME_FILE:-}\" ] || return 0\n");
      s.append("  if [ -r \"$SLURM_RESUME_FILE\" ] && size=$(wc -c <\"$SLURM_RESUME_FILE\"); then\n");
      s.append("    printf 'resume-file %s %s\\n' \"$size\" \"$SLURM_RESUME_FILE\" >>\"$tmp\" && cat \"$SLURM_RESUME_FILE\" >>\"$tmp\"\n");
      s.append("  else\n");
      s.append("    printf 'resume-file-unreadable %s\\n' \"$SLURM_RESUME_FILE\" >>\"$tmp\"\n");
      s.append("  fi\n");
    }
    s.append("}\n");
    s.append("[ -n \"$hosts\" ] || fail 2 \"no hostlist argument\"\n");
    s.append("case $hosts in *'\n'*) fail 2 \"the hostlist has a line break\" ;; esac\n");
    s.append("# Epoch nanoseconds (19 digits) and the PID, zero-padded: names sort in arrival order.\n");
    s.append("stamp=$(date -u '+%s%N %Y-%m-%dT%H:%M:%S.%3NZ') || fail 1 \"date failed\"\n");
    s.append("now=${stamp%% *}; stamp=${stamp#* }\n");
    s.append("file=$now-$(printf %010d $$)\n");
    s.append("[ -d \"$spool\" ] || try \"cannot create $spool\" mkdir -p \"$spool\"\n");
    s.append("tmp=$spool/.$file.tmp\n");
    s.append("try \"cannot write $tmp\" write\n");
    s.append("try \"cannot flush $tmp to disk\" sync \"$tmp\"\n");
    s.append("try \"cannot rename $tmp to $file\" mv -f \"$tmp\" \"$spool/$file\"\n");
    s.append("tmp=\n");
    s.append("# The rename is durable once the directory is flushed too; the call is spooled either way.\n");
    s.append("if sync \"$spool\" 2>/dev/null; then\n");
    s.append("  echo \"$stamp $kind $hosts: spooled $file\"\n");
    s.append("else\n");
    s.append("  echo \"$stamp $kind $hosts: spooled $file, but $spool could not be flushed: a power failure may lose it\"\n");
    s.append("fi\n");
    if (!wakeUrls.isEmpty()) {
      s.append("# Wake the daemon, without waiting: it also looks at the spool every second.\n");
      s.append("if command -v curl >/dev/null 2>&1; then\n");
      for (String url : wakeUrls) {
        // -k skips only the CA and name checks the self-signed certificate cannot pass; the pin still must match.
        String tls = url.startsWith("https://") ? wakePin.map(p -> "-k --pinnedpubkey " + quote(p) + " ").orElse("") : "";
        s.append("  curl -s -o /dev/null -m 1 --connect-timeout 0.5 --noproxy '*' ").append(tls).append("-d '' ").append(quote(url))
            .append(" >/dev/null 2>&1 </dev/null &\n");
      }
      s.append("fi\n");
    }
    s.append("exit 0\n");
    return s.toString();
  }

  private String jvmHook(String name, String slurmParameter) {
    List<String> command = javaCommand(name);
    String java = quote(command.get(0));
    int jvm = jvmFlags().size();
    String flags = command.subList(1, 1 + jvm).stream().map(HookScripts::quote).collect(Collectors.joining(" \\\n  "));
    String rest = command.subList(1 + jvm, command.size()).stream()
        .map(HookScripts::quote).collect(Collectors.joining(" "));
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/sh\n");
    s.append("# ").append(slurmParameter).append(" for Slipway: slipway hook ").append(name).append(" HOSTLIST.\n");
    s.append("# Written by 'slipway hook install'; edits are lost when it runs again. See docs/hooks.md.\n");
    s.append(stdio());
    s.append("PATH=").append(quote(searchPath)).append("\n");
    s.append("JAVA_HOME=").append(quote(javaHome.toString())).append("\n");
    s.append("export PATH JAVA_HOME\n");
    cdsArchive.ifPresentOrElse(
        archive -> {
          s.append("# Class data sharing cuts JVM start-up; a stale or missing archive is only ignored.\n");
          s.append("cds=").append(quote("-XX:SharedArchiveFile=" + archive)).append("\n");
          s.append("[ -r ").append(quote(archive.toString())).append(" ] || cds=-Xshare:auto\n");
        },
        () -> s.append("cds=-Xshare:auto\n"));
    s.append("exec ").append(java).append(" \\\n  ").append(flags).append(" \\\n  -Xlog:cds=off -Xlog:cds+dynamic=off \"$cds\" \\\n");
    s.append("  ").append(rest).append(" -- \"${1:-}\"\n");
    return s.toString();
  }

  /** Re-open stdio: /dev/null first (always possible), then the power log if it can be appended to. */
  private String stdio() {
    String dir = Optional.ofNullable(log.getParent()).map(Path::toString).orElse("/");
    return "# slurmctld starts us with fds 0-2 closed: reopen them before anything can open a file on them.\n"
        + "exec 0</dev/null 1>/dev/null 2>&1\n"
        + "mkdir -p " + quote(dir) + "\n"
        + "if (: >>" + quote(log.toString()) + ") 2>/dev/null; then exec 1>>" + quote(log.toString()) + " 2>&1; fi\n";
  }

  private String prolog() {
    long seconds = Math.max(1, (prologTimeout.toMillis() + 999) / 1000);
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/sh\n");
    s.append("# PrologSlurmctld for Slipway: wait until the job's nodes are powered up, then exit 0.\n");
    s.append("# Without it, Slurm 22.05 keeps a batch job on freshly resumed nodes CONFIGURING until its\n");
    s.append("# 30 s periodic check; our exit makes slurmctld re-check and launch at once. Always exits 0:\n");
    s.append("# a failing PrologSlurmctld requeues or holds the job, and Slurm handles nodes that never come.\n");
    s.append("# Written by 'slipway hook install'; edits are lost when it runs again. See docs/hooks.md.\n");
    s.append(stdio());
    s.append("PATH=").append(quote(searchPath)).append("\n");
    s.append("export PATH\n");
    slurmConf.ifPresent(conf -> s.append("SLURM_CONF=${SLURM_CONF:-").append(quote(conf.toString())).append("}\nexport SLURM_CONF\n"));
    s.append("set -f  # states such as down* must not be expanded as file names\n");
    s.append("nodes=${SLURM_JOB_NODELIST:-}\n");
    s.append("[ -n \"$nodes\" ] || exit 0\n");
    s.append("start=$(date +%s)\n");
    s.append("deadline=$((start + ").append(seconds).append("))\n");
    s.append("while :; do\n");
    s.append("  # %t is the compact state: idle~ powered down, alloc# powering up, idle% powering down, down* not responding\n");
    s.append("  if states=$(sinfo -h -N -n \"$nodes\" -o %t 2>&1); then\n");
    s.append("    case $states in\n");
    s.append("      # DOWN/DRAIN: the node failed (resume failure, capacity, preemption); Slurm requeues the job, but\n");
    s.append("      # it cannot start again anywhere while this prolog still runs, so stop waiting.\n");
    s.append("      *down* | *drain* | *drng* | *fail*) echo \"$(date -u +%Y-%m-%dT%H:%M:%SZ) prolog job ${SLURM_JOB_ID:-?} nodes $nodes:\" \\\n");
    s.append("        $states \"- a node failed, not waiting\"; exit 0 ;;\n");
    s.append("      *'#'* | *'~'* | *'%'* | *'*'*) ;;\n");
    s.append("      *) echo \"$(date -u +%Y-%m-%dT%H:%M:%SZ) prolog job ${SLURM_JOB_ID:-?} nodes $nodes ready after $(($(date +%s) - start)) s\"; exit 0 ;;\n");
    s.append("    esac\n");
    s.append("  fi\n");
    s.append("  if [ \"$(date +%s)\" -ge \"$deadline\" ]; then\n");
    s.append("    echo \"$(date -u +%Y-%m-%dT%H:%M:%SZ) prolog job ${SLURM_JOB_ID:-?} nodes $nodes still not ready after ")
        .append(seconds).append(" s:\" $states\n");
    s.append("    exit 0\n");
    s.append("  fi\n");
    s.append("  sleep 0.5 2>/dev/null || sleep 1\n");
    s.append("done\n");
    return s.toString();
  }

  /** Single-quotes {@code s} for sh: {@code it's} becomes {@code 'it'\''s'}. */
  static String quote(String s) {
    if (!s.isEmpty() && s.chars().allMatch(c -> Character.isLetterOrDigit(c) || "/._-+=:,@%".indexOf(c) >= 0)) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
