package dev.slipway.sim;

import dev.slipway.model.ErrorClass;
import dev.slipway.sim.SimStats.CallKind;
import dev.slipway.sim.SimStats.CallOutcome;
import dev.slipway.sim.SimStats.NodeEvent;
import dev.slipway.spi.FaultInjection;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The {@code sim} node provider: pools that behave like Azure Batch pools (one resize at a time,
 * target vs. nodes, resize errors, removal of at most 100 nodes per call, low-priority preemption)
 * in virtual time, with injectable faults. See docs/simulator.md.
 *
 * <p>Time: the provider owns no thread and never sleeps. Everything that takes time is an event in
 * a queue ordered by (time, sequence). Events run when the harness calls {@link #advanceTo} and,
 * so that an engine using the provider sees a consistent world, at the start of every API call
 * (up to {@code clock.instant()}). Each event runs at its own scheduled time, so results do not
 * depend on how coarsely the harness steps; {@link #nextEventAt()} lets a discrete-event harness
 * jump straight to the next one.
 *
 * <p>Determinism: one seeded generator, draws in a fixed order, nodes kept in creation order; the
 * same seed and the same sequence of calls give the same run.
 *
 * <p>Re-entrancy: a node's start task (the harness's node join) may call back into the provider,
 * e.g. to list the pool's nodes; such calls do not run further events while one is running.
 * Methods are synchronized so that an engine thread and a harness thread may share a provider, but
 * simulations are expected to be single-threaded.
 */
public final class SimProvider implements NodeProvider, FaultInjection {
  private final InstantSource clock;
  private final RandomGenerator random;
  private final Map<String, SimPool> pools = new LinkedHashMap<>();
  private final PriorityQueue<Scheduled> events = new PriorityQueue<>();
  private final Map<CallKind, Map<CallOutcome, Long>> calls = new EnumMap<>(CallKind.class);
  private final Map<NodeEvent, Long> nodeEvents = new EnumMap<>(NodeEvent.class);
  private final Consumer<Duration> latencySink;
  private StartTask startTask;
  private Duration callTime = Duration.ZERO;
  private long eventSeq;
  private boolean runningEvents;

  private record Scheduled(Instant at, long seq, Consumer<Instant> action) implements Comparable<Scheduled> {
    @Override
    public int compareTo(Scheduled o) {
      int c = at.compareTo(o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  private SimProvider(Builder b) {
    this.clock = b.clock;
    this.random = new SplittableRandom(b.seed);
    this.latencySink = b.latencySink;
    this.startTask = b.startTask;
    int index = 0;
    for (SimPoolSpec spec : b.pools) {
      if (pools.containsKey(spec.id())) {
        throw new IllegalArgumentException("duplicate simulated pool id '" + spec.id() + "'");
      }
      pools.put(spec.id(), new SimPool(this, spec, index++));
    }
  }

  public static Builder builder(InstantSource clock) {
    return new Builder(clock);
  }

  /** Builds a {@link SimProvider}; seed 0, no pools, start tasks that succeed by default. */
  public static final class Builder {
    private final InstantSource clock;
    private long seed;
    private final List<SimPoolSpec> pools = new ArrayList<>();
    private StartTask startTask = StartTask.SUCCEED;
    private Consumer<Duration> latencySink = d -> {};

    private Builder(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    public Builder pool(SimPoolSpec spec) {
      pools.add(Objects.requireNonNull(spec, "spec"));
      return this;
    }

    public Builder startTask(StartTask task) {
      this.startTask = Objects.requireNonNull(task, "task");
      return this;
    }

    /**
     * Told the virtual time each API call takes ({@link SimFaults#callLatency()}) before the call
     * takes effect; a harness with a fake clock advances it here, so slow calls cost time.
     */
    public Builder latencySink(Consumer<Duration> sink) {
      this.latencySink = Objects.requireNonNull(sink, "sink");
      return this;
    }

    public SimProvider build() {
      return new SimProvider(this);
    }
  }

  @Override
  public String name() {
    return "sim";
  }

  @Override
  public synchronized List<NodePool> pools() {
    return List.copyOf(pools.values());
  }

  @Override
  public synchronized Optional<NodePool> pool(String id) {
    return Optional.ofNullable(pools.get(id));
  }

  /** The simulated pool, with its simulation-only controls. */
  public synchronized SimPool simPool(String id) {
    SimPool pool = pools.get(id);
    if (pool == null) {
      throw new IllegalArgumentException("no simulated pool '" + id + "'; known: " + pools.keySet());
    }
    return pool;
  }

  /** Replaces the start task, e.g. once the harness has built the join service around this provider. */
  public synchronized void setStartTask(StartTask task) {
    this.startTask = Objects.requireNonNull(task, "task");
  }

  public synchronized void setFaults(String poolId, SimFaults faults) {
    simPool(poolId).setFaults(faults);
  }

  /** Runs every event due at or before {@code until}, each at its own time. */
  public synchronized void advanceTo(Instant until) {
    runEvents(until);
  }

  public synchronized Optional<Instant> nextEventAt() {
    return Optional.ofNullable(events.peek()).map(Scheduled::at);
  }

  public synchronized SimStats stats() {
    return new SimStats(calls, callTime, nodeEvents);
  }

  @Override
  public synchronized void limitAllocation(String poolId, ErrorClass errorClass, int allocatable) {
    simPool(poolId).limitAllocation(errorClass, allocatable);
  }

  @Override
  public synchronized void clearAllocationLimit(String poolId) {
    simPool(poolId).clearAllocationLimit();
  }

  @Override
  public synchronized List<String> preempt(String poolId, int count) {
    runEvents(clock.instant());
    return simPool(poolId).preempt(count, clock.instant());
  }

  /** Makes a node UNUSABLE now (hardware or agent failure of a running node). */
  public synchronized void makeUnusable(String poolId, String nodeId) {
    runEvents(clock.instant());
    simPool(poolId).makeUnusable(nodeId);
  }

  // ---- used by SimPool ----

  /**
   * Wraps one API call: its latency, then due events, then maybe an injected transient failure,
   * then the call itself; counts the outcome.
   */
  synchronized <T> T call(CallKind kind, SimFaults faults, Supplier<T> body) {
    Duration latency = faults.callLatency().sample(random);
    if (!latency.isZero()) {
      callTime = callTime.plus(latency);
      latencySink.accept(latency);
    }
    runEvents(clock.instant());
    if (faults.apiFailureRate() > 0 && random.nextDouble() < faults.apiFailureRate()) {
      count(kind, CallOutcome.TRANSIENT_FAILURE);
      throw new ProviderException(new ProviderError(ErrorClass.TRANSIENT, "ServerBusy",
          "simulated: the service is busy, retry later (" + kind.name().toLowerCase(java.util.Locale.ROOT) + ")"));
    }
    try {
      T result = body.get();
      count(kind, CallOutcome.OK);
      return result;
    } catch (ProviderException e) {
      count(kind, e.error().errorClass() == ErrorClass.TRANSIENT ? CallOutcome.TRANSIENT_FAILURE : CallOutcome.REFUSED);
      throw e;
    } catch (IllegalArgumentException e) {
      count(kind, CallOutcome.INVALID);
      throw e;
    }
  }

  void countInvalid(CallKind kind) {
    count(kind, CallOutcome.INVALID);
  }

  Instant now() {
    return clock.instant();
  }

  RandomGenerator random() {
    return random;
  }

  StartTask startTask() {
    return startTask;
  }

  void schedule(Instant at, Consumer<Instant> action) {
    events.add(new Scheduled(at, eventSeq++, action));
  }

  void nodeEvent(NodeEvent event, long n) {
    if (n > 0) {
      nodeEvents.merge(event, n, Long::sum);
    }
  }

  private void count(CallKind kind, CallOutcome outcome) {
    calls.computeIfAbsent(kind, k -> new EnumMap<>(CallOutcome.class)).merge(outcome, 1L, Long::sum);
  }

  private void runEvents(Instant until) {
    if (runningEvents) {
      return;
    }
    runningEvents = true;
    try {
      while (!events.isEmpty() && !events.peek().at().isAfter(until)) {
        Scheduled next = events.poll();
        next.action().accept(next.at());
      }
    } finally {
      runningEvents = false;
    }
  }

  @Override
  public String toString() {
    return "sim provider with pools " + Collections.unmodifiableSet(pools.keySet());
  }
}
