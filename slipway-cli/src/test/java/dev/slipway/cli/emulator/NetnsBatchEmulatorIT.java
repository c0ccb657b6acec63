package dev.slipway.cli.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.azure.batch.AzureBatchNodeProvider;
import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchClientOptions;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchSharedKeyCredential;
import dev.slipway.azure.batch.BatchStartTask;
import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.cli.daemon.Daemon;
import dev.slipway.cli.daemon.DaemonRuntime;
import dev.slipway.cli.daemon.JoinSecrets;
import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.JoinSettings;
import dev.slipway.engine.PoolTopology;
import dev.slipway.local.netns.AddressBook;
import dev.slipway.local.netns.HostClock;
import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.NodeLauncher;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.NodeType;
import dev.slipway.model.Secret;
import dev.slipway.node.NodeJoinScript;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.NodeBaseState;
import dev.slipway.slurm.NodeFlag;
import dev.slipway.slurm.ProcessCommandRunner;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.slurm.SlurmNodeState;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import dev.slipway.spi.StateStore;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.testkit.FakeSlurm;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The azure-batch provider against a Batch emulator whose nodes are real network namespaces: the
 * daemon (real engine, real join endpoint on the bridge, fake Slurm) grows pool {@code gpu} by one
 * through Batch's REST API; the emulated node is a namespace that runs the pool's start task, the
 * real {@code slipway-node-join} with sh and curl, which joins through the daemon (which checks the
 * node against the provider's listing and the source address) and starts "slurmd" (a script that
 * records its arguments: no slurmctld runs here); the node is idle in Batch; suspending the host
 * removes the node and its namespace. A second pool's failing start task shows as
 * starttaskfailed, i.e. START_FAILED/START_TASK. Needs root, ip, nsenter, unshare and curl; cleans
 * up the namespaces, veths and bridge whatever happens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetnsBatchEmulatorIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final CommandRunner RUNNER = new ProcessCommandRunner();
  private static final Secret KEY = Secret.of(Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));

  private Path dir;
  private final FakeSlurm slurm = new FakeSlurm();
  private final ClusterTopology topology = new ClusterTopology(List.of(PoolTopology.of("gpu", "gpu", 4, NodeType.DEDICATED, "p", 0, 0)));
  private LocalNetwork network;
  private NetnsNodeBackend backend;
  private BatchEmulator emulator;
  private BatchClient client;
  private AzureBatchNodeProvider provider;
  private StateStore store;
  private DaemonRuntime runtime;
  private Path slurmdLog;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    assumeThat(System.getProperty("user.name")).as("namespaces need root").isEqualTo("root");
    for (String tool : List.of("ip", "nsenter", "unshare", "curl")) {
      assumeThat(RUNNER.run(List.of("sh", "-c", "command -v " + tool), Duration.ofSeconds(10)).ok())
          .as("needs " + tool + " (Debian: iproute2 util-linux curl)").isTrue();
    }
    String clusterId = "emu" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    Subnet subnet = Subnet.parse("10.223." + ThreadLocalRandom.current().nextInt(1, 255) + ".0/24");
    InstantSource clock = InstantSource.system();
    network = new LocalNetwork(clusterId, subnet, RUNNER, clock, Pause.REAL);
    network.ensureBridge();
    backend = new NetnsNodeBackend("slipwayemu", network, new AddressBook(dir.resolve("addresses"), subnet),
        new NodeLauncher(HostClock.proc(clock), Pause.REAL, NodeLauncher.PROCESS_BUILDER), dir.resolve("nodes"), clock,
        Duration.ofSeconds(2), 2);
    emulator = BatchEmulator.start(BatchEmulator.Settings.of("slipwayemu", clock, backend).withSharedKey(KEY));
    BatchClientOptions options = BatchClientOptions.defaults().withClock(clock);
    client = BatchClient.withSharedKey(emulator.url(), new BatchSharedKeyCredential("slipwayemu", KEY), options);
    provider = new AzureBatchNodeProvider(List.of(new AzureBatchNodeProvider.PoolBinding("gpu", emulator.url(), 4),
        new AzureBatchNodeProvider.PoolBinding("broken", emulator.url(), 2)), url -> client, Duration.ofMinutes(15), clock);

    slurm.addCloudNodes("p", topology.hosts());
    Path secrets = dir.resolve("secrets");
    JoinSecrets keys = JoinSecrets.loadOrCreate(secrets, List.of("gpu"), new SecureRandom());
    store = SqliteStateStore.open(dir.resolve("state.db"));
    JoinSettings join = new JoinSettings(clusterId, keys.joinTokens(), List.of(network.bridgeAddress() + ":6817"), keys.mungeKey(), List.of());
    runtime = DaemonRuntime.start(DaemonRuntime.Parts.of(store, provider, new SlurmControlPort(slurm), topology, join, "emu-it")
        .withTimings(new Daemon.Timings(Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofMillis(200), Duration.ofMillis(50)))
        .withListen(InetAddress.getByName(network.bridgeAddress()), 0)
        .withClock(clock));

    Path joinScript = dir.resolve(NodeJoinScript.FILE_NAME);
    Files.writeString(joinScript, NodeJoinScript.text());
    slurmdLog = dir.resolve("slurmd-args.log");
    Path fakeSlurmd = dir.resolve("fake-slurmd");
    Files.writeString(fakeSlurmd, "#!/bin/sh\nprintf '%s %s\\n' \"$(hostname)\" \"$*\" >> '" + slurmdLog + "'\n");
    Files.setPosixFilePermissions(fakeSlurmd, PosixFilePermissions.fromString("rwx------"));
    // As a Batch pool would carry it: Batch names the pool and node; the token is an environment setting.
    String commandLine = "/bin/sh -c 'SLIPWAY_POOL_ID=$AZ_BATCH_POOL_ID SLIPWAY_NODE_ID=$AZ_BATCH_NODE_ID "
        + "SLIPWAY_NODE_DIR=$AZ_BATCH_NODE_ROOT_DIR/slipway exec sh " + joinScript + "'";
    Map<String, String> env = Map.of("SLIPWAY_JOIN_URLS", runtime.baseUrl(), "SLIPWAY_JOIN_PIN", runtime.pin(), "SLIPWAY_CLUSTER_ID", clusterId,
        "SLIPWAY_JOIN_TOKEN", keys.joinTokens().get("gpu").reveal(), "SLIPWAY_MUNGE", "shared", "SLIPWAY_SLURMD", fakeSlurmd.toString(),
        "SLIPWAY_JOIN_DEADLINE", "30");
    client.addPool(pool("gpu", new BatchStartTask(commandLine, env, true, 0, true)));
    client.addPool(pool("broken", new BatchStartTask("/bin/sh -c 'echo no luck; exit 3'", Map.of(), true, 0, true)));
  }

  private static BatchPoolSpec pool(String id, BatchStartTask startTask) {
    return new BatchPoolSpec(id, "standard_d2s_v3", Optional.of("canonical"), Optional.of("ubuntu-24_04-lts"), Optional.of("server"),
        Optional.of("latest"), Optional.empty(), "batch.node.ubuntu 24.04", 0, 0, Duration.ofMinutes(15), 1, false, Optional.empty(),
        Optional.of(startTask), Map.of());
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (runtime != null) runtime.close();
      if (emulator != null) emulator.close();
      if (backend != null) backend.close();
      if (store != null) store.close();
    } finally {
      if (network != null) network.teardown(Duration.ofSeconds(2));
    }
  }

  @Test
  void resumedHost_getsANamespaceNodeThatRunsTheJoinScript_isIdleInBatch_andSuspendDeletesTheNamespace() throws Exception {
    resume("gpu-0");

    await("the join script to start slurmd", () -> slurmdCalls().size() == 1);
    String nodeId = store.binding("gpu-0").flatMap(b -> b.nodeId()).orElseThrow();
    assertThat(nodeId).startsWith("tvm-");
    assertThat(slurmdCalls().get(0)).as("run inside the node's UTS namespace, as the assigned host")
        .isEqualTo(NetnsNodeBackend.hostnameOf(nodeId) + " -N gpu-0 --conf-server " + network.bridgeAddress() + ":6817");
    NodePool gpu = provider.pool("gpu").orElseThrow();
    await("the node to be idle in Batch", () -> gpu.nodes().stream().anyMatch(n -> n.state() == ProviderNodeState.READY));
    ProviderNode node = gpu.nodes().get(0);
    assertThat(node.id()).isEqualTo(nodeId);
    assertThat(node.address()).as("the namespace's address, which the daemon checked at join")
        .isEqualTo(store.binding("gpu-0").orElseThrow().address());
    assertThat(network.namespaces()).contains(backend.namespaceOf(nodeId));
    assertThat(store.binding("gpu-0").orElseThrow().phase()).isEqualTo(BindingPhase.JOINED);

    slurm.setState("gpu-0", SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN));
    store.recordIntents(List.of(new IntentRequest("gpu-0", "gpu", Intent.DOWN, IntentSource.SUSPEND, List.of())), Instant.now());
    wake();

    await("the namespace to be deleted", () -> !network.namespaces().contains(backend.namespaceOf(nodeId)));
    await("the node to leave the Batch pool", () -> gpu.nodes().isEmpty());
    assertThat(backend.nodeIds()).doesNotContain(nodeId);
    assertThat(gpu.targetSize()).isEqualTo(new PoolTarget(0, 0));
  }

  @Test
  void failingStartTask_isStartTaskFailedInBatch_andTheProviderSeesStartFailed() throws Exception {
    NodePool broken = provider.pool("broken").orElseThrow();
    broken.resize(new PoolTarget(1, 0));

    await("the start task to fail", () -> broken.nodes().stream().anyMatch(n -> n.state() == ProviderNodeState.START_FAILED));
    ProviderNode node = broken.nodes().get(0);
    assertThat(node.error().orElseThrow().errorClass()).isEqualTo(ErrorClass.START_TASK);
    assertThat(node.error().orElseThrow().message()).contains("exit code 3");
    assertThat(Files.readString(dir.resolve("nodes").resolve(node.id()).resolve("logs").resolve("start-task.log"))).contains("no luck");

    await("the pool to be steady", () -> !broken.isResizing());
    broken.remove(List.of(node.id()));
    await("the failed node's namespace to be deleted", () -> !network.namespaces().contains(backend.namespaceOf(node.id())));
  }

  private void resume(String host) throws Exception {
    slurm.setState(host, SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERING_UP));
    store.recordIntents(List.of(new IntentRequest(host, "gpu", Intent.UP, IntentSource.RESUME, List.of("17"))), Instant.now());
    wake();
  }

  private void wake() throws Exception {
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

  /** Waits for real processes and the daemon's thread, up to a deadline. */
  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plus(WAIT);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what);
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }
}
