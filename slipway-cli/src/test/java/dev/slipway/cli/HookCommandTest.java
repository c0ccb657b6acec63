package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.tls.DaemonIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class HookCommandTest {
  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Path config;
  private Path home;

  /** A local cluster with pools cpu (cpu-[0-7]) and gpu (gpu-[0-1]) whose state lives under {@code home}. */
  static Path writeConfig(Path dir, Path home) throws IOException {
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.writeString(config.resolve("slurm.yaml"), """
        slurm:
          cluster_id: hooks
          controller: {ssh: {username: admin}, vm_size: standard_d2_v2, vm_count: 1}
          login: {ssh: {username: admin}, vm_size: standard_d2_v2, vm_count: 1}
          slurm_options:
            idle_reclaim_time: 00:10:00
            elastic_partitions:
              cpu:
                default: true
                batch_pools:
                  cpu: {compute_node_type: dedicated, max_compute_nodes: 8, weight: 0, vm_size: standard_d2_v2}
              gpu:
                default: false
                batch_pools:
                  gpu: {compute_node_type: dedicated, max_compute_nodes: 2, weight: 0, vm_size: standard_d2_v2}
        slipway:
          backend: local
          local: {state_dir: %s}
        """.formatted(home));
    return config;
  }

  @BeforeEach
  void setUp() throws IOException {
    home = dir.resolve("home");
    Files.createDirectories(home.resolve("state"));
    config = writeConfig(dir, home);
  }

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private Map<String, HostIntent> intents() {
    try (SqliteStateStore store = SqliteStateStore.open(home.resolve("state").resolve("slipway.db"))) {
      return store.intents();
    }
  }

  @Test
  void resume_recordsIntentsInTheClustersStore_andPrintsOneLine() {
    int code = run("hook", "resume", "-c", config.toString(), "--no-wake", "cpu-[0-2],gpu-1");
    assertThat(code).isEqualTo(ExitCodes.OK);
    assertThat(err.toString()).isEmpty();
    assertThat(intents()).containsOnlyKeys("cpu-0", "cpu-1", "cpu-2", "gpu-1");
    assertThat(intents().values()).allSatisfy(i -> assertThat(i.intent()).isEqualTo(Intent.UP));
    assertThat(out.toString().lines()).singleElement().asString()
        .endsWith(" resume cpu-[0-2],gpu-1: recorded 4 intents UP (seq 1-4); woke 0 of 0 daemons");
  }

  @Test
  void suspendAndResumeFail_recordDownWithTheirSources() {
    assertThat(run("hook", "suspend", "-c", config.toString(), "--no-wake", "cpu-1")).isZero();
    assertThat(run("hook", "resume-fail", "-c", config.toString(), "--no-wake", "gpu-0")).isZero();
    assertThat(intents().get("cpu-1").source()).isEqualTo(IntentSource.SUSPEND);
    assertThat(intents().get("gpu-0").source()).isEqualTo(IntentSource.RESUME_FAIL);
    assertThat(intents().get("gpu-0").intent()).isEqualTo(Intent.DOWN);
  }

  @Test
  void resume_withResumeFile_recordsTheJobsOfEachHost() throws IOException {
    Path file = Files.writeString(dir.resolve("resume.json"),
        "{\"jobs\":[{\"job_id\":41,\"nodes\":\"cpu-[0-1]\"},{\"job_id\":42,\"nodes\":\"cpu-1\"}],\"all_nodes\":\"cpu-[0-1]\"}");
    assertThat(run("hook", "resume", "-c", config.toString(), "--no-wake", "--resume-file", file.toString(), "cpu-[0-1]")).isZero();
    assertThat(intents().get("cpu-0").jobIds()).containsExactly("41");
    assertThat(intents().get("cpu-1").jobIds()).containsExactly("41", "42");
    assertThat(out.toString()).contains("for jobs 41,42");
    try (SqliteStateStore store = SqliteStateStore.open(home.resolve("state").resolve("slipway.db"))) {
      assertThat(store.hostEvents("cpu-1", 5)).extracting(HostEvent::message)
          .containsExactly("Slurm ResumeProgram asked for cpu-1: intent UP (seq 2) for jobs 41,42");
    }
  }

  @Test
  void resume_unreadableOrMalformedResumeFile_isOneWarningAndTheIntentsAreStillRecorded() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"jobs\":[");
    assertThat(run("hook", "resume", "-c", config.toString(), "--no-wake", "--resume-file", bad.toString(), "cpu-0")).isZero();
    assertThat(run("hook", "resume", "-c", config.toString(), "--no-wake", "--resume-file", dir.resolve("gone.json").toString(), "cpu-1"))
        .isZero();
    assertThat(err.toString().lines()).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("slipway: resume: ignoring SLURM_RESUME_FILE"));
    assertThat(intents()).containsOnlyKeys("cpu-0", "cpu-1");
  }

  @Test
  void hostsInNoPool_exitOne_withOneLineNamingThemAndThePools_afterRecordingTheRest() {
    int code = run("hook", "resume", "-c", config.toString(), "--no-wake", "cpu-7,cpu-8,login1");
    assertThat(code).isEqualTo(ExitCodes.FAILURE);
    assertThat(intents()).containsOnlyKeys("cpu-7");
    assertThat(err.toString().lines()).containsExactly("slipway: resume: 2 hosts are in no elastic pool and were not recorded:"
        + " cpu-8,login1; known pools: cpu (cpu-[0-7]), gpu (gpu-[0-1])");
  }

  @Test
  void malformedHostlist_exitsTwo_andRecordsNothing() {
    assertThat(run("hook", "resume", "-c", config.toString(), "--no-wake", "cpu-[0-")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString().lines()).singleElement().asString().startsWith("slipway: malformed hostlist \"cpu-[0-\"");
    assertThat(run("hook", "suspend", "-c", config.toString(), "--no-wake", "")).isEqualTo(ExitCodes.USAGE);
    assertThat(intents()).isEmpty();
  }

  @Test
  void unreachableStore_exitsFour_withOneLine() throws IOException {
    Files.delete(home.resolve("state"));
    int code = run("hook", "suspend", "-c", config.toString(), "--no-wake", "cpu-0");
    assertThat(code).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(err.toString().lines()).singleElement().asString().startsWith("slipway: ").contains("slipway.db");
  }

  @Test
  void invalidConfiguration_exitsThree() throws IOException {
    Files.writeString(config.resolve("slurm.yaml"), "slurm: {cluster_id: Bad_Id}\n");
    assertThat(run("hook", "resume", "-c", config.toString(), "--no-wake", "cpu-0")).isEqualTo(ExitCodes.INVALID_CONFIG);
  }

  @Test
  void configurationWarnings_areNotRepeatedOnEveryHookCall() throws IOException {
    Files.writeString(config.resolve("slurm.yaml"), Files.readString(config.resolve("slurm.yaml")).replace(", vm_size: standard_d2_v2}", "}"));
    assertThat(run("hook", "suspend", "-c", config.toString(), "--no-wake", "cpu-0")).isZero();
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void wake_postsToEveryUrl_andAFailedWakeStillExitsZero() throws IOException {
    List<String> requests = new CopyOnWriteArrayList<>();
    HttpServer daemon = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    daemon.createContext("/v1/wake", exchange -> {
      requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    daemon.start();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    try {
      String url = "http://127.0.0.1:" + daemon.getAddress().getPort() + "/v1/wake";
      int code = run("--verbose", "hook", "resume", "-c", config.toString(), "--wake", url,
          "--wake", "http://127.0.0.1:" + closedPort + "/v1/wake", "--wake", "not a url", "cpu-0");
      assertThat(code).isZero();
      assertThat(requests).containsExactly("POST /v1/wake");
      assertThat(out.toString()).contains("woke 1 of 3 daemons");
      assertThat(err.toString().lines()).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("slipway: debug: could not wake "));
    } finally {
      daemon.stop(0);
    }
  }

  @Test
  void wake_overHttps_reachesOnlyTheDaemonWhoseKeyHasThePin() throws Exception {
    DaemonIdentity key = DaemonIdentity.generate("c1", new SecureRandom(), java.time.InstantSource.system());
    String otherPin = DaemonIdentity.generate("c1", new SecureRandom(), java.time.InstantSource.system()).pin();
    List<String> requests = new CopyOnWriteArrayList<>();
    HttpsServer daemon = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    daemon.setHttpsConfigurator(new HttpsConfigurator(key.serverContext()));
    daemon.createContext("/v1/wake", exchange -> {
      requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    daemon.start();
    try {
      String url = "https://127.0.0.1:" + daemon.getAddress().getPort() + "/v1/wake";

      assertThat(run("hook", "resume", "-c", config.toString(), "--wake", url, "--wake-pin", key.pin(), "cpu-0")).isZero();
      assertThat(out.toString()).contains("woke 1 of 1 daemon");
      assertThat(requests).containsExactly("POST /v1/wake");

      assertThat(run("--verbose", "hook", "resume", "-c", config.toString(), "--wake", url, "--wake-pin", otherPin, "cpu-1")).isZero();
      assertThat(requests).as("a key with another pin gets no request").hasSize(1);
      assertThat(err.toString()).contains("slipway: debug: could not wake " + url);
    } finally {
      daemon.stop(0);
    }
  }

  @Test
  void wake_overHttpsWithoutAPin_usesTheClustersCertificate_andWithoutOneSaysWhatIsMissing() throws Exception {
    List<String> requests = new CopyOnWriteArrayList<>();
    HttpsServer daemon = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    daemon.createContext("/v1/wake", exchange -> {
      requests.add(exchange.getRequestURI().getPath());
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    try {
      String url = "https://127.0.0.1:" + daemon.getAddress().getPort() + "/v1/wake";
      assertThat(HookCommand.wake(url, java.util.Optional.empty())).hasValueSatisfying(m -> assertThat(m).contains("--wake-pin"));

      // what the daemon and 'cluster create' make in the cluster's secrets directory
      DaemonIdentity key = DaemonIdentity.loadOrCreate(home.resolve("secrets"), "hooks", new SecureRandom(), java.time.InstantSource.system());
      daemon.setHttpsConfigurator(new HttpsConfigurator(key.serverContext()));
      daemon.start();

      assertThat(run("hook", "resume", "-c", config.toString(), "--wake", url, "cpu-0")).isZero();
      assertThat(out.toString()).contains("woke 1 of 1 daemon");
      assertThat(requests).containsExactly("/v1/wake");
    } finally {
      daemon.stop(0);
    }
  }

  @Test
  void hookInstall_refusesAWakePinNotInCurlsFormat_beforeWritingAnything() throws IOException {
    Path jar = Files.writeString(dir.resolve("slipway.jar"), "not really a jar");

    int code = run("hook", "install", "-c", config.toString(), "--jar", jar.toString(), "--libexec", dir.resolve("libexec").toString(),
        "--wake", "https://127.0.0.1:1/v1/wake", "--wake-pin", "md5//nope");

    assertThat(code).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--wake-pin").contains("sha256//");
    assertThat(dir.resolve("libexec")).doesNotExist();
  }

  @Test
  void wakeFailures_areSilentWithoutVerbose() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    assertThat(run("hook", "resume", "-c", config.toString(), "--wake", "http://127.0.0.1:" + closedPort + "/v1/wake", "cpu-0")).isZero();
    assertThat(err.toString()).isEmpty();
    assertThat(out.toString()).contains("woke 0 of 1 daemon");
  }

  @Test
  void hookOnlyCommandLine_behavesLikeTheFullTree() throws IOException {
    CommandLine cl = Main.hookCommandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    int code = cl.execute("hook", "resume", "--verbose", "-c", config.toString(),
        "--wake", "http://127.0.0.1:" + closedPort + "/v1/wake", "cpu-1,login1");
    assertThat(code).isEqualTo(ExitCodes.FAILURE);
    assertThat(intents()).containsOnlyKeys("cpu-1");
    assertThat(err.toString().lines()).hasSize(2)
        .anySatisfy(l -> assertThat(l).startsWith("slipway: debug: could not wake "))
        .anySatisfy(l -> assertThat(l).startsWith("slipway: resume: 1 host is in no elastic pool"));
    err.getBuffer().setLength(0);
    assertThat(cl.execute("hook", "suspend", "-c", config.toString(), "--no-wake", "cpu-[")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString().lines()).singleElement().asString().startsWith("slipway: malformed hostlist");
    err.getBuffer().setLength(0);
    assertThat(cl.execute("hook", "resume", "--bogus", "cpu-0")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).startsWith("slipway: Unknown option: '--bogus'");
  }
}
