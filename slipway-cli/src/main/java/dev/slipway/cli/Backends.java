package dev.slipway.cli;

import dev.slipway.tls.DaemonIdentity;
import dev.slipway.azure.store.AzureStorageStateStore;
import dev.slipway.azure.batch.AzureBatchNodeProvider;
import dev.slipway.azure.batch.BatchClientOptions;
import dev.slipway.cli.daemon.LoopbackSimProvider;
import dev.slipway.config.Backend;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import dev.slipway.config.Credentials;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.PoolTopology;
import dev.slipway.sim.LatencyDistribution;
import dev.slipway.sim.SimFaults;
import dev.slipway.sim.SimPoolSpec;
import dev.slipway.sim.SimProvider;
import dev.slipway.sim.StartTask;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.Registry;
import dev.slipway.spi.StateStore;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.config.SlipwaySettings;
import dev.slipway.local.netns.AddressRole;
import dev.slipway.local.provision.ComputeNodeAccess;
import dev.slipway.local.netns.FaultRequests;
import dev.slipway.local.netns.NetnsPoolSpec;
import dev.slipway.local.netns.NetnsProvider;
import dev.slipway.local.netns.NodeSlurmd;
import dev.slipway.local.netns.StartTaskSpec;
import dev.slipway.local.netns.Subnet;
import dev.slipway.node.NodeJoinScript;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The explicit registries of what this build can run: state stores by name (and, as they are
 * wired, node providers). The CLI is the only module that knows every implementation.
 */
public final class Backends {
  /** What a store factory needs. */
  public record StoreContext(ClusterConfig config, ClusterHome home) {}

  private static final Registry<StoreContext, StateStore> STORES = Registry.of("state store",
      Map.<String, Function<StoreContext, StateStore>>of(
          "sqlite", ctx -> SqliteStateStore.open(ctx.home().stateDb()),
          "azure-storage", ctx -> AzureStorageStateStore.forCluster(ctx.config())));

  /**
   * What a provider factory needs. {@code localStartTask} is what a node hosted on this machine
   * runs once booted (the sim's nodes; the daemon passes one that runs slipway-node-join).
   */
  /**
   * What a provider factory gets. {@code joinUrls}: the daemons nodes join at, in the order they
   * try them (empty: the provider's default). {@code providerNetns}: the network namespace the
   * {@code netns} provider manages nodes from, when the daemon runs in another (a controller's).
   */
  public record ProviderContext(ClusterConfig config, ClusterHome home, InstantSource clock, StartTask localStartTask,
      List<String> joinUrls, Optional<Path> providerNetns) {
    public ProviderContext {
      joinUrls = List.copyOf(joinUrls);
      Objects.requireNonNull(providerNetns, "providerNetns");
    }

    public ProviderContext(ClusterConfig config, ClusterHome home, InstantSource clock, StartTask localStartTask) {
      this(config, home, clock, localStartTask, List.of(), Optional.empty());
    }
  }

  /** Node providers by name, each with a factory from ProviderContext. */
  private static final Registry<ProviderContext, NodeProvider> PROVIDERS = Registry.of("node provider",
      Map.<String, Function<ProviderContext, NodeProvider>>of(
          "sim", Backends::simProvider,
          "netns", Backends::netnsProvider,
          AzureBatchNodeProvider.NAME, Backends::azureBatchProvider));

  private Backends() {}

  public static Registry<ProviderContext, NodeProvider> providers() {
    return PROVIDERS;
  }

  /** The provider a backend uses by default. */
  public static String providerNameFor(Backend backend) {
    switch (backend) {
      case AZURE: return AzureBatchNodeProvider.NAME;
      case SIM: return "sim";
      default: return "netns";
    }
  }

  /** The simulator in process, pools from the configuration, latencies of a few hundred ms so a local run moves quickly. */
  static NodeProvider simProvider(ProviderContext ctx) {
    SimProvider.Builder b = SimProvider.builder(ctx.clock()).startTask(ctx.localStartTask());
    for (PoolTopology pool : ClusterTopology.fromConfig(ctx.config().slurm().options()).pools()) {
      b.pool(new SimPoolSpec(pool.poolId(), pool.maxNodes(), LatencyDistribution.fixed(Duration.ofMillis(200)),
          LatencyDistribution.fixed(Duration.ofMillis(200)), LatencyDistribution.fixed(Duration.ofMillis(300)),
          LatencyDistribution.fixed(Duration.ofMillis(500)), SimFaults.NONE));
    }
    return new LoopbackSimProvider(b.build(), () -> {
      if (ctx.localStartTask() instanceof AutoCloseable c) {
        c.close();
      }
    });
  }

  /**
   * The local backend's pools: network namespaces on the cluster's bridge (slipway-local). Each
   * node runs slipway-node-join with the environment of docs/join-protocol.md: the daemon on the
   * bridge address, the pin of its TLS key, the pool's token file, the cluster's munged ({@code SLIPWAY_MUNGE=shared}: its
   * socket is a file every namespace reaches) and slipway-node-slurmd as slurmd, which creates the
   * spool directory and gives slurmd a fresh boot clock.
   */
  static NodeProvider netnsProvider(ProviderContext ctx) {
    ClusterConfig config = ctx.config();
    SlipwaySettings.LocalSettings local = config.slipway().local();
    Subnet subnet = Subnet.parse(local.subnet());
    ClusterHome home = ctx.home();
    Path bin = home.libexec().resolve("node");
    Path joinScript = bin.resolve(NodeJoinScript.FILE_NAME);
    Path slurmd;
    try {
      Files.createDirectories(bin);
      HookInstallCommand.writeAtomically(joinScript, NodeJoinScript.text().getBytes(StandardCharsets.UTF_8), "rwxr-xr-x");
      slurmd = NodeSlurmd.install(bin);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the node scripts into " + bin, e);
    }
    String bridge = subnet.address(AddressRole.BRIDGE);
    ClusterTopology topology = ClusterTopology.fromConfig(config.slurm().options());
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SLIPWAY_JOIN_URLS", ctx.joinUrls().isEmpty() ? "https://" + bridge + ":" + config.slipway().daemonPort()
        : String.join(" ", ctx.joinUrls()));
    // Public: the daemon made (or loaded) its key in the secrets directory before it built this provider.
    env.put("SLIPWAY_JOIN_PIN", DaemonIdentity.readPin(home.secrets()));
    env.put("SLIPWAY_MUNGE", "shared");
    env.put("SLIPWAY_SLURMD", slurmd.toString());
    env.put("SLIPWAY_MUNGE_SOCKET", home.dir().resolve("munge").resolve("munge.socket").toString());
    // SlurmLayout.forLocal's SlurmdSpoolDir without its %n; <dir>/spool is the hooks' spool.
    env.put("SLIPWAY_SLURMD_SPOOL", home.dir().resolve("slurmd").toString());
    env.put("SLIPWAY_JOIN_DEADLINE", Long.toString(config.slipway().resumeTimeout().toSeconds()));
    // Shared volumes and the node's sshd with pam_slurm_adopt (slipway-node-slurmd does both).
    env.putAll(ComputeNodeAccess.nodeEnvironment(config, home.dir()));
    NetnsProvider.Builder b = NetnsProvider.builder(config.slurm().clusterId(), home.dir(), subnet)
        .runner(inNamespace(ctx.providerNetns(), new ProcessCommandRunner())).clock(ctx.clock())
        // Tests inject capacity failures and preemptions into the running daemon through files here.
        .faultRequests(home.dir().resolve(FaultRequests.DIR_NAME))
        // Each pool has its own token file; the provider sets SLIPWAY_POOL_ID per node.
        .startTask(new StartTaskSpec(List.of("sh", "-c",
            "SLIPWAY_JOIN_TOKEN_FILE=\"$1/join-token-$SLIPWAY_POOL_ID\" exec sh \"$2\"", "slipway-start-task",
            home.secrets().toString(), joinScript.toString()), env));
    for (PoolTopology pool : topology.pools()) {
      b.pool(NetnsPoolSpec.of(pool.poolId(), pool.maxNodes()).withBootDelay(local.bootDelay()));
    }
    return b.build();
  }

  /**
   * Runs every command in the network namespace {@code netns} when given: a daemon in a
   * controller's namespace still creates veths next to the cluster's bridge.
   */
  static CommandRunner inNamespace(Optional<Path> netns, CommandRunner runner) {
    if (netns.isEmpty()) {
      return runner;
    }
    String enter = "--net=" + netns.get();
    return (command, timeout) -> {
      List<String> wrapped = new ArrayList<>(List.of("nsenter", enter, "--"));
      wrapped.addAll(command);
      return runner.run(wrapped, timeout);
    };
  }

  /** Azure Batch pools of the elastic partitions, each at its own account URL or credentials.yaml's. */
  static NodeProvider azureBatchProvider(ProviderContext ctx) {
    ClusterConfig config = ctx.config();
    Optional<Credentials.BatchCredentials> batch = config.credentials().flatMap(Credentials::batch);
    Map<String, ElasticPool> pools = new LinkedHashMap<>();
    for (ElasticPartition partition : config.slurm().options().elasticPartitions()) {
      partition.pools().forEach(p -> pools.putIfAbsent(p.id(), p));
    }
    List<AzureBatchNodeProvider.PoolBinding> bindings = new ArrayList<>();
    List<ConfigProblem> problems = new ArrayList<>();
    for (ElasticPool p : pools.values()) {
      Optional<String> url = p.accountServiceUrl().or(() -> batch.flatMap(Credentials.BatchCredentials::accountServiceUrl));
      if (url.isEmpty()) {
        problems.add(ConfigProblem.error(Optional.empty(), 0, 0, "credentials.batch.account_service_url",
            "pool " + p.id() + " has no Batch account URL", "account_service_url in the pool's batch_pools entry or in credentials.yaml"));
        continue;
      }
      bindings.add(new AzureBatchNodeProvider.PoolBinding(p.id(), URI.create(url.get()), p.maxComputeNodes()));
    }
    if (batch.isEmpty()) {
      problems.add(ConfigProblem.error(Optional.empty(), 0, 0, "credentials.batch", "the azure-batch provider needs Batch credentials",
          "a batch section in credentials.yaml"));
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new AzureBatchNodeProvider(bindings,
        AzureBatchNodeProvider.clientsFor(batch.get(), BatchClientOptions.defaults().withClock(ctx.clock())),
        config.slipway().resumeTimeout(), ctx.clock());
  }

  public static Registry<StoreContext, StateStore> stores() {
    return STORES;
  }

  /** The store a backend uses: azure keeps shared state in Azure Storage, the others in SQLite. */
  public static String storeNameFor(Backend backend) {
    return backend == Backend.AZURE ? "azure-storage" : "sqlite";
  }

  /** Opens the configured backend's store (exit 4 through StoreUnavailableException when it cannot). */
  public static StateStore openStore(ClusterConfig config) {
    return STORES.create(storeNameFor(config.slipway().backend()), new StoreContext(config, ClusterHome.of(config)));
  }
}
