package dev.slipway.simulate;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.engine.EngineListener;
import dev.slipway.engine.EngineTimings;
import dev.slipway.engine.JoinRequest;
import dev.slipway.engine.JoinResult;
import dev.slipway.engine.JoinService;
import dev.slipway.engine.JoinSettings;
import dev.slipway.engine.PlanAction;
import dev.slipway.engine.PoolTopology;
import dev.slipway.engine.Reconciler;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.NodeType;
import dev.slipway.model.Secret;
import dev.slipway.sim.LatencyDistribution;
import dev.slipway.sim.SimFaults;
import dev.slipway.sim.SimPool;
import dev.slipway.sim.SimPoolSpec;
import dev.slipway.sim.SimProvider;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import dev.slipway.spi.StateStore;
import dev.slipway.store.sqlite.SqliteStateStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * {@code slipway simulate}: the real engine (planner, reconciler, join service, SQLite store) run
 * against the {@link SlurmModel} and the sim node provider on one virtual clock.
 *
 * <p><b>Wiring.</b> The model's power-save hooks record intents in the store as the
 * {@code slipway hook} commands do ({@link PowerSaveIntents}, through their own store connection)
 * and wake the daemon: a pass {@code wakeDelay} later, besides the periodic pass. A booted node's
 * start task is the node join: it asks the {@link JoinService} for a host, and its slurmd registers
 * with the model {@code slurmdStartDelay} later. A node that disappears, fails or is removed while
 * its slurmd serves a host is lost to the model ({@link SlurmModel#nodeLost}). The engine reads and
 * updates Slurm through {@link ModelSlurmPort}.
 *
 * <p><b>Time.</b> One discrete-event loop: each step jumps to the earliest of the model's next
 * event, the provider's, the harness's own (registrations, scenario events, join retries) and the
 * next pass; at that instant the model runs (hooks fire), then the provider (nodes boot and join),
 * then the harness's events, then a pass if one is due, then the model again so it reacts in the
 * same instant. Nothing sleeps; an hour of cluster time takes seconds.
 *
 * <p><b>Crashes.</b> A crashed daemon has no reconciler and no join service: wake-ups are lost,
 * booted nodes retry their join. A restart opens a new store connection on the same SQLite file
 * and builds a new reconciler, so everything it knows comes from durable state. A crash can also
 * be placed inside a pass, after a given number of store writes ({@link #crashDuringPass}).
 *
 * <p><b>Checks.</b> Throughout the run: no host claimed by two live nodes and no node bound to two
 * hosts; no pool above its max. At the end, once every job has ended and every host is suspended
 * (the run continues past the scenario's end for that, up to {@code drainLimit}): no node left.
 */
public final class Simulation {
  private static final String CLUSTER_ID = "sim";
  private static final int MAX_EXAMPLES = 10;

  private final Scenario scenario;
  private final SimTopology topology;
  private final List<PoolTopology> pools;
  private final SimulationSettings settings;
  private final long seed;
  private final List<PlannedCrash> plannedCrashes = new ArrayList<>();
  private Optional<EngineFront.Factory> front = Optional.empty();

  private record PlannedCrash(Instant at, int writesBeforeCrash, Duration downFor) {}

  public Simulation(Scenario scenario, List<ElasticPartition> partitions, SimulationSettings settings, long seed) {
    this.scenario = Objects.requireNonNull(scenario, "scenario");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.seed = seed;
    this.topology = SimTopology.from(partitions);
    Map<String, PoolTopology> byId = new LinkedHashMap<>();
    for (ElasticPartition partition : partitions) {
      for (ElasticPool p : partition.pools()) {
        byId.putIfAbsent(p.id(), PoolTopology.of(p.id(), p.hostPrefix(), p.maxComputeNodes(), p.computeNodeType(),
            partition.name(), p.weight(), p.reclaimExcludeNumNodes()));
      }
    }
    this.pools = List.copyOf(byId.values());
  }

  /**
   * Crashes the daemon inside its first pass at or after {@code at}, once that pass has made
   * {@code writesBeforeCrash} store writes, and restarts it {@code downFor} later.
   */
  public Simulation crashDuringPass(Instant at, int writesBeforeCrash, Duration downFor) {
    if (writesBeforeCrash < 0) {
      throw new IllegalArgumentException("writesBeforeCrash must be >= 0, got " + writesBeforeCrash);
    }
    plannedCrashes.add(new PlannedCrash(at, writesBeforeCrash, downFor));
    return this;
  }

  /**
   * Runs the engine through {@code factory}'s provider (e.g. azure-batch over an emulator) instead
   * of the simulated cloud directly. Joins then run after the cloud's step at the same instant,
   * and a join the daemon refuses makes the node unusable (the simulator cannot fail a start
   * task that has already returned).
   */
  public Simulation withEngineFront(EngineFront.Factory factory) {
    this.front = Optional.of(Objects.requireNonNull(factory, "factory"));
    return this;
  }

  /** The elastic pools as the engine sees them. */
  public List<PoolTopology> pools() {
    return pools;
  }

  public SimulationReport run() {
    long wallStart = System.nanoTime();
    boolean temporary = settings.stateDir().isEmpty();
    Path dir;
    try {
      dir = temporary ? Files.createTempDirectory("slipway-simulate-") : Files.createDirectories(settings.stateDir().get());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the simulation's state directory: " + e.getMessage(), e);
    }
    Path file = dir.resolve("slipway-sim-" + Long.toUnsignedString(System.nanoTime(), 36) + ".db");
    try (World world = new World(file)) {
      return world.run(wallStart);
    } finally {
      deleteQuietly(file);
      deleteQuietly(Path.of(file + "-wal"));
      deleteQuietly(Path.of(file + "-shm"));
      if (temporary) {
        deleteQuietly(dir);
      }
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // A leftover temporary file is not worth failing a finished run for.
    }
  }

  /** Converts the scenario's boot time to the provider's latency (log-normal capped at 4 sigma). */
  static LatencyDistribution latencyOf(BootTime boot) {
    if (boot instanceof BootTime.Fixed f) {
      return LatencyDistribution.fixed(f.value());
    } else if (boot instanceof BootTime.Uniform u) {
      return LatencyDistribution.uniform(u.min(), u.max());
    }
    BootTime.LogNormal l = (BootTime.LogNormal) boot;
    double capMillis = Math.min(l.median().toMillis() * Math.exp(4 * l.sigma()), Duration.ofDays(1).toMillis());
    return LatencyDistribution.lognormal(l.median(), l.sigma(), Duration.ofMillis((long) capMillis));
  }

  /** One run's mutable state; nothing outlives it. */
  private final class World implements AutoCloseable, PowerSaveHooks {
    private final Path storeFile;
    private final VirtualClock clock = new VirtualClock(scenario.start());
    private final SlurmModel model;
    private final SimProvider provider;
    private final Optional<EngineFront> engineFront;
    /** What the engine talks to: the simulated cloud, or the front in front of it. */
    private final dev.slipway.spi.NodeProvider engineProvider;
    private final StateStore hookStore;
    private final PowerSaveIntents intents = new PowerSaveIntents(pools);
    private final Counters counters = new Counters();
    private final JoinSettings joinSettings;
    private final EngineTimings timings;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<String, PoolTopology> poolById = new HashMap<>();

    private Optional<Daemon> daemon = Optional.empty();
    private final TreeSet<Instant> wakes = new TreeSet<>();
    private Instant nextPeriodicPass;
    private final PriorityQueue<Timed> queue = new PriorityQueue<>();
    private long queueSeq;

    /** Which node's slurmd serves which host, as the harness saw the joins. */
    private final Map<String, String> nodeOfHost = new HashMap<>();
    private final Map<String, String> hostOfNode = new HashMap<>();
    private final Map<String, ProviderNode> pendingJoins = new LinkedHashMap<>();
    private boolean joinRetryScheduled;

    private final Map<String, Integer> outage = new HashMap<>();
    private Map<String, Map<String, ProviderNode>> lastNodes = Map.of();
    private boolean providerDirty = true;
    private Instant accountedAt;
    private long liveDedicated;
    private long liveLowPriority;
    private double dedicatedSeconds;
    private double lowPrioritySeconds;

    private final Set<String> doubleAssigned = new LinkedHashSet<>();
    private int maxSizeExceeded;
    private final List<String> examples = new ArrayList<>();
    private int passes;
    private int crashes;
    private int restarts;
    private long engineCpuNanos;
    private long joinCpuNanos;
    private int joins;
    private long maxPassCpuNanos;
    private long fullReads;
    private long wholeSlurmReads;
    private int preempted;
    // The burst intake (see SimulationReport.Intake): resumed hosts and resize targets by pool,
    // and after each pass the cumulative CPU and whether every resumed host had its resize.
    private Optional<Instant> firstResume = Optional.empty();
    private Instant lastResume = Instant.MIN;
    private final Map<String, Set<String>> resumedByPool = new HashMap<>();
    private final Map<String, Integer> resizedToByPool = new HashMap<>();
    private final List<PassMark> passMarks = new ArrayList<>();
    private long passCpuBeforeFirstResume;
    private long joinCpuBeforeFirstResume;
    private int joinsBeforeFirstResume;
    private int passesBeforeFirstResume;

    private record PassMark(Instant at, long passCpuNanos, long joinCpuNanos, int joins, int passes, boolean covered) {}
    private final List<PlannedCrash> crashesToPlace = new ArrayList<>(plannedCrashes);

    private record Daemon(CrashPointStore store, Reconciler reconciler, JoinService join) {}

    private record Timed(Instant at, long seq, Runnable action) implements Comparable<Timed> {
      @Override
      public int compareTo(Timed o) {
        int c = at.compareTo(o.at);
        return c != 0 ? c : Long.compare(seq, o.seq);
      }
    }

    World(Path storeFile) {
      this.storeFile = storeFile;
      pools.forEach(p -> poolById.put(p.poolId(), p));
      Duration rt = scenario.timing().resumeTimeout();
      // A little below Slurm's ResumeTimeout, so the engine (which says why) decides first.
      Duration margin = rt.dividedBy(10).compareTo(Duration.ofMinutes(1)) < 0 ? rt.dividedBy(10) : Duration.ofMinutes(1);
      this.timings = new EngineTimings(rt.minus(margin), EngineTimings.DEFAULTS.orphanGrace(),
          EngineTimings.DEFAULTS.backoffBase(), EngineTimings.DEFAULTS.backoffMax());
      Map<String, Secret> tokens = new HashMap<>();
      pools.forEach(p -> tokens.put(p.poolId(), Secret.of("join-token-" + p.poolId())));
      this.joinSettings = new JoinSettings(CLUSTER_ID, tokens, List.of("sim-controller"), Secret.of("sim-munge-key"), List.of());
      SimProvider.Builder builder = SimProvider.builder(clock).seed(seed).startTask(this::startTask);
      for (PoolTopology p : pools) {
        PoolBehaviour b = scenario.behaviourOf(p.poolId());
        builder.pool(new SimPoolSpec(p.poolId(), p.maxNodes(), LatencyDistribution.fixed(settings.resizeLatency()),
            LatencyDistribution.fixed(Duration.ZERO), latencyOf(b.bootTime()), LatencyDistribution.fixed(settings.removeLatency()),
            new SimFaults(b.startTaskFailure(), b.unusable(), 0, LatencyDistribution.fixed(Duration.ZERO))));
      }
      this.provider = builder.build();
      this.engineFront = front.map(f -> f.open(provider, clock));
      this.engineProvider = engineFront.<dev.slipway.spi.NodeProvider>map(EngineFront::provider).orElse(provider);
      this.hookStore = SqliteStateStore.open(storeFile);
      this.model = new SlurmModel(topology, scenario.timing(), this, scenario.start());
      scenario.jobs().forEach(model::submit);
      for (TimedEvent e : scenario.events()) {
        at(e.at(), () -> scenarioEvent(e));
      }
      this.accountedAt = scenario.start();
      this.nextPeriodicPass = scenario.start().plus(settings.passInterval());
    }

    SimulationReport run(long wallStart) {
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
          pool.resetPeakUsage();
        }
      }
      startDaemon(false);
      Instant end = scenario.end();
      Instant drainDeadline = end.plus(settings.drainLimit());
      boolean draining = false;
      boolean drained = false;
      while (true) {
        Instant next = earliest();
        if (!draining && next.isAfter(end)) {
          next = end;
        }
        if (draining && next.isAfter(drainDeadline)) {
          break;
        }
        step(next);
        if (!draining && !next.isBefore(end)) {
          draining = true;
          if (daemon.isEmpty()) {
            // Whatever the scenario did to the daemon, the end-of-run checks need one running.
            startDaemon(true);
          }
        }
        if (draining && isDrained()) {
          drained = true;
          break;
        }
      }
      account(clock.instant());
      return report(wallStart, drained);
    }

    private Instant earliest() {
      Instant next = model.nextEventAt();
      Optional<Instant> p = provider.nextEventAt();
      if (p.isPresent() && p.get().isBefore(next)) {
        next = p.get();
      }
      if (!queue.isEmpty() && queue.peek().at().isBefore(next)) {
        next = queue.peek().at();
      }
      Optional<Instant> pass = nextPassAt();
      if (pass.isPresent() && pass.get().isBefore(next)) {
        next = pass.get();
      }
      return next.isBefore(clock.instant()) ? clock.instant() : next;
    }

    private Optional<Instant> nextPassAt() {
      if (daemon.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(wakes.isEmpty() || nextPeriodicPass.isBefore(wakes.first()) ? nextPeriodicPass : wakes.first());
    }

    private void step(Instant t) {
      account(t);
      clock.set(t);
      model.advanceTo(t);
      if (provider.nextEventAt().map(n -> !n.isAfter(t)).orElse(false)) {
        providerDirty = true;
      }
      provider.advanceTo(t);
      engineFront.ifPresent(EngineFront::cloudAdvanced);
      while (!queue.isEmpty() && !queue.peek().at().isAfter(t)) {
        queue.poll().action().run();
      }
      observeNodes();
      if (nextPassAt().map(p -> !p.isAfter(t)).orElse(false)) {
        pass(t);
        observeNodes();
      }
      model.advanceTo(t);
    }

    // ---- the daemon ---------------------------------------------------------------------------

    private void startDaemon(boolean restart) {
      CrashPointStore store = new CrashPointStore(SqliteStateStore.open(storeFile));
      Reconciler reconciler = new Reconciler(store, engineProvider, new ModelSlurmPort(model), pools, timings, clock, EventSink.NONE, counters);
      JoinService join = new JoinService(store, engineProvider, joinSettings, clock, EventSink.NONE);
      daemon = Optional.of(new Daemon(store, reconciler, join));
      if (restart) {
        restarts++;
      }
      // A starting daemon reconciles at once.
      wakes.add(clock.instant());
      if (!pendingJoins.isEmpty()) {
        scheduleJoinRetry();
      }
    }

    private void crashDaemon() {
      daemon.ifPresent(d -> d.store().close());
      daemon = Optional.empty();
      wakes.clear();
      crashes++;
    }

    private void pass(Instant t) {
      Daemon d = daemon.orElseThrow();
      wakes.headSet(t, true).clear();
      nextPeriodicPass = t.plus(settings.passInterval());
      refreshCapacity();
      Optional<PlannedCrash> crash = crashesToPlace.stream().filter(c -> !c.at().isAfter(t)).findFirst();
      crash.ifPresent(c -> {
        crashesToPlace.remove(c);
        d.store().crashAfter(c.writesBeforeCrash());
      });
      long before = cpuNanos();
      long fullReadsBefore = d.reconciler().fullReads();
      long wholeSlurmReadsBefore = d.reconciler().wholeSlurmReads();
      Map<String, Long> resizesBefore = Map.copyOf(counters.resizeOkByPool);
      try {
        Reconciler.PassResult result = d.reconciler().pass();
        for (PlanAction a : result.plan().actions()) {
          if (a instanceof PlanAction.ResizePool r
              && !counters.resizeOkByPool.getOrDefault(r.poolId(), 0L).equals(resizesBefore.getOrDefault(r.poolId(), 0L))) {
            resizedToByPool.merge(r.poolId(), r.target().dedicated() + r.target().lowPriority(), Math::max);
          }
        }
        fullReads += d.reconciler().fullReads() - fullReadsBefore;
        wholeSlurmReads += d.reconciler().wholeSlurmReads() - wholeSlurmReadsBefore;
      } catch (CrashPointStore.DaemonCrashed e) {
        crashDaemon();
        Duration down = crash.map(PlannedCrash::downFor).orElse(Duration.ZERO);
        at(t.plus(down), () -> {
          if (daemon.isEmpty()) {
            startDaemon(true);
          }
        });
      } finally {
        long spent = cpuNanos() - before;
        engineCpuNanos += spent;
        maxPassCpuNanos = Math.max(maxPassCpuNanos, spent);
        d.store().disarm();
      }
      passes++;
      if (firstResume.isPresent()) {
        boolean covered = resumedByPool.entrySet().stream()
            .allMatch(e -> resizedToByPool.getOrDefault(e.getKey(), 0) >= e.getValue().size());
        passMarks.add(new PassMark(t, engineCpuNanos - joinCpuNanos, joinCpuNanos, joins, passes, covered));
      }
      providerDirty = true;
      checkBindings();
      checkPoolSizes();
    }

    private long cpuNanos() {
      return threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : System.nanoTime();
    }

    /** The scenario's capacity (or an outage's) as "this many more nodes can be allocated" before each pass. */
    private void refreshCapacity() {
      for (PoolTopology p : pools) {
        OptionalInt cap = outage.containsKey(p.poolId()) ? OptionalInt.of(outage.get(p.poolId()))
            : scenario.behaviourOf(p.poolId()).capacity();
        if (cap.isEmpty()) {
          provider.clearAllocationLimit(p.poolId());
          continue;
        }
        long live = provider.simPool(p.poolId()).nodes().stream()
            .filter(n -> !n.state().isFailed() && n.state() != ProviderNodeState.LEAVING).count();
        provider.limitAllocation(p.poolId(), ErrorClass.CAPACITY, (int) Math.max(0, cap.getAsInt() - live));
      }
    }

    // ---- hooks (slurmctld's ResumeProgram, SuspendProgram, ResumeFailProgram) -----------------

    @Override
    public void resume(List<String> hosts, List<String> jobIds) {
      hook(hosts, IntentSource.RESUME, jobIds);
    }

    @Override
    public void suspend(List<String> hosts) {
      hook(hosts, IntentSource.SUSPEND, List.of());
    }

    @Override
    public void resumeFail(List<String> hosts) {
      hook(hosts, IntentSource.RESUME_FAIL, List.of());
    }

    private void hook(List<String> hosts, IntentSource source, List<String> jobIds) {
      List<HostIntent> recorded = hookStore.recordIntents(intents.requests(hosts, source, jobIds), clock.instant());
      if (source == IntentSource.RESUME && !recorded.isEmpty() && !clock.instant().isBefore(scenario.burstFrom())) {
        if (firstResume.isEmpty()) {
          firstResume = Optional.of(clock.instant());
          passCpuBeforeFirstResume = engineCpuNanos - joinCpuNanos;
          joinCpuBeforeFirstResume = joinCpuNanos;
          joinsBeforeFirstResume = joins;
          passesBeforeFirstResume = passes;
        }
        lastResume = clock.instant();
        recorded.forEach(i -> resumedByPool.computeIfAbsent(i.poolId(), k -> new HashSet<>()).add(i.host()));
      }
      if (daemon.isPresent()) {
        wakes.add(clock.instant().plus(settings.wakeDelay()));
      }
    }

    // ---- nodes --------------------------------------------------------------------------------

    /** The sim provider runs this when a node has booted: the node's join script. */
    private boolean startTask(ProviderNode node) {
      if (engineFront.isPresent()) {
        // The front answers on its own threads and reads the simulator, which this callback holds.
        at(clock.instant(), () -> frontJoin(node));
        return true;
      }
      if (daemon.isEmpty()) {
        // The join script retries while the daemon does not answer; the node waits booted.
        pendingJoins.put(node.id(), node);
        return true;
      }
      JoinResult result = join(node);
      if (result instanceof JoinResult.Rejected r) {
        if (r.reason() == JoinResult.Rejection.UNAVAILABLE) {
          pendingJoins.put(node.id(), node);
          scheduleJoinRetry();
          return true;
        }
        return false;
      }
      return true;
    }

    private void frontJoin(ProviderNode node) {
      if (!alive(node.id())) {
        return;
      }
      if (daemon.isEmpty()) {
        pendingJoins.put(node.id(), node);
        return;
      }
      JoinResult result = join(node);
      if (result instanceof JoinResult.Rejected r) {
        if (r.reason() == JoinResult.Rejection.UNAVAILABLE) {
          pendingJoins.put(node.id(), node);
          scheduleJoinRetry();
        } else {
          provider.makeUnusable(node.poolId(), node.id());
        }
      }
    }

    private JoinResult join(ProviderNode node) {
      Daemon d = daemon.orElseThrow();
      long before = cpuNanos();
      String engineId = engineFront.map(f -> f.engineNodeId(node)).orElse(node.id());
      JoinResult result = d.join().join(new JoinRequest(CLUSTER_ID, node.poolId(), engineId,
          joinSettings.joinTokens().get(node.poolId()), node.address().orElse("")));
      long spent = cpuNanos() - before;
      engineCpuNanos += spent;
      joinCpuNanos += spent;
      joins++;
      if (result instanceof JoinResult.Accepted a) {
        String host = a.response().host();
        String holder = nodeOfHost.get(host);
        if (holder != null && !holder.equals(node.id())) {
          if (alive(holder)) {
            violation(doubleAssigned.add(host), "host " + host + " claimed by node " + node.id() + " while node " + holder
                + " still serves it");
          } else {
            model.nodeLost(host);
          }
          hostOfNode.remove(holder);
        }
        nodeOfHost.put(host, node.id());
        hostOfNode.put(node.id(), host);
        String nodeId = node.id();
        at(clock.instant().plus(settings.slurmdStartDelay()), () -> {
          if (nodeId.equals(nodeOfHost.get(host)) && alive(nodeId)) {
            model.registered(host, clock.instant());
          }
        });
      }
      return result;
    }

    private void scheduleJoinRetry() {
      if (joinRetryScheduled) {
        return;
      }
      joinRetryScheduled = true;
      at(clock.instant().plus(settings.joinRetryInterval()), () -> {
        joinRetryScheduled = false;
        if (daemon.isEmpty()) {
          scheduleJoinRetry();
          return;
        }
        for (ProviderNode node : List.copyOf(pendingJoins.values())) {
          pendingJoins.remove(node.id());
          if (!alive(node.id()) || daemon.isEmpty()) {
            continue;
          }
          JoinResult r = join(node);
          if (r instanceof JoinResult.Rejected rej && rej.reason() == JoinResult.Rejection.UNAVAILABLE) {
            pendingJoins.put(node.id(), node);
          }
          // Any other refusal: the script gives up; the node stays up unbound and the engine removes it as an orphan.
        }
        if (!pendingJoins.isEmpty()) {
          scheduleJoinRetry();
        }
      });
    }

    private boolean alive(String nodeId) {
      String poolId = nodeId.substring("sim-".length(), nodeId.lastIndexOf('-'));
      return provider.simPool(poolId).nodes().stream()
          .anyMatch(n -> n.id().equals(nodeId) && !n.state().isFailed() && n.state() != ProviderNodeState.LEAVING);
    }

    /** Lists the pools after anything that may have changed them: lost slurmds, node-seconds. */
    private void observeNodes() {
      if (!providerDirty) {
        return;
      }
      providerDirty = false;
      Map<String, Map<String, ProviderNode>> now = new HashMap<>();
      long dedicated = 0;
      long lowPriority = 0;
      for (PoolTopology p : pools) {
        Map<String, ProviderNode> byId = new HashMap<>();
        for (ProviderNode n : provider.simPool(p.poolId()).nodes()) {
          byId.put(n.id(), n);
          if (n.lowPriority()) {
            lowPriority++;
          } else {
            dedicated++;
          }
        }
        now.put(p.poolId(), byId);
      }
      lastNodes = now;
      liveDedicated = dedicated;
      liveLowPriority = lowPriority;
      for (Map.Entry<String, String> e : List.copyOf(hostOfNode.entrySet())) {
        String nodeId = e.getKey();
        String host = e.getValue();
        ProviderNode n = now.values().stream().map(m -> m.get(nodeId)).filter(Objects::nonNull).findFirst().orElse(null);
        if (n == null || n.state().isFailed() || n.state() == ProviderNodeState.LEAVING) {
          hostOfNode.remove(nodeId);
          if (nodeId.equals(nodeOfHost.get(host))) {
            nodeOfHost.remove(host);
            model.nodeLost(host);
          }
        }
      }
    }

    private void account(Instant t) {
      double seconds = Duration.between(accountedAt, t).toMillis() / 1000.0;
      if (seconds > 0) {
        dedicatedSeconds += liveDedicated * seconds;
        lowPrioritySeconds += liveLowPriority * seconds;
        accountedAt = t;
      }
    }

    // ---- scenario events ----------------------------------------------------------------------

    private void scenarioEvent(TimedEvent e) {
      providerDirty = true;
      switch (e.kind()) {
        case DAEMON_CRASH -> {
          if (daemon.isPresent()) {
            crashDaemon();
          }
          e.duration().ifPresent(d -> at(e.at().plus(d), () -> {
            if (daemon.isEmpty()) {
              startDaemon(true);
            }
          }));
        }
        case DAEMON_RESTART -> {
          if (daemon.isPresent()) {
            crashDaemon();
          }
          startDaemon(true);
        }
        case PREEMPT -> preempted += provider.preempt(e.pool().orElseThrow(), e.count()).size();
        case CAPACITY_OUTAGE -> {
          String pool = e.pool().orElseThrow();
          outage.put(pool, e.count());
          at(e.at().plus(e.duration().orElse(Duration.ZERO)), () -> outage.remove(pool));
        }
      }
    }

    private void at(Instant t, Runnable action) {
      queue.add(new Timed(t, queueSeq++, action));
    }

    // ---- invariants ---------------------------------------------------------------------------

    private void checkBindings() {
      if (daemon.isEmpty()) {
        return;
      }
      Map<String, List<String>> hostsOfNode = new HashMap<>();
      for (HostBinding b : hookStore.bindings().values()) {
        b.nodeId().ifPresent(n -> hostsOfNode.computeIfAbsent(n, k -> new ArrayList<>()).add(b.host()));
      }
      hostsOfNode.forEach((node, hosts) -> {
        if (hosts.size() > 1) {
          boolean fresh = false;
          for (String h : hosts) {
            fresh |= doubleAssigned.add(h);
          }
          violation(fresh, "node " + node + " bound to hosts " + hosts);
        }
      });
    }

    private void checkPoolSizes() {
      for (PoolTopology p : pools) {
        SimPool pool = provider.simPool(p.poolId());
        PoolStatus status = pool.status();
        long live = pool.nodes().stream().filter(n -> n.state() != ProviderNodeState.LEAVING).count();
        if (status.target().total() > p.maxNodes() || live > p.maxNodes()) {
          maxSizeExceeded++;
          violation(true, "pool " + p.poolId() + " above max " + p.maxNodes() + ": target " + status.target() + ", " + live
              + " live nodes at " + clock.instant());
        }
      }
    }

    private void violation(boolean counted, String message) {
      if (counted && examples.size() < MAX_EXAMPLES) {
        examples.add(message);
      }
    }

    // ---- the end ------------------------------------------------------------------------------

    /** Every job ended, every host powered down (or kept up by SuspendExcNodes), no node left but theirs. */
    private boolean isDrained() {
      if (daemon.isEmpty()) {
        return false;
      }
      SimStats s = model.stats();
      if (s.jobsSubmitted() + s.jobsRejected() < scenario.jobs().size()) {
        return false;
      }
      for (JobView j : model.jobs()) {
        if (j.state() == JobState.PENDING || j.state() == JobState.CONFIGURING || j.state() == JobState.RUNNING) {
          return false;
        }
      }
      Set<String> keptUp = new HashSet<>();
      for (HostState h : model.hosts()) {
        if (h.power() == PowerState.POWERED_DOWN) {
          continue;
        }
        if (h.power() == PowerState.UP && isSuspendExcluded(h.host())) {
          keptUp.add(h.host());
          continue;
        }
        return false;
      }
      for (PoolTopology p : pools) {
        SimPool pool = provider.simPool(p.poolId());
        if (pool.status().resizing()) {
          return false;
        }
      }
      return leakedNodes(keptUp) == 0;
    }

    private boolean isSuspendExcluded(String host) {
      return pools.stream().anyMatch(p -> p.reclaimExcluded().contains(host));
    }

    private int leakedNodes(Set<String> keptUp) {
      int leaked = 0;
      for (PoolTopology p : pools) {
        for (ProviderNode n : provider.simPool(p.poolId()).nodes()) {
          String host = hostOfNode.get(n.id());
          if (host == null || !keptUp.contains(host)) {
            leaked++;
          }
        }
      }
      return leaked;
    }

    private SimulationReport report(long wallStart, boolean drained) {
      Set<String> keptUp = new HashSet<>();
      model.hosts().stream().filter(h -> h.power() == PowerState.UP && isSuspendExcluded(h.host())).forEach(h -> keptUp.add(h.host()));
      int leaked = leakedNodes(keptUp);
      if (leaked > 0) {
        violation(true, leaked + " nodes left at " + clock.instant() + (drained ? "" : " (the run did not drain within the drain limit)"));
      }
      SimStats s = model.stats();
      int unfinished = (int) model.jobs().stream()
          .filter(j -> j.state() == JobState.PENDING || j.state() == JobState.CONFIGURING || j.state() == JobState.RUNNING).count()
          + (scenario.jobs().size() - s.jobsSubmitted() - s.jobsRejected());
      long peakHeap = ManagementFactory.getMemoryPoolMXBeans().stream()
          .filter(p -> p.getType() == MemoryType.HEAP && p.isValid())
          .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
      return new SimulationReport(
          new SimulationReport.Run(scenario.file().toString(), seed, scenario.start(), scenario.end(), clock.instant(), drained,
              (System.nanoTime() - wallStart) / 1_000_000),
          new SimulationReport.Jobs(s.jobsSubmitted(), s.jobsRejected(), s.jobsCompleted(), s.jobsFailed(), unfinished, s.requeues(),
              s.waitSummary()),
          new SimulationReport.Hosts(s.hostsResumed(), s.hostsSuspended(), s.resumeFailures(), s.unexpectedRegistrations(),
              s.bootSummary()),
          new SimulationReport.ProviderCalls(counters.resize, counters.remove, counters.list, counters.failed, counters.resizeByPool),
          new SimulationReport.Invariants(doubleAssigned.size(), leaked, maxSizeExceeded + counters.refusedAboveMax, examples),
          new SimulationReport.NodeSeconds(dedicatedSeconds, lowPrioritySeconds),
          new SimulationReport.Engine(passes, crashes, restarts, engineCpuNanos / 1_000_000, maxPassCpuNanos / 1_000_000, joins,
              joinCpuNanos / 1_000_000,
              peakHeap / (1024 * 1024), preempted, fullReads, wholeSlurmReads),
          intake());
    }

    /** The first pass after the last resume call at which every resumed host's pool was resized to cover it. */
    private Optional<SimulationReport.Intake> intake() {
      if (firstResume.isEmpty()) {
        return Optional.empty();
      }
      return passMarks.stream().filter(m -> !m.at().isBefore(lastResume) && m.covered()).findFirst()
          .map(m -> new SimulationReport.Intake(
              resumedByPool.values().stream().mapToInt(Set::size).sum(),
              Duration.between(firstResume.get(), m.at()),
              m.passes() - passesBeforeFirstResume,
              (m.passCpuNanos() - passCpuBeforeFirstResume) / 1_000_000,
              m.joins() - joinsBeforeFirstResume,
              (m.joinCpuNanos() - joinCpuBeforeFirstResume) / 1_000_000));
    }

    @Override
    public void close() {
      engineFront.ifPresent(EngineFront::close);
      daemon.ifPresent(d -> d.store().close());
      hookStore.close();
    }
  }

  /** Provider calls as the engine reports them. */
  private static final class Counters implements EngineListener {
    long resize;
    long remove;
    long list;
    long failed;
    int refusedAboveMax;
    final Map<String, Long> resizeByPool = new HashMap<>();
    final Map<String, Long> resizeOkByPool = new HashMap<>();

    @Override
    public void providerCall(String poolId, String call, String outcome) {
      switch (call) {
        case "resize" -> {
          resize++;
          resizeByPool.merge(poolId, 1L, Long::sum);
          if (outcome.equals("ok")) {
            resizeOkByPool.merge(poolId, 1L, Long::sum);
          }
          if (outcome.equals(ErrorClass.CONFIGURATION.name())) {
            refusedAboveMax++;
          }
        }
        case "remove" -> remove++;
        default -> list++;
      }
      if (!outcome.equals("ok")) {
        failed++;
      }
    }
  }
}
