package dev.slipway.engine;

import dev.slipway.engine.EngineListener.ResumeStage;
import dev.slipway.engine.PlanAction.DeleteBinding;
import dev.slipway.engine.PlanAction.PutBinding;
import dev.slipway.engine.PlanAction.PutPool;
import dev.slipway.engine.PlanAction.RecordEvent;
import dev.slipway.engine.PlanAction.RemoveNodes;
import dev.slipway.engine.PlanAction.ResizePool;
import dev.slipway.engine.PlanAction.UpdateSlurm;
import dev.slipway.model.ErrorClass;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.EngineEvent;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.StateChanges;
import dev.slipway.spi.StateStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Runs reconcile passes: snapshot (store, then provider, then Slurm), {@link Planner#plan plan},
 * apply, record.
 *
 * <p><b>Concurrency.</b> One pass at a time per instance ({@link #pass()} is synchronized); one
 * leader per cluster runs passes (the daemon holds the store lease). The join service writes
 * bindings concurrently; the reconciler never overwrites its work because every store write is
 * compare-and-set on the version the plan was made from. Before removing nodes the reconciler
 * re-reads the bindings and removes only nodes that no binding holds or whose binding already says
 * RELEASING or FAILED, so a node that claimed a host since the snapshot is left alone.
 *
 * <p><b>Failure handling.</b> Provider calls are isolated per pool: a ProviderException stops
 * that pool's remaining provider steps for this pass, is classified, and opens the pool's backoff
 * (a resize still running is not a failure, just a reason to wait). Other pools go on. Slurm
 * updates that fail are reported and planned again next pass, since their condition still holds.
 * A refused store write drops the host's later provider and Slurm steps and its events. Store
 * unavailability propagates: without durable state there is nothing safe to do.
 *
 * <p><b>Incremental reads.</b> Reading every intent and binding on every pass made a pass cost
 * what exists rather than what changed (about 100 ms at 10,000 hosts, bench/burst.sh). So the
 * reconciler keeps a copy of the intents and bindings and each pass asks the store only for what
 * was written since the change sequence of its last read ({@link StateStore#changesSince}); the
 * store answers with everything when it cannot tell. The copy is a cache of durable state, never a
 * source of decisions the store does not hold: the planner still sees a complete snapshot, and the
 * copy is thrown away and read whole at the first pass, every {@value #FULL_READ_EVERY} passes,
 * after a pass that failed or found leadership lost, and on {@link #resync()}. The copy is kept in
 * {@link PersistentMap}s so the snapshot shares it instead of copying it, and the plan comes from
 * an {@link IncrementalPlanner}, which equals {@link Planner#plan} but plans only the hosts that
 * could act; it forgets what it knows on the same triggers.
 *
 * <p><b>Slurm reads.</b> Slurm's state of every host is read at most {@link #WHOLE_SLURM_READ_EVERY}
 * apart (and at the first pass, after a full store read, a failed read or {@link #resync()}). A pass
 * in between reads only the hosts whose intent or binding changed since their last read (a hook's
 * intent means slurmctld moved them; a join means slurmd will register), the hosts this engine sent
 * a Slurm update, and JOINED hosts (registration reaches no store): hook wake-ups come every few
 * seconds in a burst, and reading 10,000 states for each cost more than everything else a pass did.
 * What Slurm changes on its own (an operator's {@code scontrol update}) is seen within the period.
 *
 * <p><b>Crash safety.</b> Nothing but that cache is kept between passes in memory: every decision
 * is recomputed from durable state, and the plan makes the intent to act durable before the act (binding
 * RELEASING/FAILED before a removal, pool record "resize in flight" before a resize, binding
 * deletion only after the provider stopped listing the node). A crash after any step therefore
 * leaves a state from which the next pass, in this process or a new leader, issues the missing
 * steps again; provider calls are idempotent in effect (absolute targets, removal of named nodes).
 */
public final class Reconciler {
  private final StateStore store;
  private final NodeProvider provider;
  private final SlurmPort slurm;
  private final List<PoolTopology> topology;
  private final IncrementalPlanner planner;
  /** Every elastic host, pool by pool: the hosts whose Slurm state each pass reads. */
  private final List<String> hosts;
  private final Set<String> hostSet;
  private final BackoffPolicy backoffPolicy;
  private final InstantSource clock;
  private final EventSink sink;
  private final EngineListener listener;
  private final BooleanSupplier leading;

  /** A full read every this many passes, so a store bug in change tracking cannot persist. */
  static final int FULL_READ_EVERY = 100;

  /**
   * Slurm is read whole at least this often (the daemon's period); passes in between read only the
   * hosts whose Slurm state the engine has a reason to expect moved ({@link #slurmStale}, JOINED).
   */
  static final Duration WHOLE_SLURM_READ_EVERY = Duration.ofSeconds(10);

  /**
   * The intents and bindings as of {@link #viewSequence}, and Slurm's host states as of the last
   * read (guarded by this). Persistent maps: a snapshot takes them as they are, and a later update
   * makes new versions that share what did not change, so a pass neither copies them nor can see
   * them change under it.
   */
  private PersistentMap<String, HostIntent> intentView = PersistentMap.empty();
  private PersistentMap<String, HostBinding> bindingView = PersistentMap.empty();
  private PersistentMap<String, SlurmHostState> slurmView = PersistentMap.empty();
  /**
   * Hosts whose Slurm state must be read before the next plan even between whole reads: those
   * whose intent or binding changed since their state was last read (a hook's intent means Slurm
   * moved them; the ordering rule in {@link Snapshot} needs their state read after the store), and
   * those this engine sent Slurm updates for.
   */
  private final Set<String> slurmStale = new HashSet<>();
  /** Hosts whose binding is JOINED: slurmd registers them without any store write to say so. */
  private final Set<String> joinedHosts = new HashSet<>();
  /** When Slurm was last read whole; empty: the next read is whole (first pass, resync, failed read). */
  private Optional<Instant> wholeSlurmReadAt = Optional.empty();
  private long wholeSlurmReads;
  /** How many of {@link #bindingView}'s bindings are in each phase (for the listener, without a look at each). */
  private final Map<BindingPhase, Integer> phaseCounts = new EnumMap<>(BindingPhase.class);
  /** The store's change sequence of the last read; 0: the next read is a full one. */
  private long viewSequence;
  private int passesSinceFullRead;
  private long fullReads;

  public Reconciler(StateStore store, NodeProvider provider, SlurmPort slurm, List<PoolTopology> topology, EngineTimings timings,
      InstantSource clock, EventSink sink, EngineListener listener) {
    this(store, provider, slurm, topology, timings, clock, sink, listener, () -> true);
  }

  /**
   * {@code leading} is asked after planning, before anything is applied: a daemon that lost its
   * lease while it planned applies nothing (its late store writes would fail their compare-and-set
   * anyway, but its provider calls would not).
   */
  public Reconciler(StateStore store, NodeProvider provider, SlurmPort slurm, List<PoolTopology> topology, EngineTimings timings,
      InstantSource clock, EventSink sink, EngineListener listener, BooleanSupplier leading) {
    this.leading = Objects.requireNonNull(leading, "leading");
    this.store = Objects.requireNonNull(store, "store");
    this.provider = Objects.requireNonNull(provider, "provider");
    this.slurm = Objects.requireNonNull(slurm, "slurm");
    this.topology = List.copyOf(topology);
    this.planner = new IncrementalPlanner(timings);
    this.hosts = this.topology.stream().flatMap(t -> t.hosts().stream()).toList();
    this.hostSet = Set.copyOf(hosts);
    for (BindingPhase p : BindingPhase.values()) {
      phaseCounts.put(p, 0);
    }
    this.backoffPolicy = BackoffPolicy.of(timings);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** What one pass did, for the daemon's log and for tests. */
  public record PassResult(Plan plan, int conflicts, int providerFailures, int slurmFailures) {}

  public synchronized PassResult pass() {
    Instant started = clock.instant();
    List<HostEvent> events = new ArrayList<>();
    try {
      Snapshot snapshot = snapshot(started, events);
      Map<BindingPhase, Integer> phases = new EnumMap<>(phaseCounts);
      Plan plan = planner.plan(snapshot, started);
      if (!leading.getAsBoolean()) {
        // Another leader acts meanwhile; whatever this one holds is read again when it leads.
        resync();
        sink.accept(new EngineEvent(clock.instant(), "not-leader", "lost leadership while planning; " + plan.actions().size()
            + " planned actions dropped", Map.of()));
        return new PassResult(new Plan(List.of()), 0, 0, 0);
      }
      PassResult result = new Application(snapshot, phases, plan, started, events).apply();
      listener.passCompleted(Duration.between(started, clock.instant()), plan.actions().size(), result.conflicts());
      return result;
    } catch (RuntimeException e) {
      resync();
      throw e;
    }
  }

  /**
   * Makes the next pass read every intent and binding instead of what changed since the last one.
   * The daemon calls it when it becomes leader; the reconciler itself after a failed pass, after
   * finding leadership lost, and every {@value #FULL_READ_EVERY} passes.
   */
  public synchronized void resync() {
    viewSequence = 0;
    wholeSlurmReadAt = Optional.empty();
    planner.forget();
  }

  /** How many passes read everything (for tests and the simulator's report). */
  public synchronized long fullReads() {
    return fullReads;
  }

  /** How many passes read every host's Slurm state (the others read only the hosts that may have moved). */
  public synchronized long wholeSlurmReads() {
    return wholeSlurmReads;
  }

  /** Reads the world in the order the planner relies on: store, provider, Slurm. */
  public synchronized Snapshot snapshot(Instant now, List<HostEvent> events) {
    if (++passesSinceFullRead >= FULL_READ_EVERY) {
      viewSequence = 0;
    }
    if (viewSequence == 0) {
      // The resync triggers of the read are the planner's too: it plans every host.
      planner.forget();
    }
    refreshView();
    Map<String, HostIntent> intents = intentView;
    Map<String, HostBinding> bindings = bindingView;
    Map<String, PoolRecord> pools = store.pools();
    Map<String, PoolObservation> observed = new HashMap<>();
    for (PoolTopology t : topology) {
      Optional<NodePool> pool = provider.pool(t.poolId());
      if (pool.isEmpty()) {
        events.add(HostEvent.ofPool(now, t.poolId(), "provider-error",
            "provider " + provider.name() + " has no pool " + t.poolId() + "; create it or remove it from the configuration"));
        listener.providerCall(t.poolId(), "list", ErrorClass.CONFIGURATION.name());
        continue;
      }
      try {
        NodePool p = pool.get();
        observed.put(t.poolId(), new PoolObservation(p.status(), p.nodes(), p.maxSize()));
        listener.providerCall(t.poolId(), "list", "ok");
      } catch (RuntimeException e) {
        ProviderError err = classify(e);
        listener.providerCall(t.poolId(), "list", err.errorClass().name());
        events.add(HostEvent.ofPool(now, t.poolId(), "provider-error", "cannot list pool " + t.poolId() + ": " + err.summary() + ": " + err.message()));
      }
    }
    Optional<Map<String, SlurmHostState>> states;
    try {
      boolean whole = wholeSlurmReadAt.map(t -> !now.isBefore(t.plus(WHOLE_SLURM_READ_EVERY))).orElse(true);
      if (whole) {
        slurmView = merge(slurmView, slurm.hostStates(hosts));
        wholeSlurmReadAt = Optional.of(now);
        wholeSlurmReads++;
        listener.slurmCall("read", "ok");
      } else {
        Set<String> some = new HashSet<>(slurmStale);
        some.addAll(joinedHosts);
        some.retainAll(hostSet);
        if (!some.isEmpty()) {
          slurmView = mergeSome(slurmView, some, slurm.hostStates(some));
          listener.slurmCall("read", "ok");
        }
      }
      slurmStale.clear();
      states = Optional.of(slurmView);
    } catch (RuntimeException e) {
      // Whatever moved meanwhile is unknown: the next successful read is whole.
      wholeSlurmReadAt = Optional.empty();
      states = Optional.empty();
      listener.slurmCall("read", "error");
      topology.stream().findFirst().ifPresent(t -> events.add(HostEvent.ofPool(now, t.poolId(), "slurm-error",
          "cannot read Slurm node states (" + e.getMessage() + "); Slurm-dependent steps wait")));
    }
    return new Snapshot(topology, intents, bindings, pools, observed, states);
  }

  /** Brings the copy of intents and bindings up to the store's current change sequence. */
  private void refreshView() {
    StateChanges changes = store.changesSince(viewSequence);
    if (changes.complete()) {
      intentView = PersistentMap.copyOf(changes.intents());
      bindingView = PersistentMap.copyOf(changes.bindings());
      for (BindingPhase p : BindingPhase.values()) {
        phaseCounts.put(p, 0);
      }
      joinedHosts.clear();
      for (HostBinding b : bindingView.values()) {
        phaseCounts.merge(b.phase(), 1, Integer::sum);
        if (b.phase() == BindingPhase.JOINED) {
          joinedHosts.add(b.host());
        }
      }
      wholeSlurmReadAt = Optional.empty();
      passesSinceFullRead = 0;
      fullReads++;
    } else {
      PersistentMap.Edit<String, HostIntent> intents = intentView.edit();
      PersistentMap.Edit<String, HostBinding> bindings = bindingView.edit();
      for (String host : changes.hosts()) {
        put(intents, host, changes.intents().get(host));
        HostBinding before = bindingView.get(host);
        HostBinding after = changes.bindings().get(host);
        if (before != null) {
          phaseCounts.merge(before.phase(), -1, Integer::sum);
        }
        if (after != null) {
          phaseCounts.merge(after.phase(), 1, Integer::sum);
        }
        put(bindings, host, after);
        if (after != null && after.phase() == BindingPhase.JOINED) {
          joinedHosts.add(host);
        } else {
          joinedHosts.remove(host);
        }
        slurmStale.add(host);
      }
      intentView = intents.done();
      bindingView = bindings.done();
    }
    viewSequence = changes.sequence();
  }

  private static <T> void put(PersistentMap.Edit<String, T> view, String host, T value) {
    if (value == null) {
      view.remove(host);
    } else {
      view.put(host, value);
    }
  }

  /** {@code view} updated for the hosts {@code asked}: those {@code read} lacks are gone from Slurm. */
  private static <T> PersistentMap<String, T> mergeSome(PersistentMap<String, T> view, Set<String> asked, Map<String, T> read) {
    PersistentMap.Edit<String, T> next = view.edit();
    for (String host : asked) {
      put(next, host, read.get(host));
    }
    return next.done();
  }

  /** {@code view} updated to {@code read}: unchanged states keep their place, so the planner sees only real changes. */
  private static <T> PersistentMap<String, T> merge(PersistentMap<String, T> view, Map<String, T> read) {
    if (view.isEmpty()) {
      // The first read: built in place (no copies at all), as the full store read is.
      return PersistentMap.copyOf(read);
    }
    PersistentMap.Edit<String, T> edit = view.edit();
    read.forEach(edit::put);
    PersistentMap<String, T> next = edit.done();
    if (next.size() != read.size()) {
      PersistentMap.Edit<String, T> gone = next.edit();
      next.keySet().stream().filter(host -> !read.containsKey(host)).forEach(gone::remove);
      next = gone.done();
    }
    return next;
  }

  static ProviderError classify(RuntimeException e) {
    if (e instanceof ProviderException pe) {
      return pe.error();
    }
    return new ProviderError(ErrorClass.TRANSIENT, e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
  }

  /** Applies one plan; per-pass state lives here so that nothing survives the pass. */
  private final class Application {
    private final Snapshot snapshot;
    private final Plan plan;
    private final Instant now;
    private final List<HostEvent> events;
    /** Bindings this pass wrote or deleted (null), over the snapshot's, and the phase counts that result. */
    private final Map<String, HostBinding> written = new HashMap<>();
    private final Map<BindingPhase, Integer> phases;
    private final Set<String> conflictedHosts = new HashSet<>();
    private final Set<String> stoppedPools = new HashSet<>();
    private Map<String, HostBinding> fresh;
    private int conflicts;
    private int providerFailures;
    private int slurmFailures;

    Application(Snapshot snapshot, Map<BindingPhase, Integer> phases, Plan plan, Instant now, List<HostEvent> events) {
      this.snapshot = snapshot;
      this.phases = phases;
      this.plan = plan;
      this.now = now;
      this.events = events;
    }

    /** Records {@code after} (null: deleted) as the host's binding and returns the one it replaces. */
    private HostBinding replace(String host, HostBinding after) {
      HostBinding before = written.containsKey(host) ? written.get(host) : snapshot.bindings().get(host);
      written.put(host, after);
      if (before != null) {
        phases.merge(before.phase(), -1, Integer::sum);
      }
      if (after != null) {
        phases.merge(after.phase(), 1, Integer::sum);
      }
      return before;
    }

    PassResult apply() {
      List<PlanAction> actions = plan.actions();
      for (int i = 0; i < actions.size(); i++) {
        PlanAction action = actions.get(i);
        if (action instanceof PutBinding) {
          // A run of binding writes is one store call (one transaction in SQLite): a pass that
          // requests 2,000 hosts makes one durable write, not 2,000. Each is still compare-and-set
          // on its own version, and all are durable before any provider step (those come later).
          int end = i;
          List<HostBinding> run = new ArrayList<>();
          while (end < actions.size() && actions.get(end) instanceof PutBinding p) {
            run.add(p.binding());
            end++;
          }
          List<Optional<HostBinding>> stored = store.putBindings(run);
          for (int k = 0; k < run.size(); k++) {
            putBinding(run.get(k), stored.get(k));
          }
          i = end - 1;
        } else if (action instanceof DeleteBinding d) {
          deleteBinding(d);
        } else if (action instanceof PutPool p) {
          if (store.putPool(p.pool()).isEmpty()) {
            conflicts++;
            stoppedPools.add(p.pool().poolId());
            events.add(HostEvent.ofPool(now, p.pool().poolId(), "conflict",
                "pool record of " + p.pool().poolId() + " changed since the snapshot; next pass"));
          }
        } else if (action instanceof RemoveNodes r) {
          remove(r);
        } else if (action instanceof ResizePool r) {
          resize(r);
        } else if (action instanceof UpdateSlurm u) {
          updateSlurm(u.update());
        } else if (action instanceof RecordEvent e) {
          if (e.event().host().map(h -> !conflictedHosts.contains(h)).orElse(true)) {
            events.add(e.event());
          }
        }
      }
      if (!events.isEmpty()) {
        store.appendEvents(events);
        for (HostEvent e : events) {
          Map<String, String> attributes = new LinkedHashMap<>();
          attributes.put("pool", e.poolId());
          e.host().ifPresent(h -> attributes.put("host", h));
          sink.accept(new EngineEvent(e.at(), e.kind(), e.message(), attributes));
        }
      }
      listener.hostsByPhase(phases);
      return new PassResult(plan, conflicts, providerFailures, slurmFailures);
    }

    private void putBinding(HostBinding b, Optional<HostBinding> stored) {
      if (stored.isEmpty()) {
        conflict(b.host());
        return;
      }
      HostBinding before = replace(b.host(), stored.get());
      b.error().filter(e -> before == null || !before.error().equals(b.error())).ifPresent(e -> listener.failure(b.poolId(), e.errorClass()));
      if (b.phase() == BindingPhase.REGISTERED && before != null && before.phase() == BindingPhase.JOINED) {
        reportLatencies(before);
      }
    }

    private void reportLatencies(HostBinding joined) {
      Optional<HostIntent> intent = Optional.ofNullable(snapshot.intents().get(joined.host()));
      Optional<ProviderNode> node = Optional.ofNullable(snapshot.observed().get(joined.poolId()))
          .flatMap(o -> o.nodes().stream().filter(n -> joined.nodeId().equals(Optional.of(n.id()))).findFirst());
      if (intent.isPresent() && node.isPresent()) {
        listener.resumeStage(joined.poolId(), ResumeStage.NODE_CREATED, positive(Duration.between(intent.get().at(), node.get().createdAt())));
        listener.resumeStage(joined.poolId(), ResumeStage.JOINED, positive(Duration.between(node.get().createdAt(), joined.since())));
      }
      listener.resumeStage(joined.poolId(), ResumeStage.REGISTERED, positive(Duration.between(joined.since(), now)));
    }

    private void deleteBinding(DeleteBinding d) {
      if (store.deleteBinding(d.host(), d.expectedVersion())) {
        replace(d.host(), null);
      } else {
        conflict(d.host());
      }
    }

    private void conflict(String host) {
      conflicts++;
      conflictedHosts.add(host);
    }

    private void remove(RemoveNodes r) {
      if (stoppedPools.contains(r.poolId())) {
        return;
      }
      if (fresh == null) {
        // What the store holds now (the join service may have claimed since the snapshot); the
        // snapshot keeps its own copy, so refreshing the view does not change this pass's plan.
        refreshView();
        fresh = bindingView;
      }
      Map<String, HostBinding> holders = new HashMap<>();
      fresh.values().forEach(b -> b.nodeId().ifPresent(n -> holders.put(n, b)));
      List<String> ids = r.nodeIds().stream().filter(id -> {
        HostBinding holder = holders.get(id);
        return holder == null
            || (!conflictedHosts.contains(holder.host())
                && (holder.phase() == BindingPhase.RELEASING || holder.phase() == BindingPhase.FAILED));
      }).toList();
      if (ids.isEmpty()) {
        return;
      }
      call(r.poolId(), "remove", pool -> pool.remove(ids));
    }

    private void resize(ResizePool r) {
      if (stoppedPools.contains(r.poolId())) {
        return;
      }
      call(r.poolId(), "resize", pool -> pool.resize(r.target()));
    }

    private void call(String poolId, String kind, java.util.function.Consumer<NodePool> body) {
      try {
        NodePool pool = provider.pool(poolId)
            .orElseThrow(() -> new ProviderException(new ProviderError(ErrorClass.CONFIGURATION, "PoolNotFound", "pool " + poolId + " vanished")));
        body.accept(pool);
        listener.providerCall(poolId, kind, "ok");
      } catch (RuntimeException e) {
        ProviderError err = classify(e);
        listener.providerCall(poolId, kind, err.errorClass().name());
        stoppedPools.add(poolId);
        if (err.errorClass() == ErrorClass.RESIZE_IN_PROGRESS) {
          settleRecord(poolId, kind, Optional.empty());
          return;
        }
        providerFailures++;
        listener.failure(poolId, err.errorClass());
        events.add(HostEvent.ofPool(now, poolId, "provider-error", kind + " of pool " + poolId + " failed: " + err.summary() + ": " + err.message()));
        settleRecord(poolId, kind, Optional.of(err));
      }
    }

    /** After a refused provider call: a resize that did not start is not in flight; a real failure backs off. */
    private void settleRecord(String poolId, String kind, Optional<ProviderError> err) {
      PoolRecord stored = store.pools().getOrDefault(poolId, PoolRecord.initial(poolId));
      PoolRecord next = new PoolRecord(poolId, stored.requested(),
          kind.equals("resize") ? Optional.empty() : stored.resizeStartedAt(),
          err.map(e -> backoffPolicy.afterFailures(stored.backoff(), List.of(e), now)).orElse(stored.backoff()), stored.version());
      if (!next.equals(stored) && store.putPool(next).isEmpty()) {
        conflicts++;
      }
    }

    private void updateSlurm(SlurmUpdate update) {
      SlurmUpdate filtered = without(update, conflictedHosts);
      if (filtered.hosts().isEmpty()) {
        return;
      }
      String kind = filtered.getClass().getSimpleName();
      // Read again next pass whether or not the call succeeded: until then the view is what Slurm was.
      slurmStale.addAll(filtered.hosts());
      try {
        slurm.update(filtered);
        listener.slurmCall(kind, "ok");
      } catch (RuntimeException e) {
        slurmFailures++;
        listener.slurmCall(kind, "error");
        String pool = topology.stream().filter(t -> filtered.hosts().stream().anyMatch(h -> t.hosts().contains(h)))
            .map(PoolTopology::poolId).findFirst().orElse("");
        events.add(HostEvent.ofPool(now, pool, "slurm-error", kind + " of " + filtered.hosts().size() + " hosts failed: " + e.getMessage()));
      }
    }
  }

  static SlurmUpdate without(SlurmUpdate update, Set<String> hosts) {
    if (hosts.isEmpty()) {
      return update;
    }
    if (update instanceof SlurmUpdate.MarkDown m) {
      return new SlurmUpdate.MarkDown(m.hosts().stream().filter(h -> !hosts.contains(h)).toList(), m.reason());
    } else if (update instanceof SlurmUpdate.PowerDown p) {
      return new SlurmUpdate.PowerDown(p.hosts().stream().filter(h -> !hosts.contains(h)).toList(), p.reason());
    } else if (update instanceof SlurmUpdate.ReturnToService r) {
      return new SlurmUpdate.ReturnToService(r.hosts().stream().filter(h -> !hosts.contains(h)).toList());
    }
    Map<String, String> left = new HashMap<>(((SlurmUpdate.SetAddress) update).addresses());
    left.keySet().removeAll(hosts);
    return new SlurmUpdate.SetAddress(left);
  }

  private static Duration positive(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }
}
