package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

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

  private HookScripts scripts(Optional<Path> cds, Duration prologTimeout) {
    return new HookScripts(javaHome, dir.resolve("it's a dir").resolve("slipway.jar"), List.of("-c", "/etc/slipway dir"),
        log, List.of("http://127.0.0.1:6820/v1/wake", "http://10.0.0.5:6820/v1/wake"), cds,
        Optional.of(dir.resolve("native").resolve("libsqlitejdbc.so")), Optional.of(Path.of("/etc/slurm/slurm.conf")),
        prologTimeout, fakeBin + ":" + HookScripts.DEFAULT_PATH);
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
        "arg:--wake", "arg:http://127.0.0.1:6820/v1/wake", "arg:--wake", "arg:http://10.0.0.5:6820/v1/wake",
        "arg:--", "arg:gpu-[0-3]");
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
