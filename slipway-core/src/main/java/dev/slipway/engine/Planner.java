package dev.slipway.engine;

import dev.slipway.engine.PlanAction.DeleteBinding;
import dev.slipway.engine.PlanAction.PutBinding;
import dev.slipway.engine.PlanAction.PutPool;
import dev.slipway.engine.PlanAction.RecordEvent;
import dev.slipway.engine.PlanAction.RemoveNodes;
import dev.slipway.engine.PlanAction.ResizePool;
import dev.slipway.engine.PlanAction.UpdateSlurm;
import dev.slipway.model.ErrorClass;
import dev.slipway.spi.Backoff;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Decides what one reconcile pass does: {@code plan(snapshot, now)} is a pure function of durable
 * state, provider state and Slurm state, with time passed in.
 *
 * <p><b>Concurrency.</b> The planner holds no state and does no I/O, so any thread may call it.
 * What it plans may race with the join service (which turns REQUESTED bindings into JOINED) and
 * with a deposed leader: every binding and pool write in the plan carries the version it was
 * planned from, so the store refuses it when the world moved on, and the reconciler then drops the
 * host's provider and Slurm steps too. The next pass plans again from the new state.
 *
 * <p><b>Failure handling.</b> Each pool is planned on its own: a pool the provider could not list
 * gets no actions, the others proceed. When Slurm could not be read, the rules that need Slurm
 * (registration, drift, adoption, capacity fallback, return to service) wait; provider work goes
 * on. Provider failures (failed resizes, nodes that fail to start, become unusable or are
 * preempted, resume timeouts) are classified with {@link ErrorClass} and open a per-pool
 * {@link BackoffPolicy backoff}; growth waits for it to end, removals never wait. CAPACITY and QUOTA
 * additionally mark the pool's idle hosts DOWN in Slurm (capacity fallback) so jobs go to the
 * partition's other pools, and return them when the backoff ends.
 *
 * <p><b>Timing.</b> Resume timeouts count from the host's UP intent, not from the latest retry, so
 * retries of one resume are bounded and a host never loops. Orphans are unbound ready nodes older
 * than the orphan grace. Backoff levels grow only between incidents (see {@link BackoffPolicy}).
 *
 * <p><b>Ordering.</b> Store writes come first in the plan so that the intent to act is durable
 * before the act: a node is removed only after its binding says RELEASING or FAILED, a pool is
 * resized only after its record says a resize is in flight, and a binding is deleted only once
 * the provider no longer lists its node. A crash between any two steps leaves a state from which
 * the next plan issues the missing steps again.
 */
public final class Planner {
  /** The reason Slurm shows for a preempted low-priority host; Slurm requeues its jobs. */
  public static final String PREEMPTED_REASON = "preempted";

  public static final String REASON_PREFIX = "slipway: ";

  private static final Set<ErrorClass> RETRYABLE =
      EnumSet.of(ErrorClass.START_TASK, ErrorClass.UNUSABLE, ErrorClass.PREEMPTED, ErrorClass.TRANSIENT);

  private final EngineTimings timings;
  private final BackoffPolicy backoffPolicy;

  public Planner(EngineTimings timings) {
    this.timings = Objects.requireNonNull(timings, "timings");
    this.backoffPolicy = BackoffPolicy.of(timings);
  }

  /** The full plan: every host of every pool is planned. The oracle {@link IncrementalPlanner} is tested against. */
  public Plan plan(Snapshot snapshot, Instant now) {
    Steps steps = new Steps();
    // Grouped once, so a pass costs O(hosts), not O(pools x hosts).
    Map<String, FullScope> scopes = new HashMap<>();
    snapshot.topology().forEach(t -> scopes.put(t.poolId(), new FullScope(t)));
    snapshot.bindings().forEach((host, b) -> {
      FullScope scope = scopes.get(b.poolId());
      if (scope != null) {
        scope.hosts.add(host);
        scope.desired += desires(b) ? 1 : 0;
        b.nodeId().ifPresent(n -> scope.holders.merge(n, 1, Integer::sum));
      }
    });
    snapshot.intents().forEach((host, i) -> {
      FullScope scope = scopes.get(i.poolId());
      if (scope != null) {
        scope.hosts.add(host);
      }
    });
    for (PoolTopology topology : sortedPools(snapshot)) {
      PoolObservation observed = snapshot.observed().get(topology.poolId());
      if (observed != null) {
        planPool(topology, observed, ownNodes(topology, observed), snapshot, scopes.get(topology.poolId()), now, steps);
      }
    }
    return steps.toPlan();
  }

  static List<PoolTopology> sortedPools(Snapshot snapshot) {
    return snapshot.topology().stream().sorted(Comparator.comparing(PoolTopology::poolId)).toList();
  }

  /** Plans one pool into {@code steps}, looking at the hosts {@code scope} names; says what it looked at and what acted. */
  PoolOutcome planPool(PoolTopology topology, PoolObservation observed, Map<String, ProviderNode> nodes, Snapshot snapshot,
      PoolScope scope, Instant now, Steps steps) {
    PoolPass pass = new PoolPass(topology, observed, nodes, snapshot, scope, now, steps);
    pass.run();
    return pass.outcome();
  }

  /** The pool's own nodes by id. Nodes of the other type (e.g. static dedicated nodes in a low-priority pool) are not ours. */
  static Map<String, ProviderNode> ownNodes(PoolTopology topology, PoolObservation observed) {
    Map<String, ProviderNode> nodes = new HashMap<>();
    for (ProviderNode n : observed.nodes()) {
      if (n.poolId().equals(topology.poolId()) && n.lowPriority() == topology.lowPriority()) {
        nodes.putIfAbsent(n.id(), n);
      }
    }
    return nodes;
  }

  /** A binding that asks the pool for a node (counts toward the pool's target). */
  static boolean desires(HostBinding b) {
    return b != null && switch (b.phase()) {
      case REQUESTED, JOINED, REGISTERED -> true;
      default -> false;
    };
  }

  /** Which hosts of a pool a pass plans, and the pool-wide counts of the snapshot's bindings that the pass needs. */
  interface PoolScope {
    /** Hosts to plan, in name order; may name hosts with no binding or intent in the pool (they are skipped). */
    Collection<String> hostsToPlan(HostContext context);

    /** Hosts to check for capacity fallback and return to service, in topology (index) order; {@code touched}: planned this pass. */
    Collection<String> fallbackHosts(HostContext context, Set<String> touched);

    /** How many of the snapshot's bindings in the pool want a node. */
    long desiredBindings();

    /** How many of the snapshot's bindings in the pool hold node {@code nodeId}. */
    int holders(String nodeId);
  }

  /** The pool's backoff as a step of the pass sees it: planning with an equal context decides equally. */
  record HostContext(Backoff backoff, boolean active, boolean fallback) {}

  /** What one pool's pass looked at and which of those hosts produced steps (for {@link IncrementalPlanner}). */
  record PoolOutcome(HostContext hostContext, HostContext fallbackContext, Set<String> planned, Set<String> active,
      Set<String> fallbackActive) {}

  /** Every host of the pool. */
  private static final class FullScope implements PoolScope {
    final PoolTopology topology;
    final Set<String> hosts = new TreeSet<>();
    final Map<String, Integer> holders = new HashMap<>();
    long desired;

    FullScope(PoolTopology topology) {
      this.topology = topology;
    }

    @Override
    public Collection<String> hostsToPlan(HostContext context) {
      return hosts;
    }

    @Override
    public Collection<String> fallbackHosts(HostContext context, Set<String> touched) {
      return topology.hosts();
    }

    @Override
    public long desiredBindings() {
      return desired;
    }

    @Override
    public int holders(String nodeId) {
      return holders.getOrDefault(nodeId, 0);
    }
  }

  /** The reason Slurm shows for a host failed in {@code poolId}, e.g. {@code slipway: CAPACITY AllocationFailed in pool gpu}. */
  public static String reason(ProviderError error, String poolId) {
    if (error.errorClass() == ErrorClass.PREEMPTED) {
      return PREEMPTED_REASON;
    }
    return REASON_PREFIX + error.summary() + " in pool " + poolId;
  }

  /** True for Slurm reasons the engine set, which it may therefore clear. */
  public static boolean isOwnReason(Optional<String> reason) {
    return reason.map(r -> r.startsWith(REASON_PREFIX) || r.equals(PREEMPTED_REASON)).orElse(false);
  }

  static ProviderError errorOf(ProviderNode node) {
    return node.error().orElseGet(() -> switch (node.state()) {
      case START_FAILED -> new ProviderError(ErrorClass.START_TASK, "StartTaskFailed", "node " + node.id() + " failed its start task");
      case PREEMPTED -> new ProviderError(ErrorClass.PREEMPTED, "NodePreempted", "node " + node.id() + " was preempted");
      default -> new ProviderError(ErrorClass.UNUSABLE, "NodeUnusable", "node " + node.id() + " became unusable");
    });
  }

  /** Accumulates the plan in apply order across pools; Slurm updates are merged and chunked at the end. */
  static final class Steps {
    final List<PlanAction> store = new ArrayList<>();
    final List<PlanAction> provider = new ArrayList<>();
    final List<PlanAction> events = new ArrayList<>();
    final Map<String, Set<String>> markDown = new TreeMap<>();
    final Map<String, Set<String>> powerDown = new TreeMap<>();
    final Set<String> returnToService = new TreeSet<>();
    final Map<String, String> addresses = new TreeMap<>();

    Plan toPlan() {
      List<PlanAction> all = new ArrayList<>(store);
      all.addAll(provider);
      markDown.forEach((reason, hosts) ->
          chunks(List.copyOf(hosts), SlurmUpdate.MAX_HOSTS).forEach(c -> all.add(new UpdateSlurm(new SlurmUpdate.MarkDown(c, reason)))));
      powerDown.forEach((reason, hosts) ->
          chunks(List.copyOf(hosts), SlurmUpdate.MAX_HOSTS).forEach(c -> all.add(new UpdateSlurm(new SlurmUpdate.PowerDown(c, reason)))));
      chunks(List.copyOf(returnToService), SlurmUpdate.MAX_HOSTS)
          .forEach(c -> all.add(new UpdateSlurm(new SlurmUpdate.ReturnToService(c))));
      chunks(List.copyOf(addresses.keySet()), SlurmUpdate.MAX_HOSTS).forEach(c -> {
        Map<String, String> part = new TreeMap<>();
        c.forEach(h -> part.put(h, addresses.get(h)));
        all.add(new UpdateSlurm(new SlurmUpdate.SetAddress(part)));
      });
      all.addAll(events);
      return new Plan(all);
    }
  }

  static <T> List<List<T>> chunks(List<T> items, int size) {
    List<List<T>> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i += size) {
      out.add(List.copyOf(items.subList(i, Math.min(items.size(), i + size))));
    }
    return out;
  }

  /**
   * The plan for one pool. Short-lived; holds the pass's changes to the pool's bindings over the
   * snapshot's, and counts the steps it makes ({@code effects}) so it can tell which hosts acted.
   */
  private final class PoolPass {
    private final PoolTopology topology;
    private final PoolObservation observed;
    private final Snapshot snapshot;
    private final PoolScope scope;
    private final Instant now;
    private final Steps steps;
    private final String poolId;
    private final Optional<Map<String, SlurmHostState>> slurm;
    private final Map<String, ProviderNode> nodes;
    /** Bindings this pass wrote (null: deleted), over the snapshot's. */
    private final Map<String, HostBinding> changed = new HashMap<>();
    private final Set<String> removals = new LinkedHashSet<>();
    private final List<ProviderError> failures = new ArrayList<>();
    private final List<HostBinding> created = new ArrayList<>();
    private final PoolRecord record;
    private final Set<String> planned = new HashSet<>();
    private final Set<String> active = new HashSet<>();
    private final Set<String> fallbackActive = new HashSet<>();
    private HostContext hostContext;
    private HostContext fallbackContext;
    private Backoff backoff;
    private boolean registered;
    private int effects;

    PoolPass(PoolTopology topology, PoolObservation observed, Map<String, ProviderNode> nodes, Snapshot snapshot, PoolScope scope,
        Instant now, Steps steps) {
      this.topology = topology;
      this.observed = observed;
      this.snapshot = snapshot;
      this.scope = scope;
      this.now = now;
      this.steps = steps;
      this.poolId = topology.poolId();
      this.slurm = snapshot.slurm();
      this.nodes = nodes;
      this.record = snapshot.pools().getOrDefault(poolId, PoolRecord.initial(poolId));
      this.backoff = record.backoff();
    }

    PoolOutcome outcome() {
      return new PoolOutcome(hostContext, fallbackContext, planned, active, fallbackActive);
    }

    private HostContext context() {
      return new HostContext(backoff, backoff.activeAt(now), BackoffPolicy.isFallback(backoff, now));
    }

    /** The snapshot's binding of {@code host} in this pool. */
    private HostBinding base(String host) {
      HostBinding b = snapshot.bindings().get(host);
      return b != null && b.poolId().equals(poolId) ? b : null;
    }

    /** The binding of {@code host} as this pass has left it so far. */
    private HostBinding binding(String host) {
      return changed.containsKey(host) ? changed.get(host) : base(host);
    }

    private HostIntent intent(String host) {
      HostIntent i = snapshot.intents().get(host);
      return i != null && i.poolId().equals(poolId) ? i : null;
    }

    void run() {
      Optional<Instant> resizeStartedAt = settleFinishedResize();
      hostContext = context();
      for (String host : scope.hostsToPlan(hostContext)) {
        if (base(host) == null && intent(host) == null) {
          continue;
        }
        int before = effects;
        planHost(host);
        planned.add(host);
        if (effects != before) {
          active.add(host);
        }
      }
      created.stream().sorted(Comparator.comparingLong(HostBinding::intentSeq).thenComparing(HostBinding::host))
          .forEach(b -> steps.store.add(new PutBinding(b)));
      adoptDriftedNodes();
      removeUnservingNodes();
      backoff = backoffPolicy.afterFailures(backoff, failures, now);
      if (failures.isEmpty() && registered && backoff.level() > 0) {
        backoff = Backoff.NONE;
        event(Optional.empty(), "backoff-reset", "a host registered; pool " + poolId + " is healthy again");
      } else if (!backoff.equals(record.backoff()) && backoff.activeAt(now)) {
        event(Optional.empty(), "backoff", "pool " + poolId + " backs off until " + backoff.until().orElseThrow()
            + " (level " + backoff.level() + ", " + backoff.lastErrorClass().orElseThrow() + " " + backoff.lastErrorCode().orElse("") + ")");
      }
      fallBackOrReturn();
      Optional<PoolTarget> resize = plannedResize();
      PoolTarget requested = resize.orElse(record.requested());
      if (resize.isPresent()) {
        resizeStartedAt = Optional.of(now);
      }
      PoolRecord next = new PoolRecord(poolId, requested, resizeStartedAt, backoff, record.version());
      if (!next.equals(record)) {
        steps.store.add(new PutPool(next));
      }
      if (!observed.status().resizing()) {
        chunks(List.copyOf(removals), NodePool.MAX_REMOVE_PER_CALL).forEach(c -> steps.provider.add(new RemoveNodes(poolId, c)));
      }
      resize.ifPresent(t -> {
        steps.provider.add(new ResizePool(poolId, t));
        event(Optional.empty(), "resize", "pool " + poolId + " target " + describe(t));
      });
    }

    /** A resize the engine issued has ended: a shortfall or resize errors count as one failure. */
    private Optional<Instant> settleFinishedResize() {
      if (record.resizeStartedAt().isEmpty() || observed.status().resizing()) {
        return record.resizeStartedAt();
      }
      if (managed(observed.status().target()) == managed(record.requested())) {
        long live = nodes.values().stream().filter(this::isLive).count();
        if (!observed.status().resizeErrors().isEmpty()) {
          ProviderError first = observed.status().resizeErrors().get(0);
          failures.add(first);
          event(Optional.empty(), "resize-failed", "pool " + poolId + " did not reach " + describe(record.requested())
              + " (" + live + " nodes): " + first.summary() + ": " + first.message());
        } else if (live < managed(record.requested())) {
          ProviderError shortfall = new ProviderError(ErrorClass.TRANSIENT, "ResizeShortfall",
              "pool " + poolId + " ended its resize with " + live + " of " + managed(record.requested()) + " nodes");
          failures.add(shortfall);
          event(Optional.empty(), "resize-failed", shortfall.message());
        }
        // Record the failure now, so this pass already applies capacity fallback to waiting hosts.
        backoff = backoffPolicy.afterFailures(backoff, failures, now);
        failures.clear();
      }
      return Optional.empty();
    }

    private void planHost(String host) {
      Optional<HostIntent> intent = Optional.ofNullable(intent(host));
      Optional<HostBinding> binding = Optional.ofNullable(binding(host));
      Optional<SlurmHostState> state = slurm.flatMap(m -> Optional.ofNullable(m.get(host)));
      boolean slurmOff = state.map(SlurmHostState::isOff).orElse(false);
      boolean wantsUp = intent.map(i -> i.intent() == Intent.UP).orElse(false);
      if (!wantsUp && intent.isPresent() && topology.reclaimExcluded().contains(host) && intent.get().source() == IntentSource.SUSPEND
          && state.map(SlurmHostState::isRegistered).orElse(false)) {
        // SuspendExcNodes keeps these hosts up; a stray suspend (e.g. before a reconfigure) is not acted on
        // while Slurm itself still shows the host serving.
        wantsUp = true;
      }

      if (binding.isEmpty()) {
        if (wantsUp && mayStart(state)) {
          if (BackoffPolicy.isFallback(backoff, now)) {
            markDown(host, fallbackReason());
          } else {
            HostIntent i = intent.get();
            created.add(new HostBinding(host, poolId, BindingPhase.REQUESTED, Optional.empty(), Optional.empty(), i.seq(), now,
                Optional.empty(), 0));
            event(Optional.of(host), "resume-requested", "host " + host + " waits for a node (intent " + i.seq() + ")");
          }
        }
        return;
      }
      HostBinding b = binding.get();
      Optional<ProviderNode> node = b.nodeId().map(nodes::get);
      boolean nodeGone = b.nodeId().isPresent() && node.isEmpty();
      switch (b.phase()) {
        case RELEASING -> {
          if (node.isEmpty()) {
            delete(b, "released", "host " + host + " released" + b.nodeId().map(n -> " (node " + n + " gone)").orElse(""));
            if (b.error().isPresent() && wantsUp && !slurmOff) {
              effects++;
              steps.powerDown.computeIfAbsent(reason(b.error().get(), poolId), r -> new TreeSet<>()).add(host);
            }
          } else {
            remove(node.get());
          }
        }
        case FAILED -> {
          if (node.isPresent()) {
            remove(node.get());
          } else if (nodeGone) {
            put(with(b, BindingPhase.FAILED, Optional.empty(), Optional.empty(), b.intentSeq(), b.since(), b.error()));
          } else if (!wantsUp || intent.isEmpty()) {
            delete(b, "released", "host " + host + " failed binding cleared: intent is " + intent.map(i -> i.intent().name()).orElse("gone"));
          } else if (slurmOff) {
            delete(b, "released", "host " + host + " failed binding cleared: Slurm shows it powered down");
          } else if (intent.get().seq() > b.intentSeq() && mayStart(state)) {
            if (BackoffPolicy.isFallback(backoff, now)) {
              markDown(host, fallbackReason());
            } else {
              retry(b, intent.get().seq(), "new resume (intent " + intent.get().seq() + ")");
            }
          } else {
            ErrorClass cls = b.error().map(ProviderError::errorClass).orElse(ErrorClass.TRANSIENT);
            if (RETRYABLE.contains(cls) && timedOut(intent.get())) {
              fail(b, Optional.empty(), resumeTimeout(host, "retries after " + cls + " found no working node"), true);
            } else if (RETRYABLE.contains(cls) && !backoff.activeAt(now)) {
              retry(b, b.intentSeq(), "retry after " + cls);
            } else if ((cls == ErrorClass.CAPACITY || cls == ErrorClass.QUOTA) && !backoff.activeAt(now)) {
              delete(b, "released", "host " + host + ": pool " + poolId + " backoff ended, host returns to Slurm");
            }
            // RESUME_TIMEOUT and CONFIGURATION stay FAILED (visible in `nodes why`) until the intent changes.
          }
        }
        case REQUESTED -> {
          if (!wantsUp) {
            delete(b, "released", "host " + host + " no longer wanted before a node joined (intent "
                + intent.map(i -> i.intent() + "/" + i.source()).orElse("gone") + ")");
          } else if (slurmOff && slurm.isPresent()) {
            delete(b, "released", "host " + host + " released: Slurm shows it powered down");
          } else if (BackoffPolicy.isFallback(backoff, now)) {
            ProviderError err = fallbackError();
            put(with(b, BindingPhase.FAILED, Optional.empty(), Optional.empty(), b.intentSeq(), now, Optional.of(err)));
            markDown(host, reason(err, poolId));
            event(Optional.of(host), "failed", "host " + host + " cannot get a node: " + err.summary() + "; Slurm places its job elsewhere");
          } else if (timedOut(intent.get())) {
            fail(b, Optional.empty(), resumeTimeout(host, "no node joined"), true);
          }
        }
        case JOINED, REGISTERED -> {
          if (!wantsUp) {
            release(b, node, Optional.empty(), "intent " + intent.map(i -> i.intent() + "/" + i.source()).orElse("gone"));
          } else if (slurmOff) {
            release(b, node, Optional.empty(), "Slurm shows it powered down");
          } else if (nodeGone) {
            failNode(b, node, new ProviderError(ErrorClass.UNUSABLE, "NodeMissing",
                "node " + b.nodeId().get() + " is no longer in pool " + poolId), state);
          } else if (node.get().state().isFailed()) {
            failNode(b, node, errorOf(node.get()), state);
          } else if (b.phase() == BindingPhase.JOINED && state.map(SlurmHostState::isRegistered).orElse(false)) {
            put(with(b, BindingPhase.REGISTERED, b.nodeId(), b.address(), b.intentSeq(), now, Optional.empty()));
            registered = true;
            event(Optional.of(host), "registered", "host " + host + " registered with Slurm (node " + b.nodeId().get() + ")");
          } else if (b.phase() == BindingPhase.JOINED && timedOut(intent.get())) {
            fail(b, node, resumeTimeout(host, "slurmd did not register"), true);
          } else if (b.phase() == BindingPhase.JOINED && b.address().isPresent() && state.isPresent()
              && !state.get().address().equals(b.address())) {
            effects++;
            steps.addresses.put(host, b.address().get());
          }
        }
      }
    }

    /**
     * A node failure: before registration the host is retried; a running host is given back to
     * Slurm. A JOINED host that Slurm already shows registered counts as running: the pass that
     * would record the registration may come after Slurm started a job there, and a silent retry
     * would leave that job on a host whose slurmd is gone (seen with a preemption seconds after
     * the join).
     */
    private void failNode(HostBinding b, Optional<ProviderNode> node, ProviderError err, Optional<SlurmHostState> state) {
      if (b.phase() == BindingPhase.REGISTERED || state.map(SlurmHostState::isRegistered).orElse(false)) {
        failures.add(err);
        markDown(b.host(), reason(err, poolId));
        release(b, node, Optional.of(err), err.summary() + ": " + err.message());
      } else {
        fail(b, node, err, false);
      }
    }

    private void fail(HostBinding b, Optional<ProviderNode> node, ProviderError err, boolean tellSlurm) {
      failures.add(err);
      put(with(b, BindingPhase.FAILED, node.map(ProviderNode::id), b.address(), b.intentSeq(), now, Optional.of(err)));
      node.ifPresent(this::remove);
      if (tellSlurm) {
        markDown(b.host(), reason(err, poolId));
      }
      event(Optional.of(b.host()), "failed", "host " + b.host() + " failed: " + err.summary() + ": " + err.message());
    }

    private void release(HostBinding b, Optional<ProviderNode> node, Optional<ProviderError> err, String why) {
      if (node.isEmpty()) {
        delete(b, "released", "host " + b.host() + " released (" + why + "), its node is gone");
        if (err.isPresent()) {
          effects++;
          steps.powerDown.computeIfAbsent(reason(err.get(), poolId), r -> new TreeSet<>()).add(b.host());
        }
        return;
      }
      put(with(b, BindingPhase.RELEASING, b.nodeId(), b.address(), b.intentSeq(), now, err.or(b::error)));
      remove(node.get());
      event(Optional.of(b.host()), "release-requested", "host " + b.host() + " releases node " + node.get().id() + ": " + why);
    }

    private void retry(HostBinding b, long seq, String why) {
      put(with(b, BindingPhase.REQUESTED, Optional.empty(), Optional.empty(), seq, now, b.error()));
      event(Optional.of(b.host()), "resume-requested", "host " + b.host() + " waits for a node again: " + why);
    }

    /** Drift after a restart or data loss: a node Slurm shows registered under a host's address, bound to nothing. */
    private void adoptDriftedNodes() {
      if (slurm.isEmpty()) {
        return;
      }
      Predicate<String> bound = boundNodeIds();
      Map<String, List<ProviderNode>> byAddress = new HashMap<>();
      nodes.values().stream()
          .filter(n -> !bound.test(n.id()) && n.state() == ProviderNodeState.READY && n.address().isPresent())
          .forEach(n -> byAddress.computeIfAbsent(n.address().get(), a -> new ArrayList<>()).add(n));
      if (byAddress.isEmpty()) {
        // No unbound ready node: nothing to adopt, whatever the hosts' states (saves a look at every host).
        return;
      }
      for (String host : topology.hosts()) {
        SlurmHostState state = slurm.get().get(host);
        if (state == null || !state.isRegistered() || state.address().isEmpty()) {
          continue;
        }
        List<ProviderNode> candidates = byAddress.getOrDefault(state.address().get(), List.of());
        HostBinding b = binding(host);
        HostIntent intent = intent(host);
        boolean free = b == null || (b.phase() == BindingPhase.REQUESTED && b.nodeId().isEmpty());
        boolean wanted = intent == null || intent.intent() == Intent.UP;
        if (candidates.size() != 1 || !free || !wanted) {
          continue;
        }
        ProviderNode n = candidates.get(0);
        byAddress.remove(state.address().get());
        HostBinding adopted = new HostBinding(host, poolId, BindingPhase.REGISTERED, Optional.of(n.id()), n.address(),
            intent == null ? 0 : intent.seq(), now, Optional.empty(), b == null ? 0 : b.version());
        created.removeIf(c -> c.host().equals(host));
        steps.store.removeIf(a -> a instanceof PutBinding p && p.binding().host().equals(host));
        put(adopted);
        registered = true;
        event(Optional.of(host), "adopted", "host " + host + " adopted node " + n.id() + " that Slurm shows registered at " + n.address().get());
      }
    }

    /** Failed nodes no binding holds, orphans past their grace, and booting nodes nobody needs any more. */
    private void removeUnservingNodes() {
      Predicate<String> bound = boundNodeIds();
      List<ProviderNode> unbound = nodes.values().stream().filter(n -> !bound.test(n.id())).toList();
      // Sorted only where the order shows (steps for failed and orphaned nodes, the choice of spare
      // nodes), so a pool of 1,000 booting nodes is not sorted every pass.
      List<ProviderNode> unserving = unbound.stream()
          .filter(n -> n.state().isFailed()
              || (n.state() == ProviderNodeState.READY && !n.createdAt().plus(timings.orphanGrace()).isAfter(now)))
          .sorted(Comparator.comparing(ProviderNode::id)).toList();
      for (ProviderNode n : unserving) {
        if (n.state().isFailed()) {
          ProviderError err = errorOf(n);
          failures.add(err);
          remove(n);
          event(Optional.empty(), "node-failed", "node " + n.id() + " of pool " + poolId + " failed before joining: " + err.summary() + ": " + err.message());
        } else {
          remove(n);
          event(Optional.empty(), "orphan-removed", "node " + n.id() + " of pool " + poolId + " served no host for " + timings.orphanGrace());
        }
      }
      int excess = (int) (liveRemaining() - desired());
      if (excess <= 0) {
        return;
      }
      List<ProviderNode> spare = unbound.stream().filter(n -> isLive(n) && !removals.contains(n.id()))
          .sorted(Comparator.comparing(ProviderNode::createdAt).reversed().thenComparing(ProviderNode::id)).toList();
      for (int i = 0; i < Math.min(excess, spare.size()); i++) {
        remove(spare.get(i));
        event(Optional.empty(), "excess-removed", "node " + spare.get(i).id() + " of pool " + poolId + " is not needed by any host");
      }
    }

    /** Capacity fallback: while closed for capacity or quota, idle hosts are DOWN in Slurm; afterwards they return. */
    private void fallBackOrReturn() {
      if (slurm.isEmpty()) {
        return;
      }
      boolean fallback = BackoffPolicy.isFallback(backoff, now);
      fallbackContext = context();
      Set<String> touched = new HashSet<>(planned);
      touched.addAll(changed.keySet());
      for (String host : scope.fallbackHosts(fallbackContext, touched)) {
        SlurmHostState state = slurm.get().get(host);
        if (state == null) {
          continue;
        }
        int before = effects;
        fallBackOrReturn(host, state, fallback);
        if (effects != before) {
          fallbackActive.add(host);
        }
      }
    }

    private void fallBackOrReturn(String host, SlurmHostState state, boolean fallback) {
      HostBinding binding = binding(host);
      boolean hasLiveBinding = binding != null && binding.phase() != BindingPhase.FAILED;
      if (fallback && state.power() == SlurmHostState.Power.POWERED_DOWN && !state.down() && !state.drained() && !hasLiveBinding) {
        markDown(host, fallbackReason());
      } else if (!backoff.activeAt(now) && state.down() && isOwnReason(state.reason()) && binding == null
          && (state.power() == SlurmHostState.Power.POWERED_DOWN || state.power() == SlurmHostState.Power.POWERING_UP)) {
        steps.returnToService.add(host);
        event(Optional.of(host), "returned-to-service", "host " + host + " is schedulable again (was DOWN: " + state.reason().orElse("") + ")");
      }
    }

    private Optional<PoolTarget> plannedResize() {
      if (observed.status().resizing()) {
        return Optional.empty();
      }
      int cap = Math.min(topology.maxNodes(), observed.maxSize());
      int want = (int) Math.min(desired(), cap);
      int afterRemovals = Math.max(0, managed(observed.status().target()) - removals.size());
      long remaining = liveRemaining();
      if (want > remaining && !backoff.activeAt(now)) {
        return Optional.of(target(want));
      }
      int floor = (int) Math.max(want, remaining);
      if (floor < afterRemovals) {
        // Nodes asked for but not yet created that no host needs any more; existing nodes stay.
        return Optional.of(target(floor));
      }
      return Optional.empty();
    }

    private long desired() {
      long desired = scope.desiredBindings();
      for (Map.Entry<String, HostBinding> e : changed.entrySet()) {
        desired += (desires(e.getValue()) ? 1 : 0) - (desires(base(e.getKey())) ? 1 : 0);
      }
      return desired + created.size();
    }

    private long liveRemaining() {
      return nodes.values().stream().filter(n -> isLive(n) && !removals.contains(n.id())).count();
    }

    private boolean isLive(ProviderNode n) {
      return !n.state().isFailed() && n.state() != ProviderNodeState.LEAVING;
    }

    /** Whether a binding holds a node, as the pass's bindings stand now (the snapshot's counts plus this pass's writes). */
    private Predicate<String> boundNodeIds() {
      Map<String, Integer> delta = new HashMap<>();
      changed.forEach((host, b) -> {
        Optional.ofNullable(base(host)).flatMap(HostBinding::nodeId).ifPresent(n -> delta.merge(n, -1, Integer::sum));
        Optional.ofNullable(b).flatMap(HostBinding::nodeId).ifPresent(n -> delta.merge(n, 1, Integer::sum));
      });
      return id -> scope.holders(id) + delta.getOrDefault(id, 0) > 0;
    }

    private boolean mayStart(Optional<SlurmHostState> state) {
      return state.map(s -> !s.isOff() && !s.down()).orElse(true);
    }

    private boolean timedOut(HostIntent intent) {
      return !intent.at().plus(timings.resumeTimeout()).isAfter(now);
    }

    private ProviderError resumeTimeout(String host, String what) {
      return new ProviderError(ErrorClass.RESUME_TIMEOUT, "ResumeTimeout",
          what + " for host " + host + " within " + timings.resumeTimeout() + " of the resume");
    }

    private ProviderError fallbackError() {
      return new ProviderError(backoff.lastErrorClass().orElse(ErrorClass.CAPACITY), backoff.lastErrorCode().orElse("Unknown"),
          "pool " + poolId + " is backed off until " + backoff.until().map(Instant::toString).orElse("?"));
    }

    private String fallbackReason() {
      return reason(fallbackError(), poolId);
    }

    private void markDown(String host, String reason) {
      SlurmHostState state = slurm.flatMap(m -> Optional.ofNullable(m.get(host))).orElse(null);
      if (state != null && state.down() && state.reason().equals(Optional.of(reason))) {
        return;
      }
      effects++;
      steps.markDown.computeIfAbsent(reason, r -> new TreeSet<>()).add(host);
    }

    private void remove(ProviderNode node) {
      effects++;
      if (node.state() != ProviderNodeState.LEAVING) {
        removals.add(node.id());
      }
    }

    private void put(HostBinding b) {
      effects++;
      changed.put(b.host(), b);
      steps.store.add(new PutBinding(b));
    }

    private void delete(HostBinding b, String kind, String message) {
      effects++;
      changed.put(b.host(), null);
      steps.store.add(new DeleteBinding(b.host(), poolId, b.version()));
      event(Optional.of(b.host()), kind, message);
    }

    private void event(Optional<String> host, String kind, String message) {
      effects++;
      steps.events.add(new RecordEvent(new HostEvent(0, now, host, poolId, kind, message)));
    }

    private int managed(PoolTarget t) {
      return topology.lowPriority() ? t.lowPriority() : t.dedicated();
    }

    private PoolTarget target(int n) {
      PoolTarget current = observed.status().target();
      return topology.lowPriority() ? new PoolTarget(current.dedicated(), n) : new PoolTarget(n, current.lowPriority());
    }

    private String describe(PoolTarget t) {
      return t.dedicated() + " dedicated / " + t.lowPriority() + " low priority";
    }
  }

  private static HostBinding with(HostBinding b, BindingPhase phase, Optional<String> nodeId, Optional<String> address, long seq,
      Instant since, Optional<ProviderError> error) {
    return new HostBinding(b.host(), b.poolId(), phase, nodeId, address, seq, since, error, b.version());
  }
}
