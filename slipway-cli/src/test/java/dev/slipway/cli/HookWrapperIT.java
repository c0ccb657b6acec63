package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.store.sqlite.SqliteStateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM wrappers ({@code hook install --jvm}) with the real shaded jar, started as slurmctld starts them: {@code env -i}
 * (only SLURM_CONF and SLURM_RESUME_FILE) and file descriptors 0-2 closed. Runs after
 * {@code package} (failsafe), since it needs {@code target/slipway.jar}.
 */
class HookWrapperIT {
  private static final Path JAR = Path.of("target", "slipway.jar").toAbsolutePath();

  @TempDir Path dir;
  private Path config;
  private Path home;
  private Path libexec;
  private Path log;

  @BeforeEach
  void install() throws Exception {
    assertThat(JAR).as("run through 'mvn verify', which builds the shaded jar first").isRegularFile();
    home = dir.resolve("home");
    Files.createDirectories(home.resolve("state"));
    config = HookCommandTest.writeConfig(dir, home);
    libexec = dir.resolve("libexec");
    log = dir.resolve("logs").resolve("power.log");
    Process p = new ProcessBuilder(java(), "-jar", JAR.toString(), "hook", "install", "-c", config.toString(),
        "--libexec", libexec.toString(), "--log", log.toString(), "--wake", "https://127.0.0.1:9/v1/wake",
        "--wake-pin", PIN, "--jvm")
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("wrote " + libexec.resolve(HookScripts.RESUME), "class-data-sharing archive");
    assertThat(Files.readString(libexec.resolve(HookScripts.RESUME))).contains("--wake-pin " + HookScripts.quote(PIN));
  }

  /** A pin given on the command line: nothing listens on port 9, the wake-up fails as it may. */
  private static final String PIN = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Runs {@code script hostlist} with an empty environment but for {@code env}, fds 0-2 closed; returns the exit code. */
  private static int runAsSlurmctld(Path script, String hostlist, String... env) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("sh", "-c", "exec env -i \"$@\" <&- >&- 2>&-", "sh"));
    command.addAll(List.of(env));
    command.addAll(List.of(script.toString(), hostlist));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    return p.exitValue();
  }

  private Map<String, HostIntent> intents() {
    try (SqliteStateStore store = SqliteStateStore.open(home.resolve("state").resolve("slipway.db"))) {
      return store.intents();
    }
  }

  @Test
  void install_writesExecutableWrappersTheArchiveAndTheSqliteLibrary() throws IOException {
    for (String name : List.of(HookScripts.RESUME, HookScripts.SUSPEND, HookScripts.RESUME_FAIL, HookScripts.PROLOG)) {
      assertThat(Files.getPosixFilePermissions(libexec.resolve(name))).contains(PosixFilePermission.OTHERS_EXECUTE);
    }
    assertThat(libexec.resolve(HookScripts.CDS_ARCHIVE)).isRegularFile();
    assertThat(libexec.resolve("native").resolve("libsqlitejdbc.so")).isRegularFile();
    try (var leftovers = Files.list(libexec)) {
      assertThat(leftovers.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
    assertThat(intents()).as("the CDS training run used its own store").isEmpty();
  }

  @Test
  void resumeWrapper_underSlurmctldConditions_recordsIntentsWithJobsAndLogs() throws Exception {
    Path resumeFile = Files.writeString(dir.resolve("resume.json"),
        "{\"jobs\":[{\"job_id\":5,\"nodes\":\"cpu-[0-1]\"}],\"all_nodes\":\"cpu-[0-1],gpu-0\"}");
    int code = runAsSlurmctld(libexec.resolve(HookScripts.RESUME), "cpu-[0-1],gpu-0",
        "SLURM_CONF=/nonexistent/slurm.conf", "SLURM_RESUME_FILE=" + resumeFile);
    String logText = Files.readString(log);
    assertThat(code).as(logText).isZero();
    assertThat(intents()).containsOnlyKeys("cpu-0", "cpu-1", "gpu-0");
    assertThat(intents().get("cpu-1").jobIds()).containsExactly("5");
    assertThat(intents().get("gpu-0").jobIds()).isEmpty();
    assertThat(intents().values()).allSatisfy(i -> assertThat(i.intent()).isEqualTo(Intent.UP));
    assertThat(logText.lines()).as("one line, no SLF4J or JVM noise").singleElement().asString()
        .contains(" resume cpu-[0-1],gpu-0: recorded 3 intents UP (seq 1-3) for job 5; woke 0 of 1 daemon");
  }

  @Test
  void suspendAndResumeFailWrappers_recordDown_andRejectsAreLoggedWithExitOne() throws Exception {
    assertThat(runAsSlurmctld(libexec.resolve(HookScripts.SUSPEND), "cpu-3")).isZero();
    assertThat(runAsSlurmctld(libexec.resolve(HookScripts.RESUME_FAIL), "gpu-1,login1")).isEqualTo(ExitCodes.FAILURE);
    assertThat(intents().get("cpu-3").source()).isEqualTo(IntentSource.SUSPEND);
    assertThat(intents().get("gpu-1").source()).isEqualTo(IntentSource.RESUME_FAIL);
    assertThat(Files.readString(log)).contains("slipway: resume-fail: 1 host is in no elastic pool and was not recorded: login1");
  }

  @Test
  void wrapper_withoutArgument_exitsTwoWithAReasonInTheLog() throws Exception {
    List<String> command = List.of("sh", "-c", "exec env -i \"$0\" <&- >&- 2>&-", libexec.resolve(HookScripts.SUSPEND).toString());
    Process p = new ProcessBuilder(command).start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).isEqualTo(ExitCodes.USAGE);
    assertThat(Files.readString(log)).contains("slipway: malformed hostlist \"\" at column 1: the hostlist is empty");
  }
}
