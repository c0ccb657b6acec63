package dev.slipway.cli.daemon;

import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.EngineListener;
import dev.slipway.engine.PoolTopology;
import dev.slipway.spi.EventSink;
import java.util.List;
import dev.slipway.engine.EngineTimings;
import dev.slipway.engine.JoinService;
import dev.slipway.engine.JoinSettings;
import dev.slipway.engine.Reconciler;
import dev.slipway.engine.SlurmPort;
import dev.slipway.hooks.PowerSaveHook;
import dev.slipway.hooks.SpoolImporter;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.StateStore;
import dev.slipway.tls.DaemonIdentity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A running daemon: the loop ({@link Daemon}) and its HTTPS endpoints ({@link DaemonServer}),
 * wired to one store, provider and Slurm. The command builds the parts from the configuration;
 * tests build them from fakes. Closing stops the loop (giving up the lease), then the server.
 */
public final class DaemonRuntime implements AutoCloseable {
  /**
   * Everything a daemon is made of. Start from {@link #of} (what every daemon must be given) and
   * change the rest with the {@code with...} methods, which name what differs from the defaults.
   * {@code port} 0 picks a free port. {@code spool}: the power-save spool to import every tick, and
   * {@code powerLog}, where lines about malformed spool files go. {@code slurmds}: how the leader
   * reaches its nodes' slurmds (see {@link LostRegistrations}); without it lost registrations are
   * not checked. {@code identity}: the TLS key the endpoints serve with, whose pin nodes and hooks
   * check.
   */
  public record Parts(StateStore store, NodeProvider provider, SlurmPort slurm, ClusterTopology topology, JoinSettings join,
      EngineTimings engineTimings, Daemon.Timings timings, String holderId, InetAddress listen, int port, InstantSource clock,
      Optional<Path> spool, Optional<Path> powerLog, Optional<LostRegistrations.Slurmds> slurmds, Daemon.EventRetention eventRetention,
      DaemonIdentity identity) {
    public Parts {
      Objects.requireNonNull(identity, "identity");
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(slurm, "slurm");
      Objects.requireNonNull(topology, "topology");
      Objects.requireNonNull(join, "join");
      Objects.requireNonNull(engineTimings, "engineTimings");
      Objects.requireNonNull(timings, "timings");
      Objects.requireNonNull(holderId, "holderId");
      Objects.requireNonNull(listen, "listen");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(spool, "spool");
      Objects.requireNonNull(powerLog, "powerLog");
      Objects.requireNonNull(slurmds, "slurmds");
      Objects.requireNonNull(eventRetention, "eventRetention");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is not 0..65535");
      }
    }

    /**
     * The parts every daemon needs; the rest defaults to {@link EngineTimings#DEFAULTS},
     * {@link Daemon.Timings#defaults()}, loopback on a free port, the system clock, no spool, no
     * slurmd access, {@link Daemon.EventRetention#defaults()} and a TLS key made for this daemon
     * alone (a real daemon shares the cluster's key: {@link #withIdentity}).
     */
    public static Parts of(StateStore store, NodeProvider provider, SlurmPort slurm, ClusterTopology topology, JoinSettings join,
        String holderId) {
      return new Parts(store, provider, slurm, topology, join, EngineTimings.DEFAULTS, Daemon.Timings.defaults(), holderId,
          InetAddress.getLoopbackAddress(), 0, InstantSource.system(), Optional.empty(), Optional.empty(), Optional.empty(),
          Daemon.EventRetention.defaults(), DaemonIdentity.generate(join.clusterId(), new SecureRandom(), InstantSource.system()));
    }

    public Parts withIdentity(DaemonIdentity identity) {
      return new Parts(store, provider, slurm, topology, join, engineTimings, timings, holderId, listen, port, clock, spool, powerLog,
          slurmds, eventRetention, identity);
    }

    public Parts withEngineTimings(EngineTimings engineTimings) {
      return new Parts(store, provider, slurm, topology, join, engineTimings, timings, holderId, listen, port, clock, spool, powerLog,
          slurmds, eventRetention, identity);
    }

    public Parts withTimings(Daemon.Timings timings) {
      return new Parts(store, provider, slurm, topology, join, engineTimings, timings, holderId, listen, port, clock, spool, powerLog,
          slurmds, eventRetention, identity);
    }

    /** Where the HTTP endpoints listen; {@code port} 0 picks a free one. */
    public Parts withListen(InetAddress listen, int port) {
      return new Parts(store, provider, slurm, topology, join, engineTimings, timings, holderId, listen, port, clock, spool, powerLog,
          slurmds, eventRetention, identity);
    }

    public Parts withClock(InstantSource clock) {
      return new Parts(store, provider, slurm, topology, join, engineTimings, timings, holderId, listen, port, clock, spool, powerLog,
          slurmds, eventRetention, identity);
    }

    /** Imports the power-save spool {@code spool} every tick, logging malformed files to {@code powerLog}. */
    public Parts withSpool(Path spool, Path powerLog) {
      return new Parts(store, provider, slurm, topology, join, engineTimings, timings, holderId, listen, port, clock, Optional.of(spool),
          Optional.of(powerLog), slurmds, eventRetention, identity);
    }

    public Parts withSlurmds(LostRegistrations.Slurmds slurmds) {
      return new Parts(store, provider, slurm, topology, join, engineTimings, timings, holderId, listen, port, clock, spool, powerLog,
          Optional.of(slurmds), eventRetention, identity);
    }

    public Parts withEventRetention(Daemon.EventRetention eventRetention) {
      return new Parts(store, provider, slurm, topology, join, engineTimings, timings, holderId, listen, port, clock, spool, powerLog,
          slurmds, eventRetention, identity);
    }
  }

  /** How often the leader compares registered hosts with Slurm, and asks one host again at most. */
  static final Duration LOST_REGISTRATION_CHECK = Duration.ofSeconds(5);

  private final Daemon daemon;
  private final DaemonServer server;
  private final DaemonMetrics metrics;

  private final DaemonIdentity identity;

  private DaemonRuntime(Daemon daemon, DaemonServer server, DaemonMetrics metrics, DaemonIdentity identity) {
    this.identity = identity;
    this.daemon = daemon;
    this.server = server;
    this.metrics = metrics;
  }

  /** Binds the HTTPS port, then starts the loop (which takes the lease when it is free). */
  public static DaemonRuntime start(Parts p) throws IOException {
    DaemonMetrics metrics = new DaemonMetrics();
    LoggingEventSink sink = new LoggingEventSink();
    Optional<SpoolImporter> spool = p.spool().map(dir ->
        new SpoolImporter(dir, new PowerSaveHook(p.topology(), p.store(), p.clock()), p.store(), p.clock(), p.powerLog()));
    Optional<LostRegistrations> lost = p.slurmds().map(s -> new LostRegistrations(p.store(), p.slurm(), s, p.clock(), LOST_REGISTRATION_CHECK));
    Daemon.Builder builder = Daemon.builder(p.store(), p.holderId(),
            leading -> fencedReconciler(leading, p.store(), p.provider(), p.slurm(), p.topology().pools(), p.engineTimings(), p.clock(),
                sink, metrics))
        .timings(p.timings())
        .clock(p.clock())
        .metrics(metrics)
        .onLead(() -> {
          if (p.provider() instanceof RefreshingProvider r) {
            r.refresh();
          }
        })
        .afterPass(() -> lost.ifPresent(LostRegistrations::check))
        .eventRetention(p.eventRetention());
    spool.ifPresent(builder::spool);
    Daemon daemon = builder.build();
    JoinService joins = new JoinService(p.store(), p.provider(), p.join(), p.clock(), sink);
    DaemonServer server = DaemonServer.start(p.listen(), p.port(), p.identity(), joins, daemon, metrics, p.join().joinTokens().keySet());
    daemon.start();
    return new DaemonRuntime(daemon, server, metrics, p.identity());
  }

  /** The reconciler a daemon runs: its store writes, pool calls and Slurm updates pass the leader's fence first. */
  static Reconciler fencedReconciler(Daemon.Leadership leading, StateStore store, NodeProvider provider, SlurmPort slurm,
      List<PoolTopology> pools, EngineTimings timings, InstantSource clock, EventSink sink, EngineListener listener) {
    LeaderFence fence = new LeaderFence(leading::holds);
    return new Reconciler(fence.store(store), fence.provider(provider), fence.slurm(slurm), pools, timings, clock, sink, listener, leading);
  }

  public Daemon daemon() {
    return daemon;
  }

  public DaemonMetrics metrics() {
    return metrics;
  }

  public InetSocketAddress address() {
    return server.address();
  }

  /** The pin of the key the endpoints serve with ({@code SLIPWAY_JOIN_PIN}, {@code --wake-pin}). */
  public String pin() {
    return identity.pin();
  }

  /** {@code https://host:port}, as nodes and hooks reach this daemon on the address it listens on. */
  public String baseUrl() {
    InetSocketAddress a = server.address();
    String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
    return "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  @Override
  public void close() {
    try {
      daemon.close();
    } finally {
      server.close();
    }
  }
}
