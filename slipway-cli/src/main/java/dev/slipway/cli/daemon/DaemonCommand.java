package dev.slipway.cli.daemon;

import dev.slipway.tls.DaemonIdentity;
import dev.slipway.cli.Backends;
import dev.slipway.cli.ClusterHome;
import dev.slipway.cli.ConfigOptions;
import dev.slipway.cli.UsageException;
import dev.slipway.config.ClusterConfig;
import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.EngineTimings;
import dev.slipway.engine.JoinSettings;
import dev.slipway.engine.PoolTopology;
import dev.slipway.slurm.ProcessCommandRunner;
import dev.slipway.slurm.ScontrolSlurmControl;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.StateStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code slipway daemon}: the only process that changes pools. Several may run (one per
 * controller); the one holding the store's lease reconciles, the others wait and serve joins.
 * Runs until SIGTERM, then gives the lease up so a standby takes over at once.
 */
@Command(name = "daemon", mixinStandardHelpOptions = true,
    description = "Run the Slipway daemon: leader election, reconcile passes, node join and metrics endpoints.")
public final class DaemonCommand implements java.util.concurrent.Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(DaemonCommand.class);
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)");

  @Mixin ConfigOptions config;

  @Option(names = "--id", paramLabel = "NAME", description = "This daemon's name in the leader lease (default: host name and process id).")
  String id;

  @Option(names = "--listen", paramLabel = "ADDR", defaultValue = "0.0.0.0", description = "Address to bind the HTTP endpoints to (default: ${DEFAULT-VALUE}).")
  String listen;

  @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default: slipway.daemon_port, 6820).")
  Integer port;

  @Option(names = "--period", paramLabel = "DURATION", defaultValue = "10s",
      description = "Run a full reconcile pass at least this often, e.g. 10s, 500ms, 1m (default: ${DEFAULT-VALUE}).")
  String period;

  @Option(names = "--conf-server", paramLabel = "HOST[:PORT]",
      description = "slurmctld address nodes give slurmd --conf-server, in failover order; repeat for several (default: this host).")
  List<String> confServers;

  @Option(names = "--join-url", paramLabel = "URL",
      description = "A daemon's base URL nodes join at, in the order they try them; repeat for every daemon of the cluster"
          + " (default: the provider's own; the local provisioner passes one per controller).")
  List<String> nodeJoinUrls;

  @Option(names = "--provider-netns", paramLabel = "PATH", defaultValue = "${env:SLIPWAY_PROVIDER_NETNS}",
      description = "Network namespace (a file such as /proc/PID/ns/net) the netns provider runs its ip commands in,"
          + " when this daemon runs in a controller's namespace (default: $SLIPWAY_PROVIDER_NETNS, else this daemon's own).")
  String providerNetns;

  @Option(names = "--provider", paramLabel = "NAME", description = "Node provider to use instead of the backend's (known: sim, azure-batch, netns).")
  String provider;

  @Option(names = "--sim-slurmd", paramLabel = "PROGRAM", defaultValue = "true",
      description = "With the sim provider: the program nodes start as slurmd (default: ${DEFAULT-VALUE}, i.e. none).")
  String simSlurmd;

  static Duration parseDuration(String option, String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new UsageException(option + " '" + text + "' is not a positive duration such as 10s, 500ms or 1m");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      default -> Duration.ofMinutes(n);
    };
  }

  /** The engine decides a host failed a little before Slurm's ResumeTimeout, so the reason is Slipway's. */
  static Duration engineResumeTimeout(Duration slurmResumeTimeout) {
    Duration margin = slurmResumeTimeout.dividedBy(10);
    return slurmResumeTimeout.minus(margin.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : margin);
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    Duration passPeriod = parseDuration("--period", period);
    InetAddress bind;
    try {
      bind = InetAddress.getByName(listen);
    } catch (UnknownHostException e) {
      throw new UsageException("--listen " + listen + ": unknown address");
    }
    ClusterConfig cfg = config.load().config();
    ClusterHome home = ClusterHome.of(cfg);
    ClusterTopology topology = ClusterTopology.fromConfig(cfg.slurm().options());
    String clusterId = cfg.slurm().clusterId();
    JoinSecrets secrets = JoinSecrets.loadOrCreate(home.secrets(), topology.pools().stream().map(PoolTopology::poolId).toList(), new SecureRandom());
    DaemonIdentity identity = DaemonIdentity.loadOrCreate(home.secrets(), clusterId, new SecureRandom(), InstantSource.system());
    String holder = Optional.ofNullable(id).orElseGet(DaemonCommand::defaultId);
    List<String> servers = Optional.ofNullable(confServers).filter(l -> !l.isEmpty())
        .orElseGet(() -> List.of(bind.isAnyLocalAddress() ? defaultHostName() : bind.getHostAddress()));
    InstantSource clock = InstantSource.system();

    StateStore store = Backends.openStore(cfg);
    AtomicReference<List<String>> joinUrls = new AtomicReference<>(List.of());
    SimNodeLauncher launcher = new SimNodeLauncher(home.dir().resolve("sim-nodes"), home.secrets(), clusterId, joinUrls::get, simSlurmd);
    String providerName = Optional.ofNullable(provider).orElse(Backends.providerNameFor(cfg.slipway().backend()));
    Backends.ProviderContext providerContext = new Backends.ProviderContext(cfg, home, clock, launcher,
        Optional.ofNullable(nodeJoinUrls).orElse(List.of()), Optional.ofNullable(providerNetns).filter(p -> !p.isBlank()).map(Path::of));
    // netns nodes are known to the process that made them; a new leader builds its provider again to adopt them
    NodeProvider nodes = providerName.equals("netns")
        ? new RefreshingProvider(() -> Backends.providers().create(providerName, providerContext))
        : Backends.providers().create(providerName, providerContext);
    Path slurmConf = home.etc().resolve("slurm.conf");
    Map<String, String> slurmEnv = Files.exists(slurmConf) ? Map.of("SLURM_CONF", slurmConf.toString()) : Map.of();
    SlurmControlPort slurm = new SlurmControlPort(new ScontrolSlurmControl(new ProcessCommandRunner(slurmEnv)));
    EngineTimings engineTimings = new EngineTimings(engineResumeTimeout(cfg.slipway().resumeTimeout()),
        EngineTimings.DEFAULTS.orphanGrace(), EngineTimings.DEFAULTS.backoffBase(), EngineTimings.DEFAULTS.backoffMax());
    NodeMounts nodeMounts = NodeMounts.read(home.secrets());
    JoinSettings join = new JoinSettings(clusterId, secrets.joinTokens(), servers, secrets.mungeKey(), nodeMounts.mounts(), nodeMounts.secretFiles());

    DaemonRuntime.Parts parts = DaemonRuntime.Parts.of(store, nodes, slurm, topology, join, holder)
        .withEngineTimings(engineTimings)
        .withTimings(Daemon.Timings.defaults().withPeriod(passPeriod))
        .withListen(bind, Optional.ofNullable(port).orElse(cfg.slipway().daemonPort()))
        .withClock(clock)
        .withSpool(home.spool(), home.logs().resolve("power.log"))
        .withEventRetention(Daemon.EventRetention.keeping(cfg.slipway().eventRetention()))
        .withIdentity(identity);
    if (providerName.equals("netns")) {
      parts = parts.withSlurmds(netnsSlurmds(cfg, clock));
    }
    DaemonRuntime runtime = DaemonRuntime.start(parts);
    joinUrls.set(List.of(runtime.baseUrl()));
    log.info("slipway daemon {} for cluster {} ({} provider, {} pools) listening on {} (TLS key pin {})", holder, clusterId, providerName,
        topology.pools().size(), runtime.address(), identity.pin());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping: releasing the lease");
      try {
        runtime.close();
        nodes.close();
        store.close();
      } finally {
        stopped.countDown();
      }
    }, "slipway-daemon-shutdown"));
    stopped.await();
    return 0;
  }

  /** The slurmds of this cluster's netns nodes, which the leader may ask to register again. */
  private static LostRegistrations.Slurmds netnsSlurmds(ClusterConfig cfg, InstantSource clock) {
    ProcessCommandRunner runner = new ProcessCommandRunner();
    return new NetnsSlurmds(new LocalNetwork(cfg.slurm().clusterId(), Subnet.parse(cfg.slipway().local().subnet()), runner, clock, Pause.REAL),
        runner);
  }

  private static String defaultId() {
    return defaultHostName() + ":" + ProcessHandle.current().pid();
  }

  private static String defaultHostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
