package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.slipway.hooks.HookKind;
import dev.slipway.hooks.SpoolEntry;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.tls.DaemonIdentity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default wrappers ({@code hook install} without {@code --jvm}) installed by the real shaded
 * jar and run as slurmctld runs them ({@code env -i}, fds 0-2 closed): they spool the call and wake
 * an https listener with curl, pinning the cluster's daemon key; then {@code slipway nodes list} imports the spool into the SQLite store.
 */
class SpoolWrapperIT {
  private static final Path JAR = Path.of("target", "slipway.jar").toAbsolutePath();

  @TempDir Path dir;
  private Path config;
  private Path home;
  private Path libexec;
  private Path log;
  private HttpsServer wakeListener;
  private final CountDownLatch woken = new CountDownLatch(1);

  @BeforeEach
  void install() throws Exception {
    assertThat(JAR).as("run through 'mvn verify', which builds the shaded jar first").isRegularFile();
    home = dir.resolve("home");
    // The daemon's key, as 'cluster create' or the daemon make it; install pins it by default.
    DaemonIdentity key = DaemonIdentity.loadOrCreate(home.resolve("secrets"), "hooks", new SecureRandom(), InstantSource.system());
    wakeListener = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    wakeListener.setHttpsConfigurator(new HttpsConfigurator(key.serverContext()));
    wakeListener.createContext("/v1/wake", ex -> {
      if (ex.getRequestMethod().equals("POST")) {
        woken.countDown();
      }
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    wakeListener.start();
    Files.createDirectories(home.resolve("state"));
    config = HookCommandTest.writeConfig(dir, home);
    libexec = dir.resolve("libexec");
    log = dir.resolve("logs").resolve("power.log");
    String output = java("hook", "install", "-c", config.toString(), "--libexec", libexec.toString(), "--log", log.toString(),
        "--wake", "https://127.0.0.1:" + wakeListener.getAddress().getPort() + "/v1/wake");
    assertThat(output).contains("wrote " + libexec.resolve(HookScripts.RESUME), "spool calls into " + home.resolve("spool"))
        .doesNotContain("class-data-sharing");
    assertThat(libexec.resolve(HookScripts.CDS_ARCHIVE)).doesNotExist();
    assertThat(Files.readString(libexec.resolve(HookScripts.RESUME))).contains("--pinnedpubkey " + HookScripts.quote(key.pin()));
  }

  @AfterEach
  void stop() {
    wakeListener.stop(0);
  }

  /** Runs the jar, returns its output; fails on a non-zero exit. */
  private static String java(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    return output;
  }

  private static int runAsSlurmctld(Path script, String hostlist, String... env) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("sh", "-c", "exec env -i \"$@\" <&- >&- 2>&-", "sh"));
    command.addAll(List.of(env));
    command.addAll(List.of(script.toString(), hostlist));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
    return p.exitValue();
  }

  private List<Path> spooled() throws IOException {
    try (Stream<Path> files = Files.list(home.resolve("spool"))) {
      return files.filter(f -> SpoolEntry.NAME.matcher(f.getFileName().toString()).matches()).sorted().toList();
    }
  }

  private Map<String, HostIntent> intents() {
    try (SqliteStateStore store = SqliteStateStore.open(home.resolve("state").resolve("slipway.db"))) {
      return store.intents();
    }
  }

  @Test
  void wrappers_spoolDurablyWithoutTheDaemon_wakeIt_andTheNextReaderImportsTheIntents() throws Exception {
    Path resumeFile = Files.writeString(dir.resolve("resume.json"),
        "{\"jobs\":[{\"job_id\":5,\"nodes\":\"cpu-[0-1]\"}],\"all_nodes\":\"cpu-[0-1],gpu-0\"}");
    int resume = runAsSlurmctld(libexec.resolve(HookScripts.RESUME), "cpu-[0-1],gpu-0",
        "SLURM_CONF=/nonexistent/slurm.conf", "SLURM_RESUME_FILE=" + resumeFile);
    int fail = runAsSlurmctld(libexec.resolve(HookScripts.RESUME_FAIL), "gpu-0,login1");
    int suspend = runAsSlurmctld(libexec.resolve(HookScripts.SUSPEND), "cpu-1");

    String logText = Files.readString(log);
    assertThat(List.of(resume, fail, suspend)).as(logText).containsOnly(0);
    assertThat(woken.await(30, TimeUnit.SECONDS)).as("curl POSTed /v1/wake").isTrue();
    List<Path> files = spooled();
    assertThat(files).hasSize(3);
    assertThat(SpoolEntry.parse(files.get(0).getFileName().toString(), Files.readAllBytes(files.get(0))).kind()).isEqualTo(HookKind.RESUME);
    assertThat(intents()).as("nothing in the store until someone imports").isEmpty();
    assertThat(logText.lines()).hasSize(3).allMatch(l -> l.contains(": spooled "));

    java("nodes", "list", "-c", config.toString());

    assertThat(spooled()).isEmpty();
    Map<String, HostIntent> intents = intents();
    assertThat(intents).containsOnlyKeys("cpu-0", "cpu-1", "gpu-0");
    assertThat(intents.get("cpu-0").jobIds()).containsExactly("5");
    assertThat(intents.get("cpu-0").intent()).isEqualTo(Intent.UP);
    assertThat(intents.get("cpu-1").intent()).as("the later suspend wins").isEqualTo(Intent.DOWN);
    assertThat(intents.get("gpu-0").source()).isEqualTo(IntentSource.RESUME_FAIL);
    assertThat(Files.readString(log)).contains("recorded 3 intents UP (seq 1-3) for job 5",
        "resume-fail: 1 host is in no elastic pool and was not recorded: login1");
  }
}
