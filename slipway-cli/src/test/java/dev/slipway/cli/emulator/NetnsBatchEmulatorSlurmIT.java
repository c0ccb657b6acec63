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
import dev.slipway.local.netns.NodeSlurmd;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.model.NodeType;
import dev.slipway.model.Secret;
import dev.slipway.node.NodeJoinScript;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.PrivateMunged;
import dev.slipway.slurm.PrivateSlurmctld;
import dev.slipway.slurm.ProcessCommandRunner;
import dev.slipway.slurm.ScontrolSlurmControl;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import dev.slipway.spi.StateStore;
import dev.slipway.store.sqlite.SqliteStateStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A Batch-emulated node that runs the real start task and a real slurmd, registering with a real
 * slurmctld. The class starts its own munged and slurmctld (configless, on a free port, in the root
 * namespace, reachable from the nodes at the bridge address) and the daemon (real engine over
 * scontrol, real join endpoint) with the azure-batch provider against the Batch emulator whose
 * nodes are network namespaces. Powering up host gpu-0 in Slurm and recording the resume makes the
 * engine resize the Batch pool; the namespace node runs {@code slipway-node-join}, joins through
 * the daemon (one {@code GET node}, no node list), and starts slurmd through
 * {@code slipway-node-slurmd}, as the local backend does; the test then reads the host idle and
 * up in {@code scontrol} and {@code sinfo}. Needs root, ip, nsenter, unshare, curl, munged,
 * slurmctld, slurmd and the Slurm client; skips otherwise. Cleans up (node processes and
 * namespaces, both daemons by PID, the bridge, the directory) whatever happens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetnsBatchEmulatorSlurmIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Duration SHORT = Duration.ofSeconds(20);
  private static final ProcessCommandRunner PROCESSES = new ProcessCommandRunner();
  private static final Secret KEY = Secret.of(Base64.getEncoder().encodeToString(new byte[] {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2}));

  private Path dir;
  private Path slurmConf;
  private CommandRunner slurm;
  private Optional<PrivateMunged> munged = Optional.empty();
  private Optional<PrivateSlurmctld> slurmctld = Optional.empty();
  private final ClusterTopology topology = new ClusterTopology(List.of(PoolTopology.of("gpu", "gpu", 2, NodeType.DEDICATED, "p", 0, 0)));
  private LocalNetwork network;
  private NetnsNodeBackend backend;
  private BatchEmulator emulator;
  private AzureBatchNodeProvider provider;
  private StateStore store;
  private DaemonRuntime runtime;

  @BeforeAll
  void start() throws Exception {
    assumeThat(System.getProperty("user.name")).as("namespaces and slurmd need root").isEqualTo("root");
    for (String tool : List.of("ip", "nsenter", "unshare", "curl", "munged", "slurmctld", "slurmd", "scontrol", "sinfo")) {
      assumeThat(PROCESSES.run(List.of("sh", "-c", "command -v " + tool + " || test -x /usr/sbin/" + tool), SHORT).ok())
          .as("needs " + tool + " (Debian: iproute2 util-linux curl munge slurmctld slurmd slurm-client)").isTrue();
    }
    // munged wants every directory above its socket searchable by all; @TempDir is 0700.
    dir = Files.createTempDirectory("slipway-emu-slurm");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    try {
      startCluster();
    } catch (Exception | AssertionError e) {
      stop();
      throw e;
    }
  }

  private void startCluster() throws Exception {
    String clusterId = "emus" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    Subnet subnet = Subnet.parse("10.226." + ThreadLocalRandom.current().nextInt(1, 255) + ".0/24");
    InstantSource clock = InstantSource.system();
    network = new LocalNetwork(clusterId, subnet, PROCESSES, clock, Pause.REAL);
    network.ensureBridge();
    String bridge = network.bridgeAddress();

    munged = Optional.of(PrivateMunged.start(dir));
    Path socket = munged.get().socket();
    int port = freePort();
    slurmConf = writeSlurmConf(clusterId, bridge, port, socket);
    slurm = (command, timeout) -> {
      List<String> withConf = new ArrayList<>(List.of("env", "SLURM_CONF=" + slurmConf));
      withConf.addAll(command);
      return PROCESSES.run(withConf, timeout);
    };
    startSlurmctld();

    backend = new NetnsNodeBackend("slipwayemus", network, new AddressBook(dir.resolve("addresses"), subnet),
        new NodeLauncher(HostClock.proc(clock), Pause.REAL, NodeLauncher.PROCESS_BUILDER), dir.resolve("nodes"), clock,
        Duration.ofSeconds(2), 2);
    emulator = BatchEmulator.start(BatchEmulator.Settings.of("slipwayemus", clock, backend).withSharedKey(KEY));
    BatchClient client = BatchClient.withSharedKey(emulator.url(), new BatchSharedKeyCredential("slipwayemus", KEY),
        BatchClientOptions.defaults().withClock(clock));
    provider = new AzureBatchNodeProvider(List.of(new AzureBatchNodeProvider.PoolBinding("gpu", emulator.url(), 2)),
        url -> client, Duration.ofMinutes(15), clock);

    JoinSecrets keys = JoinSecrets.loadOrCreate(dir.resolve("secrets"), List.of("gpu"), new SecureRandom());
    store = SqliteStateStore.open(dir.resolve("state.db"));
    JoinSettings join = new JoinSettings(clusterId, keys.joinTokens(), List.of(bridge + ":" + port), keys.mungeKey(), List.of());
    runtime = DaemonRuntime.start(DaemonRuntime.Parts.of(store, provider, new SlurmControlPort(new ScontrolSlurmControl(slurm)), topology,
            join, "emu-slurm-it")
        .withTimings(new Daemon.Timings(Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofMillis(200), Duration.ofMillis(50)))
        .withListen(InetAddress.getByName(bridge), 0)
        .withClock(clock));

    Path bin = dir.resolve("bin");
    Files.createDirectories(bin);
    Path joinScript = bin.resolve(NodeJoinScript.FILE_NAME);
    Files.writeString(joinScript, NodeJoinScript.text());
    Path nodeSlurmd = NodeSlurmd.install(bin);
    // The pool's start task as Batch carries it (Batch names pool and node), with the local
    // backend's environment: the cluster's munged shared by socket, slipway-node-slurmd as slurmd.
    String commandLine = "/bin/sh -c 'SLIPWAY_POOL_ID=$AZ_BATCH_POOL_ID SLIPWAY_NODE_ID=$AZ_BATCH_NODE_ID "
        + "SLIPWAY_NODE_DIR=$AZ_BATCH_NODE_ROOT_DIR/slipway exec sh " + joinScript + "'";
    Map<String, String> env = Map.of("SLIPWAY_JOIN_URLS", runtime.baseUrl(), "SLIPWAY_JOIN_PIN", runtime.pin(), "SLIPWAY_CLUSTER_ID", clusterId,
        "SLIPWAY_JOIN_TOKEN", keys.joinTokens().get("gpu").reveal(), "SLIPWAY_MUNGE", "shared",
        "SLIPWAY_SLURMD", nodeSlurmd.toString(), "SLIPWAY_SLURMD_PROGRAM", "/usr/sbin/slurmd",
        "SLIPWAY_SLURMD_SPOOL", dir.resolve("spool").toString(), "SLIPWAY_MUNGE_SOCKET", socket.toString(),
        "SLIPWAY_JOIN_DEADLINE", "60");
    client.addPool(new BatchPoolSpec("gpu", "standard_d2s_v3", Optional.of("canonical"), Optional.of("ubuntu-24_04-lts"),
        Optional.of("server"), Optional.of("latest"), Optional.empty(), "batch.node.ubuntu 24.04", 0, 0, Duration.ofMinutes(15), 1,
        false, Optional.empty(), Optional.of(new BatchStartTask(commandLine, env, true, 0, true)), Map.of()));
  }

  private Path writeSlurmConf(String clusterId, String bridge, int port, Path socket) throws IOException {
    for (String d : List.of("state", "spool", "log", "run")) Files.createDirectories(dir.resolve(d));
    String host = PROCESSES.run(List.of("hostname", "-s"), SHORT).stdout().strip();
    Path conf = dir.resolve("slurm.conf");
    // The nodes reach slurmctld at the bridge address; the name must be this machine's.
    List<String> lines = PrivateSlurmctld.standardLines(clusterId, host + "(" + bridge + ")", port, socket, dir);
    // Configless: the nodes' slurmd fetch slurm.conf from slurmctld, as on the local backend.
    PrivateSlurmctld.replace(lines, "SlurmctldParameters", "enable_configless,cloud_reg_addrs,idle_on_node_suspend");
    PrivateSlurmctld.replace(lines, "ResumeTimeout", "120");
    // ResumeProgram leaves a mark, so the test records the resume intent after slurmctld resumed
    // the host, as the real hook does: the join response's resume instant is then at or after
    // slurmctld's boot request, which slipway-node-slurmd relies on to skip its boot-clock wait.
    Path resume = dir.resolve("resume-program");
    Files.writeString(resume, "#!/bin/sh\necho \"$1\" >> " + dir.resolve("resumed") + "\n");
    Files.setPosixFilePermissions(resume, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    PrivateSlurmctld.replace(lines, "ResumeProgram", resume.toString());
    lines.addAll(List.of(
        "SlurmdSpoolDir=" + dir.resolve("spool") + "/%n",
        "SlurmdPidFile=" + dir.resolve("run") + "/slurmd-%n.pid",
        "SlurmdLogFile=" + dir.resolve("log") + "/slurmd-%n.log",
        "ReturnToService=2",
        "NodeName=gpu-[0-1] State=CLOUD CPUs=1",
        "PartitionName=p Nodes=gpu-[0-1] Default=YES MaxTime=INFINITE State=UP"));
    Files.writeString(conf, String.join("\n", lines) + "\n");
    return conf;
  }

  private void startSlurmctld() throws Exception {
    Path log = dir.resolve("slurmctld.log");
    slurmctld = Optional.of(PrivateSlurmctld.start(slurmConf, dir.resolve("slurmctld.pid"), log));
    slurmctld.get().awaitNodes(2, log);
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (runtime != null) runtime.close();
      if (emulator != null) emulator.close();
      // Stops every node's processes (the start task, slurmd) by PID and deletes the namespaces.
      if (backend != null) backend.close();
      if (store != null) store.close();
    } finally {
      try {
        // Any slurmd that outlived its namespace, then the cluster's daemons, each by its own PID.
        List<Optional<Long>> pids = new ArrayList<>();
        if (dir != null && Files.isDirectory(dir.resolve("run"))) {
          try (Stream<Path> files = Files.list(dir.resolve("run"))) {
            files.filter(f -> f.getFileName().toString().startsWith("slurmd-")).forEach(f -> pids.add(readPid(f)));
          }
        }
        for (Optional<Long> pid : pids) {
          pid.flatMap(ProcessHandle::of).ifPresent(h -> {
            h.destroy();
            h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> {
              h.destroyForcibly();
              return h;
            }).join();
          });
        }
        slurmctld.ifPresent(PrivateSlurmctld::close);
        munged.ifPresent(PrivateMunged::close);
        if (network != null) network.teardown(Duration.ofSeconds(2));
      } finally {
        if (dir != null) {
          try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          }
        }
      }
    }
  }

  @Test
  void poweredUpHost_getsABatchNodeWhoseRealSlurmdRegisters_andSlurmShowsTheHostIdle() throws Exception {
    CommandRunner.Result up = slurm.run(List.of("scontrol", "update", "NodeName=gpu-0", "State=POWER_UP"), SHORT);
    assertThat(up.ok()).as("scontrol power_up: " + up.stderr()).isTrue();
    // What the resume hook records when slurmctld runs it (ResumeProgram only leaves a mark here).
    await("slurmctld to run ResumeProgram for gpu-0", () -> Files.exists(dir.resolve("resumed")),
        () -> "slurmctld log:\n" + tail(dir.resolve("slurmctld.log")));
    store.recordIntents(List.of(new IntentRequest("gpu-0", "gpu", Intent.UP, IntentSource.RESUME, List.of("1"))), Instant.now());
    wake();

    NodePool gpu = provider.pool("gpu").orElseThrow();
    await("the host to be registered in Slurm and the binding REGISTERED",
        () -> store.binding("gpu-0").map(b -> b.phase() == BindingPhase.REGISTERED).orElse(false),
        () -> "binding " + store.binding("gpu-0") + "\n" + slurm.run(List.of("scontrol", "show", "node", "gpu-0"), SHORT).stdout()
            + "\nslurmd log:\n" + tail(dir.resolve("log/slurmd-gpu-0.log")) + "\nslurmctld log:\n" + tail(dir.resolve("slurmctld.log"))
            + "\nnodes: " + gpu.nodes() + "\n" + startTaskLogs());

    String shown = slurm.run(List.of("scontrol", "show", "node", "gpu-0", "--oneliner"), SHORT).stdout();
    String nodeId = store.binding("gpu-0").flatMap(b -> b.nodeId()).orElseThrow();
    ProviderNode node = gpu.node(nodeId).orElseThrow();
    assertThat(shown).as(shown).containsPattern("State=IDLE\\+CLOUD\\s").doesNotContain("POWER").doesNotContain("NOT_RESPONDING");
    assertThat(shown).as("slurmctld reaches slurmd at the namespace's address").contains("NodeAddr=" + node.address().orElseThrow() + " ");
    assertThat(shown).as("slurmd reports the Slurm host name from its own UTS namespace").contains("NodeHostName=gpu-0 ");
    assertThat(slurm.run(List.of("sinfo", "-h", "-n", "gpu-0", "-o", "%T"), SHORT).stdout().strip()).isEqualTo("idle");
    assertThat(node.state()).as("the start task ended with exit 0: idle in Batch").isEqualTo(ProviderNodeState.READY);
    assertThat(network.pids(backend.namespaceOf(nodeId))).as("slurmd runs in the node's namespace").isNotEmpty();
    assertThat(emulator.requests()).as("the join looked up its node with one GET node")
        .anySatisfy(r -> assertThat(r.path()).isEqualTo("/pools/gpu/nodes/" + nodeId));
  }

  private void wake() throws Exception {
    HttpResponse<Void> woke = HttpClient.newBuilder().sslContext(dev.slipway.tls.DaemonIdentity.pinnedClientContext(runtime.pin())).build()
        .send(HttpRequest.newBuilder(URI.create(runtime.baseUrl() + "/v1/wake"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    assertThat(woke.statusCode()).isEqualTo(204);
  }

  private String startTaskLogs() {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> logs = Files.walk(dir.resolve("nodes"))) {
      logs.filter(p -> p.getFileName().toString().endsWith(".log")).forEach(p -> sb.append(p).append(":\n").append(tail(p)).append('\n'));
    } catch (IOException e) {
      sb.append("(no node logs: ").append(e.getMessage()).append(')');
    }
    return sb.toString();
  }

  private static int freePort() throws IOException {
    // slurmd takes the next port too; a clash fails the start loudly rather than silently.
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  private static Optional<Long> readPid(Path file) {
    try {
      String pid = Files.exists(file) ? Files.readString(file).trim() : "";
      return pid.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(pid));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no " + file + ")";
    }
  }

  /** Waits for real daemons and processes, up to a deadline; the message says what was seen. */
  private static void await(String what, BooleanSupplier condition, java.util.function.Supplier<String> seen) throws InterruptedException {
    Instant deadline = Instant.now().plus(WAIT);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what + "\n" + seen.get());
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }
}
