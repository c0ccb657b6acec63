package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.JoinSettings;
import dev.slipway.engine.PoolTopology;
import dev.slipway.model.NodeType;
import dev.slipway.node.NodeJoinScript;
import dev.slipway.sim.LatencyDistribution;
import dev.slipway.sim.SimFaults;
import dev.slipway.sim.SimPoolSpec;
import dev.slipway.sim.SimProvider;
import dev.slipway.slurm.NodeBaseState;
import dev.slipway.slurm.NodeFlag;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.slurm.SlurmNodeState;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.StateStore;
import dev.slipway.tls.DaemonIdentity;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.testkit.FakeSlurm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production join path on loopback: a daemon with the in-process sim provider and a fake
 * Slurm; hosts are resumed as the hooks do it (intents, then a wake-up); each sim node's start
 * task runs the real slipway-node-join with sh and curl against the daemon's HTTP port, and
 * "starts slurmd" through a script that records its arguments.
 */
class DaemonEndToEndIT {
  private static final Duration WAIT = Duration.ofSeconds(40);

  @TempDir Path dir;
  private final FakeSlurm slurm = new FakeSlurm();
  private final ClusterTopology topology = new ClusterTopology(List.of(PoolTopology.of("gpu", "gpu", 4, NodeType.DEDICATED, "p", 0, 0)));
  private StateStore store;
  private SimNodeLauncher launcher;
  private LoopbackSimProvider provider;
  private DaemonRuntime runtime;
  private Path slurmdLog;

  @BeforeEach
  void start() throws Exception {
    slurm.addCloudNodes("p", topology.hosts());
    Path secrets = dir.resolve("secrets");
    JoinSecrets keys = JoinSecrets.loadOrCreate(secrets, List.of("gpu"), new SecureRandom());
    DaemonIdentity identity = DaemonIdentity.loadOrCreate(secrets, "c1", new SecureRandom(), InstantSource.system());
    slurmdLog = dir.resolve("slurmd-args.log");
    Path fakeSlurmd = dir.resolve("fake-slurmd");
    Files.writeString(fakeSlurmd, "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + slurmdLog + "'\n");
    Files.setPosixFilePermissions(fakeSlurmd, PosixFilePermissions.fromString("rwx------"));

    store = SqliteStateStore.open(dir.resolve("state.db"));
    AtomicReference<List<String>> urls = new AtomicReference<>(List.of());
    launcher = new SimNodeLauncher(dir.resolve("nodes"), secrets, "c1", urls::get, fakeSlurmd.toString());
    LatencyDistribution fast = LatencyDistribution.fixed(Duration.ofMillis(100));
    SimProvider sim = SimProvider.builder(InstantSource.system()).startTask(launcher)
        .pool(new SimPoolSpec("gpu", 4, fast, fast, fast, fast, SimFaults.NONE)).build();
    provider = new LoopbackSimProvider(sim, launcher);
    JoinSettings join = new JoinSettings("c1", keys.joinTokens(), List.of("127.0.0.1:6817"), keys.mungeKey(), List.of());
    runtime = DaemonRuntime.start(DaemonRuntime.Parts.of(store, provider, new SlurmControlPort(slurm), topology, join, "e2e")
        .withTimings(new Daemon.Timings(Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofMillis(200), Duration.ofMillis(50)))
        .withIdentity(identity));
    urls.set(List.of(runtime.baseUrl()));
  }

  @AfterEach
  void stop() {
    if (runtime != null) {
      runtime.close();
    }
    if (provider != null) {
      provider.close();
    }
    if (store != null) {
      store.close();
    }
  }

  /** Waits for a condition that depends on child processes and the daemon's thread, up to a deadline. */
  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plus(WAIT);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what);
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  private void resumeAsTheHooksDo(List<String> hosts) throws Exception {
    hosts.forEach(h -> slurm.setState(h, SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERING_UP)));
    store.recordIntents(hosts.stream().map(h -> new IntentRequest(h, "gpu", Intent.UP, IntentSource.RESUME, List.of("17"))).toList(),
        Instant.now());
    HttpResponse<Void> woke = HttpClient.newBuilder().sslContext(dev.slipway.tls.DaemonIdentity.pinnedClientContext(runtime.pin())).build()
        .send(HttpRequest.newBuilder(URI.create(runtime.baseUrl() + "/v1/wake"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    assertThat(woke.statusCode()).isEqualTo(204);
  }

  private List<String> slurmdCalls() {
    try {
      return Files.exists(slurmdLog) ? Files.readAllLines(slurmdLog) : List.of();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void resumedHosts_getNodesThatRunTheRealJoinScriptAndStartSlurmdAsTheirHost() throws Exception {
    resumeAsTheHooksDo(List.of("gpu-0", "gpu-1"));

    await("both join scripts to start slurmd", () -> slurmdCalls().size() == 2);

    assertThat(slurmdCalls()).containsExactlyInAnyOrder("-N gpu-0 --conf-server 127.0.0.1:6817", "-N gpu-1 --conf-server 127.0.0.1:6817");
    Map<String, HostBinding> bindings = store.bindings();
    assertThat(bindings.get("gpu-0").phase()).isEqualTo(BindingPhase.JOINED);
    assertThat(bindings.get("gpu-1").phase()).isEqualTo(BindingPhase.JOINED);
    assertThat(bindings.get("gpu-0").nodeId()).isNotEqualTo(bindings.get("gpu-1").nodeId());
    // each node joined from its own loopback address, which the provider reports for it
    assertThat(List.of(bindings.get("gpu-0").address().orElseThrow(), bindings.get("gpu-1").address().orElseThrow()))
        .containsExactlyInAnyOrder("127.0.0.1", "127.0.0.2");
    String nodeId = bindings.get("gpu-0").nodeId().orElseThrow();
    assertThat(dir.resolve("nodes").resolve(nodeId).resolve("join").resolve("response")).as("response removed").doesNotExist();
    try (var files = Files.walk(dir.resolve("nodes"))) {
      assertThat(files.map(Path::getFileName).map(Path::toString)).as("SLIPWAY_MUNGE=shared writes no key").doesNotContain("munge.key");
    }

    slurm.setState("gpu-0", SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD));
    await("gpu-0 to be REGISTERED", () -> store.binding("gpu-0").map(b -> b.phase() == BindingPhase.REGISTERED).orElse(false));
    // The pass reports the stage after its store write commits: wait for the metric, not only the row.
    await("the registered stage in the metrics",
        () -> runtime.metrics().scrape().contains("slipway_resume_stage_seconds_count{pool=\"gpu\",stage=\"registered\"} 1"));
    assertThat(runtime.metrics().scrape()).contains("slipway_resume_stage_seconds_count{pool=\"gpu\",stage=\"registered\"} 1",
        "slipway_joins_total{outcome=\"accepted\",pool=\"gpu\"} 2.0");
  }

  /** The real join script, as a stranger node with the pool's token and the given pin (none when empty). */
  private Process strangerJoins(String pin, String deadline) throws Exception {
    Path script = dir.resolve(NodeJoinScript.FILE_NAME);
    Files.writeString(script, NodeJoinScript.text());
    ProcessBuilder pb = new ProcessBuilder("sh", script.toString());
    pb.environment().putAll(Map.of("SLIPWAY_JOIN_URLS", runtime.baseUrl(), "SLIPWAY_CLUSTER_ID", "c1", "SLIPWAY_POOL_ID", "gpu",
        "SLIPWAY_NODE_ID", "no-such-node", "SLIPWAY_JOIN_TOKEN_FILE", JoinSecrets.joinTokenFile(dir.resolve("secrets"), "gpu").toString(),
        "SLIPWAY_NODE_DIR", dir.resolve("stranger").toString(), "SLIPWAY_MUNGE", "shared", "SLIPWAY_SLURMD", "false",
        "SLIPWAY_JOIN_DEADLINE", deadline));
    if (!pin.isEmpty()) {
      pb.environment().put("SLIPWAY_JOIN_PIN", pin);
    }
    return pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  @Test
  void joinScript_pinningAnotherKey_neverSendsTheToken_evenThoughItSkipsTheCaCheck() throws Exception {
    String otherPin = DaemonIdentity.generate("c1", new SecureRandom(), InstantSource.system()).pin();
    Process p = strangerJoins(otherPin, "1");
    try {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(p.exitValue()).as(stderr).isEqualTo(4);
      assertThat(stderr).contains(runtime.baseUrl() + ": no answer").containsIgnoringCase("pinned public key");
      assertThat(runtime.metrics().scrape()).as("the daemon never saw a join request").doesNotContain("slipway_joins_total{");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void joinScript_withoutPinOrCaCertificate_refusesTheSelfSignedDaemon() throws Exception {
    Process p = strangerJoins("", "1");
    try {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(p.exitValue()).as(stderr).isEqualTo(4);
      assertThat(stderr).contains(runtime.baseUrl() + ": no answer");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void joinScript_refusedByTheDaemon_exitsWithCode3AndTheErrorLineOnStderr() throws Exception {
    // The right pin: the TLS session is set up and the daemon's own refusal comes back.
    Process p = strangerJoins(runtime.pin(), "5");
    try {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(p.exitValue()).isEqualTo(3);
      assertThat(stderr).contains("refused this node (404): error=UNKNOWN_NODE pool gpu has no node no-such-node");
      assertThat(slurmdCalls()).isEmpty();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void joinScript_withNoDaemonListening_retriesUntilTheDeadlineAndExitsWithCode4() throws Exception {
    Path script = dir.resolve(NodeJoinScript.FILE_NAME);
    Files.writeString(script, NodeJoinScript.text());
    Path token = dir.resolve("token");
    Files.writeString(token, "x\n");
    ProcessBuilder pb = new ProcessBuilder("sh", script.toString());
    pb.environment().putAll(Map.of("SLIPWAY_JOIN_URLS", "http://127.0.0.1:1 http://127.0.0.1:2/", "SLIPWAY_CLUSTER_ID", "c1",
        "SLIPWAY_POOL_ID", "gpu", "SLIPWAY_NODE_ID", "n", "SLIPWAY_JOIN_TOKEN_FILE", token.toString(),
        "SLIPWAY_NODE_DIR", dir.resolve("lonely").toString(), "SLIPWAY_MUNGE", "shared", "SLIPWAY_JOIN_DEADLINE", "1"));
    Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(p.exitValue()).isEqualTo(4);
      assertThat(stderr).contains("http://127.0.0.1:1: no answer", "http://127.0.0.1:2/: no answer", "no daemon accepted this node within 1s");
    } finally {
      p.destroyForcibly();
    }
  }
}
