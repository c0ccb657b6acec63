package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.slurm.SlurmLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HookScriptsTest {
  @TempDir Path dir;
  private Path javaHome;
  private Path fakeBin;
  private Path log;

  @BeforeEach
  void setUp() throws IOException {
    // Paths with a space and a quote: the scripts must quote everything they bake in.
    Path odd = Files.createDirectories(dir.resolve("it's a dir"));
    javaHome = Files.createDirectories(odd.resolve("jdk"));
    fakeBin = Files.createDirectories(dir.resolve("bin"));
    log = odd.resolve("logs").resolve("power.log");
    // A "java" that records how it was started: its arguments, PATH, JAVA_HOME, and whether fds 0-2 are open.
    executable(javaHome.resolve("bin").resolve("java"), """
        #!/bin/sh
        out=%s
        for a in "$@"; do echo "arg:$a"; done > "$out"
        echo "PATH=$PATH" >> "$out"
        echo "JAVA_HOME=$JAVA_HOME" >> "$out"
        for fd in 0 1 2; do if [ -e /proc/self/fd/$fd ]; then echo "fd$fd:open"; fi; done >> "$out"
        echo "java says hello"
        exit 3
        """.formatted(HookScripts.quote(dir.resolve("java-call").toString())));
  }

  private static void executable(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** A pin in curl's format; the wrappers only pass it on. */
  static final String PIN = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

  private HookScripts scripts(Optional<Path> cds, Duration prologTimeout) {
    return new HookScripts(javaHome, dir.resolve("it's a dir").resolve("slipway.jar"), List.of("-c", "/etc/slipway dir"),
        log, List.of("https://127.0.0.1:6820/v1/wake", "https://10.0.0.5:6820/v1/wake"), cds,
        Optional.of(dir.resolve("native").resolve("libsqlitejdbc.so")), Optional.of(Path.of("/etc/slurm/slurm.conf")),
        prologTimeout, fakeBin + ":" + HookScripts.DEFAULT_PATH, Optional.empty(), Optional.of(PIN));
  }

  /** Spooling wrappers (the default of 'hook install') with a fake curl first on PATH. */
  private HookScripts spooling(Path spool) {
    return new HookScripts(javaHome, dir.resolve("it's a dir").resolve("slipway.jar"), List.of("-c", "/etc/slipway dir"),
        log, List.of("https://127.0.0.1:6820/v1/wake"), Optional.empty(), Optional.empty(),
        Optional.empty(), Duration.ofMinutes(11), fakeBin + ":" + HookScripts.DEFAULT_PATH, Optional.of(spool), Optional.of(PIN));
  }

  private Path install(HookScripts scripts) throws IOException {
    Path libexec = Files.createDirectories(dir.resolve("libexec"));
    for (Map.Entry<String, String> s : scripts.render().entrySet()) {
      executable(libexec.resolve(s.getKey()), s.getValue());
    }
    return libexec;
  }

  /** Runs a script as slurmctld does: empty environment but for {@code env}, fds 0-2 closed. */
  private static int runClosed(Path script, String arg, String... env) throws IOException, InterruptedException {
    String assignments = String.join(" ", java.util.Arrays.stream(env).map(HookScripts::quote).toList());
    Process p = new ProcessBuilder("sh", "-c", "exec env -i " + assignments + " \"$0\" \"$1\" <&- >&- 2>&-", script.toString(), arg)
        .redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  @Test
  void render_namesTheScriptsAsTheSlurmLayoutExpects() {
    Path libexec = Path.of("/x/libexec");
    SlurmLayout.PowerPrograms programs = SlurmLayout.PowerPrograms.in(libexec);
    Map<String, String> rendered = scripts(Optional.empty(), Duration.ofMinutes(11)).render();
    assertThat(rendered.keySet()).containsExactly(
        programs.resume().getFileName().toString(), programs.suspend().getFileName().toString(),
        programs.resumeFail().getFileName().toString(), HookScripts.PROLOG);
    assertThat(HookScripts.PROLOG).isEqualTo("slipway-prolog-slurmctld");
  }

  @Test
  void everyScript_isValidPosixSh() throws Exception {
    Path libexec = install(scripts(Optional.of(dir.resolve("a.jsa")), Duration.ofMinutes(11)));
    for (String name : List.of(HookScripts.RESUME, HookScripts.SUSPEND, HookScripts.RESUME_FAIL, HookScripts.PROLOG)) {
      Process p = new ProcessBuilder("sh", "-n", libexec.resolve(name).toString()).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor()).as(name + ": " + output).isZero();
      assertThat(Files.readString(libexec.resolve(name))).startsWith("#!/bin/sh\n");
    }
  }

  @Test
  void everySpoolingScript_isValidPosixSh_andStartsNoJava() throws Exception {
    Path libexec = install(spooling(dir.resolve("it's a dir").resolve("spool")));
    for (String name : List.of(HookScripts.RESUME, HookScripts.SUSPEND, HookScripts.RESUME_FAIL)) {
      Process p = new ProcessBuilder("sh", "-n", libexec.resolve(name).toString()).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor()).as(name + ": " + output).isZero();
      assertThat(Files.readString(libexec.resolve(name))).doesNotContain("bin/java", "-jar");
    }
  }

  private List<Path> spooled(Path spool) throws IOException {
    try (var files = Files.list(spool)) {
      return files.filter(f -> !f.getFileName().toString().equals(".import.lock")).sorted().toList();
    }
  }

  /** The first complete line of a file another process is writing, or "" after 10 s. */
  private static String awaitLine(Path file) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      String text = Files.exists(file) ? Files.readString(file) : "";
      if (text.contains("\n")) {
        return text.substring(0, text.indexOf('\n'));
      }
      Thread.sleep(10);
    }
    return Files.exists(file) ? Files.readString(file) : "";
  }

  @Test
  void resumeSpoolingWrapper_asSlurmctldRunsIt_spoolsTheCallAndTheResumeFile_logsOneLine_andWakesTheDaemon() throws Exception {
    Path spool = dir.resolve("it's a dir").resolve("spool");
    Path curlCalls = dir.resolve("curl-calls");
    executable(fakeBin.resolve("curl"), "#!/bin/sh\necho \"$*\" >> " + HookScripts.quote(curlCalls.toString()) + "\n");
    String resumeJson = "{\"all_nodes\":\"cpu-[0-1]\",\"jobs\":[{\"job_id\":12,\"nodes\":\"cpu-[0-1]\"}]}";
    Path resumeFile = Files.writeString(dir.resolve("resume file.json"), resumeJson);
    Path libexec = install(spooling(spool));

    int code = runClosed(libexec.resolve(HookScripts.RESUME), "cpu-[0-1]", "SLURM_CONF=/etc/slurm/slurm.conf",
        "SLURM_RESUME_FILE=" + resumeFile);

    assertThat(code).as(Files.exists(log) ? Files.readString(log) : "no log").isZero();
    List<Path> files = spooled(spool);
    assertThat(files).as("one file, no temporary left").singleElement()
        .satisfies(f -> assertThat(f.getFileName().toString()).matches(dev.slipway.hooks.SpoolEntry.NAME));
    dev.slipway.hooks.SpoolEntry entry = dev.slipway.hooks.SpoolEntry.parse(files.get(0).getFileName().toString(),
        Files.readAllBytes(files.get(0)));
    assertThat(entry.kind()).isEqualTo(dev.slipway.hooks.HookKind.RESUME);
    assertThat(entry.hosts()).isEqualTo("cpu-[0-1]");
    assertThat(entry.resumeFile()).contains(resumeJson);
    assertThat(entry.log()).contains(log);
    assertThat(java.time.Duration.between(entry.time(), java.time.Instant.now()).abs()).isLessThan(Duration.ofMinutes(1));
    assertThat(Files.readAllLines(log)).singleElement().asString()
        .endsWith(" resume cpu-[0-1]: spooled " + entry.name());
    // The wake-up runs in the background so that it never delays Slurm; wait for the fake curl's
    // whole trace line (the file exists as soon as the redirection opens it, before echo writes).
    // https: the daemon's key is pinned (-k only skips the CA and name checks); plain http gets no TLS options.
    assertThat(awaitLine(curlCalls)).contains("-m 1", "-k --pinnedpubkey " + PIN + " -d  https://127.0.0.1:6820/v1/wake");
  }

  @Test
  void wakeUps_pinTheKeyOnlyForHttpsUrls_andTheJvmHookGetsThePin() {
    HookScripts mixed = new HookScripts(javaHome, dir.resolve("slipway.jar"), List.of(), log,
        List.of("https://10.0.0.4:6820/v1/wake", "http://10.0.0.5:6820/v1/wake"), Optional.empty(), Optional.empty(), Optional.empty(),
        Duration.ofMinutes(11), HookScripts.DEFAULT_PATH, Optional.of(dir.resolve("spool")), Optional.of(PIN));

    assertThat(mixed.render().get(HookScripts.RESUME))
        .contains("--noproxy '*' -k --pinnedpubkey " + HookScripts.quote(PIN) + " -d '' https://10.0.0.4:6820/v1/wake ")
        .contains("--noproxy '*' -d '' http://10.0.0.5:6820/v1/wake ");
    assertThat(mixed.javaCommand("resume")).endsWith("--wake", "https://10.0.0.4:6820/v1/wake", "--wake", "http://10.0.0.5:6820/v1/wake",
        "--wake-pin", PIN);
  }

  @Test
  void aPinNotInCurlsFormat_isRefused() {
    assertThatThrownBy(() -> new HookScripts(javaHome, dir.resolve("slipway.jar"), List.of(), log, List.of("https://h:1/v1/wake"),
        Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofMinutes(11), HookScripts.DEFAULT_PATH, Optional.empty(),
        Optional.of("deadbeef"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sha256//");
  }

  @Test
  void spoolingWrappers_calledOneAfterTheOther_spoolFilesWhoseNamesSortInCallOrder() throws Exception {
    Path spool = dir.resolve("spool");
    Path libexec = install(spooling(spool));
    assertThat(runClosed(libexec.resolve(HookScripts.SUSPEND), "cpu-3")).isZero();
    assertThat(runClosed(libexec.resolve(HookScripts.RESUME_FAIL), "gpu-1")).isZero();
    assertThat(runClosed(libexec.resolve(HookScripts.RESUME), "cpu-3", "SLURM_RESUME_FILE=/nonexistent/resume.json")).isZero();
    List<dev.slipway.hooks.SpoolEntry> entries = new java.util.ArrayList<>();
    for (Path f : spooled(spool)) {
      entries.add(dev.slipway.hooks.SpoolEntry.parse(f.getFileName().toString(), Files.readAllBytes(f)));
    }
    assertThat(entries).extracting(dev.slipway.hooks.SpoolEntry::kind).containsExactly(
        dev.slipway.hooks.HookKind.SUSPEND, dev.slipway.hooks.HookKind.RESUME_FAIL, dev.slipway.hooks.HookKind.RESUME);
    assertThat(entries.get(2).unreadableResumeFile()).contains("/nonexistent/resume.json");
  }

  @Test
  void spoolingWrapper_withoutHostlist_exitsTwoWithOneLine() throws Exception {
    Path spool = dir.resolve("spool");
    Path libexec = install(spooling(spool));
    assertThat(runClosed(libexec.resolve(HookScripts.SUSPEND), "")).isEqualTo(2);
    assertThat(Files.readAllLines(log)).singleElement().asString().endsWith("suspend : NOT spooled, Slurm's call is lost: no hostlist argument");
  }

  @Test
  void spoolingWrapper_whenTheSpoolIsNotADirectory_exitsOneWithOneLine() throws Exception {
    Path spool = Files.writeString(dir.resolve("spool"), "a file where the spool should be");
    Path libexec = install(spooling(spool));
    assertThat(runClosed(libexec.resolve(HookScripts.SUSPEND), "cpu-1")).isEqualTo(1);
    assertThat(Files.readAllLines(log)).singleElement().asString()
        .contains("suspend cpu-1: NOT spooled, Slurm's call is lost: cannot create " + spool + ": mkdir: ");
  }

  /**
   * Runs the wrapper with the spool on a tmpfs of its own mount namespace, prepared by {@code prepare}
   * (a full or a read-only file system); returns the exit code and what the spool held afterwards.
   * Needs root (mount); the test machine and CI run as root.
   */
  private String runOnOwnTmpfs(Path script, Path spool, String prepare) throws Exception {
    Files.createDirectories(spool);
    String sh = "mount -t tmpfs -o size=16k tmpfs \"$0\" || exit 99; " + prepare
        + "; env -i \"$1\" cpu-[0-1] <&- >&- 2>&-; echo \"exit=$? files=$(ls -A \"$0\" | grep -v '^fill$' | tr '\\n' ' ')\"";
    Process p = new ProcessBuilder("unshare", "-m", "sh", "-c", sh, spool.toString(), script.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    org.junit.jupiter.api.Assumptions.assumeTrue(p.exitValue() != 99 && !out.contains("unshare failed"),
        "needs root to mount a tmpfs in its own mount namespace: " + out);
    return out;
  }

  @Test
  void spoolingWrapper_onAFullDisk_exitsOneWithOneLine_andLeavesNoFile() throws Exception {
    Path spool = dir.resolve("spool");
    Path libexec = install(spooling(spool));
    String out = runOnOwnTmpfs(libexec.resolve(HookScripts.RESUME), spool, "dd if=/dev/zero of=\"$0/fill\" bs=4k 2>/dev/null");
    assertThat(out).isEqualTo("exit=1 files=");
    assertThat(Files.readAllLines(log)).singleElement().asString()
        .contains("resume cpu-[0-1]: NOT spooled, Slurm's call is lost: cannot write " + spool + "/.")
        .containsAnyOf("No space left on device", "I/O error"); // dash's printf says the latter
  }

  @Test
  void spoolingWrapper_onAReadOnlyFileSystem_exitsOneWithOneLine() throws Exception {
    Path spool = dir.resolve("spool");
    Path libexec = install(spooling(spool));
    String out = runOnOwnTmpfs(libexec.resolve(HookScripts.SUSPEND), spool, "mount -o remount,ro \"$0\"");
    assertThat(out).isEqualTo("exit=1 files=");
    assertThat(Files.readAllLines(log)).singleElement().asString()
        .contains("suspend cpu-[0-1]: NOT spooled, Slurm's call is lost: cannot write ").contains("Read-only file system");
  }

  @Test
  void resumeWrapper_withClosedStdioAndNoEnvironment_execsJavaWithTheHookCommandLine() throws Exception {
    Path libexec = install(scripts(Optional.of(dir.resolve("missing.jsa")), Duration.ofMinutes(11)));
    int code = runClosed(libexec.resolve(HookScripts.RESUME), "gpu-[0-3]", "SLURM_CONF=/etc/slurm/slurm.conf");
    assertThat(code).as("the wrapper passes Java's exit code through").isEqualTo(3);
    List<String> call = Files.readAllLines(dir.resolve("java-call"));
    assertThat(call).containsSubsequence(
        "arg:-XX:TieredStopAtLevel=1", "arg:-XX:+UseSerialGC", "arg:-Xshare:auto",
        "arg:-Dslf4j.provider=org.slf4j.helpers.NOP_FallbackServiceProvider",
        "arg:-Dorg.sqlite.lib.path=" + dir.resolve("native"), "arg:-Dorg.sqlite.lib.name=libsqlitejdbc.so",
        "arg:-jar", "arg:" + dir.resolve("it's a dir").resolve("slipway.jar"), "arg:hook", "arg:resume",
        "arg:-c", "arg:/etc/slipway dir",
        "arg:--wake", "arg:https://127.0.0.1:6820/v1/wake", "arg:--wake", "arg:https://10.0.0.5:6820/v1/wake",
        "arg:--wake-pin", "arg:" + PIN, "arg:--", "arg:gpu-[0-3]");
    assertThat(call).as("a missing CDS archive is not passed to the JVM").noneMatch(l -> l.contains("SharedArchiveFile"));
    assertThat(call).contains("PATH=" + fakeBin + ":" + HookScripts.DEFAULT_PATH, "JAVA_HOME=" + javaHome, "fd0:open", "fd1:open", "fd2:open");
    assertThat(Files.readString(log)).isEqualTo("java says hello\n");
  }

  @Test
  void suspendWrapper_withCdsArchive_passesIt() throws Exception {
    Path archive = Files.writeString(dir.resolve("hook.jsa"), "x");
    Path libexec = install(scripts(Optional.of(archive), Duration.ofMinutes(11)));
    runClosed(libexec.resolve(HookScripts.SUSPEND), "cpu-1");
    List<String> call = Files.readAllLines(dir.resolve("java-call"));
    assertThat(call).contains("arg:-XX:SharedArchiveFile=" + archive, "arg:suspend", "arg:cpu-1");
  }

  @Test
  void wrapper_whoseLogCannotBeWritten_stillRunsTheHook() throws Exception {
    Files.createDirectories(log.getParent());
    Files.createDirectory(log); // a directory where the log file should be: appending fails
    Path libexec = install(scripts(Optional.empty(), Duration.ofMinutes(11)));
    runClosed(libexec.resolve(HookScripts.RESUME_FAIL), "cpu-2");
    assertThat(Files.readAllLines(dir.resolve("java-call"))).contains("arg:resume-fail", "arg:cpu-2", "fd1:open");
  }

  /** A fake sinfo that prints the next line of {@code states} on each call (the last one forever). */
  private void fakeSinfo(String... states) throws IOException {
    Path list = Files.write(dir.resolve("states"), List.of(states));
    Path count = dir.resolve("sinfo-calls");
    executable(fakeBin.resolve("sinfo"), """
        #!/bin/sh
        echo "$*|SLURM_CONF=$SLURM_CONF" >> %s
        n=$(wc -l < %s)
        total=$(wc -l < %s)
        [ "$n" -le "$total" ] || n=$total
        sed -n "${n}p" %s | tr ' ' '\\n'
        """.formatted(HookScripts.quote(count.toString()), HookScripts.quote(count.toString()),
        HookScripts.quote(list.toString()), HookScripts.quote(list.toString())));
  }

  @Test
  void prolog_waitsWhileANodeIsPoweringUp_thenExitsZero() throws Exception {
    fakeSinfo("idle~ alloc#", "alloc# alloc#", "alloc alloc");
    Path libexec = install(scripts(Optional.empty(), Duration.ofMinutes(11)));
    int code = runClosed(libexec.resolve(HookScripts.PROLOG), "", "SLURM_JOB_NODELIST=cpu-[0-1]", "SLURM_JOB_ID=7");
    assertThat(code).isZero();
    assertThat(Files.readAllLines(dir.resolve("sinfo-calls"))).hasSize(3)
        .allMatch(l -> l.equals("-h -N -n cpu-[0-1] -o %t|SLURM_CONF=/etc/slurm/slurm.conf"));
    assertThat(Files.readString(log)).contains("prolog job 7 nodes cpu-[0-1] ready after");
  }

  @Test
  void prolog_withoutNodes_exitsAtOnce() throws Exception {
    fakeSinfo("alloc#");
    Path libexec = install(scripts(Optional.empty(), Duration.ofMinutes(11)));
    assertThat(runClosed(libexec.resolve(HookScripts.PROLOG), "")).isZero();
    assertThat(dir.resolve("sinfo-calls")).doesNotExist();
  }

  @Test
  void prolog_nodesNeverReady_givesUpAfterItsTimeoutAndStillExitsZero() throws Exception {
    fakeSinfo("idle% alloc#");
    Path libexec = install(scripts(Optional.empty(), Duration.ofSeconds(1)));
    long started = System.nanoTime();
    int code = runClosed(libexec.resolve(HookScripts.PROLOG), "", "SLURM_JOB_NODELIST=gpu-0", "SLURM_CONF=/custom/slurm.conf");
    assertThat(code).isZero();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    assertThat(Files.readString(log)).contains("nodes gpu-0 still not ready after 1 s: idle% alloc#");
    assertThat(Files.readAllLines(dir.resolve("sinfo-calls"))).allMatch(l -> l.endsWith("SLURM_CONF=/custom/slurm.conf"));
  }

  @Test
  void prolog_whenANodeOfTheJobIsMarkedDown_stopsWaitingAtOnce_soTheRequeuedJobCanStartElsewhere() throws Exception {
    fakeSinfo("alloc# alloc#", "down~ alloc#", "down~ alloc#", "alloc alloc");
    Path libexec = install(scripts(Optional.empty(), Duration.ofMinutes(11)));
    int code = runClosed(libexec.resolve(HookScripts.PROLOG), "", "SLURM_JOB_NODELIST=cpu-[0-1]", "SLURM_JOB_ID=4");
    assertThat(code).isZero();
    assertThat(Files.readAllLines(dir.resolve("sinfo-calls"))).hasSize(2);
    assertThat(Files.readString(log)).contains("prolog job 4 nodes cpu-[0-1]: down~ alloc# - a node failed, not waiting");
  }

  @Test
  void prolog_aDrainedNode_alsoEndsTheWait() throws Exception {
    fakeSinfo("drain~");
    Path libexec = install(scripts(Optional.empty(), Duration.ofMinutes(11)));
    assertThat(runClosed(libexec.resolve(HookScripts.PROLOG), "", "SLURM_JOB_NODELIST=gpu-0")).isZero();
    assertThat(Files.readAllLines(dir.resolve("sinfo-calls"))).hasSize(1);
  }

  @Test
  void quote_leavesPlainWordsAndQuotesTheRest() {
    assertThat(HookScripts.quote("/usr/lib/jvm/java-17")).isEqualTo("/usr/lib/jvm/java-17");
    assertThat(HookScripts.quote("a b")).isEqualTo("'a b'");
    assertThat(HookScripts.quote("it's")).isEqualTo("'it'\\''s'");
    assertThat(HookScripts.quote("$HOME")).isEqualTo("'$HOME'");
    assertThat(HookScripts.quote("")).isEqualTo("''");
  }
}
