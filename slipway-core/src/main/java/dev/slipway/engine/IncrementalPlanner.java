package dev.slipway.engine;

import dev.slipway.engine.Planner.HostContext;
import dev.slipway.engine.Planner.PoolOutcome;
import dev.slipway.engine.Planner.PoolScope;
import dev.slipway.engine.Planner.Steps;
import dev.slipway.model.HostList;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.ProviderNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Makes the same plan as {@link Planner#plan} but plans only the hosts that could act, so a pass
 * costs what changed rather than what exists (10,000 hosts, bench/burst.sh).
 *
 * <p><b>Why it equals the full plan.</b> Planning a host reads only its intent, its binding, its
 * Slurm state, its bound node, the pool's backoff as seen at that step ({@link HostContext}) and
 * the clock, the clock only through the resume timeout of its intent and the backoff's end. A host
 * whose planning made no step (quiet) therefore makes none again until one of those changes. Each
 * pass plans: hosts whose intent, binding or Slurm state differs from the previous snapshot (a
 * {@link PersistentMap#diffKeys diff} of shared maps), hosts holding a node the provider now lists
 * differently, hosts that made steps last pass (their steps may not have been applied), and hosts
 * whose resume timeout has come (a due-time index, not a scan). A pool whose context changed, or
 * that this planner has not seen plan through, is planned whole. The same holds, with Slurm state,
 * bindings and the final backoff, for the capacity fallback and return-to-service step. Pool-wide
 * figures (bindings wanting a node, holders of each node) are kept up to date from the diffs.
 * {@code IncrementalPlannerTest} checks the equality against the full planner over random
 * histories.
 *
 * <p><b>State.</b> The previous snapshot and per-pool memory of the above; a cache of decisions
 * derivable from durable state. {@link #forget()} makes the next plan a full one; the reconciler
 * calls it on its resync triggers (first pass, every {@value Reconciler#FULL_READ_EVERY} passes,
 * leadership, a failed pass), and a pass without Slurm state or with another topology is full too.
 * Not thread-safe: one reconciler owns it.
 */
final class IncrementalPlanner {
  private final Planner planner;
  private final Duration resumeTimeout;
  private Optional<Snapshot> previous = Optional.empty();
  private final Map<String, PoolMemory> pools = new HashMap<>();
  private long fullPlans;
  private long lastHostsPlanned;

  IncrementalPlanner(EngineTimings timings) {
    this.planner = new Planner(timings);
    this.resumeTimeout = timings.resumeTimeout();
  }

  /** The next plan looks at every host. */
  void forget() {
    previous = Optional.empty();
    pools.clear();
  }

  /** Plans that looked at every host of every pool (for tests). */
  long fullPlans() {
    return fullPlans;
  }

  /** How many hosts the last plan planned, over all pools (for tests). */
  long lastHostsPlanned() {
    return lastHostsPlanned;
  }

  Plan plan(Snapshot snapshot, Instant now) {
    lastHostsPlanned = 0;
    try {
      return planChanges(snapshot, now);
    } catch (RuntimeException e) {
      // Memory may be half updated; nothing of it is trusted again.
      forget();
      throw e;
    }
  }

  private Plan planChanges(Snapshot snapshot, Instant now) {
    boolean full = previous.isEmpty() || !previous.get().topology().equals(snapshot.topology())
        || previous.get().slurm().isEmpty() || snapshot.slurm().isEmpty();
    if (full) {
      pools.clear();
      fullPlans++;
    }
    Map<String, PoolTopology> byPrefix = new HashMap<>();
    snapshot.topology().forEach(t -> byPrefix.put(t.hostPrefix(), t));
    Map<String, Set<String>> changed = new HashMap<>();
    if (!full) {
      collectChanges(previous.get(), snapshot, byPrefix, changed);
    }
    List<PoolTopology> unseen = snapshot.topology().stream()
        .filter(t -> !pools.containsKey(t.poolId()) && snapshot.observed().containsKey(t.poolId())).toList();
    if (!unseen.isEmpty()) {
      scan(snapshot, unseen);
    }
    Steps steps = new Steps();
    for (PoolTopology t : Planner.sortedPools(snapshot)) {
      PoolObservation observed = snapshot.observed().get(t.poolId());
      if (observed == null) {
        // The full planner gives this pool nothing; what it did meanwhile is unknown, so it starts over.
        pools.remove(t.poolId());
        continue;
      }
      PoolMemory memory = pools.get(t.poolId());
      Map<String, ProviderNode> nodes = Planner.ownNodes(t, observed);
      Set<String> dirty = changed.getOrDefault(t.poolId(), new HashSet<>());
      if (memory.planned) {
        memory.nodeChanges(nodes, dirty);
        dirty.addAll(memory.active);
        memory.due(now, dirty);
      }
      PoolOutcome outcome = planner.planPool(t, observed, nodes, snapshot, memory.scope(snapshot, dirty), now, steps);
      lastHostsPlanned += outcome.planned().size();
      memory.remember(outcome, nodes, snapshot, now);
    }
    previous = Optional.of(snapshot);
    return steps.toPlan();
  }

  /** Hosts whose intent, binding or Slurm state changed, by every pool they may matter to; keeps pool figures current. */
  private void collectChanges(Snapshot before, Snapshot after, Map<String, PoolTopology> byPrefix, Map<String, Set<String>> changed) {
    Set<String> hosts = new HashSet<>();
    PersistentMap.diffKeys(PersistentMap.copyOf(before.intents()), PersistentMap.copyOf(after.intents()), hosts::add);
    PersistentMap.diffKeys(PersistentMap.copyOf(before.bindings()), PersistentMap.copyOf(after.bindings()), hosts::add);
    PersistentMap.diffKeys(PersistentMap.copyOf(before.slurm().orElseThrow()), PersistentMap.copyOf(after.slurm().orElseThrow()),
        hosts::add);
    for (String host : hosts) {
      HostBinding was = before.bindings().get(host);
      HostBinding is = after.bindings().get(host);
      if (!Objects.equals(was, is)) {
        if (was != null && pools.containsKey(was.poolId())) {
          pools.get(was.poolId()).count(host, was, -1);
        }
        if (is != null && pools.containsKey(is.poolId())) {
          pools.get(is.poolId()).count(host, is, 1);
        }
      }
      Set<String> of = new HashSet<>(4);
      Optional.ofNullable(was).ifPresent(b -> of.add(b.poolId()));
      Optional.ofNullable(is).ifPresent(b -> of.add(b.poolId()));
      Optional.ofNullable(before.intents().get(host)).ifPresent(i -> of.add(i.poolId()));
      Optional.ofNullable(after.intents().get(host)).ifPresent(i -> of.add(i.poolId()));
      topologyPool(host, byPrefix).ifPresent(t -> of.add(t.poolId()));
      of.forEach(p -> changed.computeIfAbsent(p, k -> new HashSet<>()).add(host));
    }
  }

  private static Optional<PoolTopology> topologyPool(String host, Map<String, PoolTopology> byPrefix) {
    int dash = host.lastIndexOf('-');
    if (dash <= 0) {
      return Optional.empty();
    }
    PoolTopology t = byPrefix.get(host.substring(0, dash));
    return t != null && index(host, t).isPresent() ? Optional.of(t) : Optional.empty();
  }

  private static OptionalInt index(String host, PoolTopology t) {
    OptionalInt i = HostList.numericIndex(host, t.hostPrefix() + "-");
    return i.isPresent() && i.getAsInt() < t.maxNodes() ? i : OptionalInt.empty();
  }

  /** New memories for {@code topologies}, their figures counted from the whole snapshot (one look at every binding). */
  private void scan(Snapshot snapshot, List<PoolTopology> topologies) {
    Map<String, PoolMemory> fresh = new HashMap<>();
    topologies.forEach(t -> fresh.put(t.poolId(), new PoolMemory(t)));
    snapshot.bindings().forEach((host, b) -> {
      PoolMemory m = fresh.get(b.poolId());
      if (m != null) {
        m.count(host, b, 1);
      }
    });
    pools.putAll(fresh);
  }

  /** What the planner remembers of one pool between passes. */
  private final class PoolMemory implements PoolScope {
    private final PoolTopology topology;
    /** Hosts of the snapshot's bindings in this pool holding each node. */
    private final Map<String, List<String>> holders = new HashMap<>();
    private long desired;
    private boolean planned;
    private Map<String, ProviderNode> nodes = Map.of();
    private Set<String> active = Set.of();
    private Set<String> fallbackActive = Set.of();
    private HostContext hostContext;
    private HostContext fallbackContext;
    /** Quiet hosts by the instant their resume timeout comes; {@code dueAt} is the inverse. */
    private final TreeMap<Instant, Set<String>> dueHosts = new TreeMap<>();
    private final Map<String, Instant> dueAt = new HashMap<>();
    /** This pass's: the snapshot and the hosts that may act. */
    private Snapshot snapshot;
    private Set<String> dirty = Set.of();

    PoolMemory(PoolTopology topology) {
      this.topology = topology;
    }

    void count(String host, HostBinding b, int sign) {
      desired += Planner.desires(b) ? sign : 0;
      b.nodeId().ifPresent(n -> {
        if (sign > 0) {
          holders.computeIfAbsent(n, k -> new ArrayList<>(1)).add(host);
        } else {
          List<String> hs = holders.get(n);
          if (hs != null) {
            hs.remove(host);
            if (hs.isEmpty()) {
              holders.remove(n);
            }
          }
        }
      });
    }

    /** Adds the holders of nodes the provider lists differently since the last pass. */
    void nodeChanges(Map<String, ProviderNode> now, Set<String> into) {
      now.forEach((id, n) -> {
        if (!n.equals(nodes.get(id))) {
          into.addAll(holders.getOrDefault(id, List.of()));
        }
      });
      nodes.keySet().forEach(id -> {
        if (!now.containsKey(id)) {
          into.addAll(holders.getOrDefault(id, List.of()));
        }
      });
    }

    /** Moves the hosts whose resume timeout has come into {@code into}. */
    void due(Instant now, Set<String> into) {
      var head = dueHosts.headMap(now, true);
      head.values().forEach(hosts -> hosts.forEach(h -> {
        into.add(h);
        dueAt.remove(h);
      }));
      head.clear();
    }

    PoolScope scope(Snapshot snapshot, Set<String> dirty) {
      this.snapshot = snapshot;
      this.dirty = dirty;
      return this;
    }

    @Override
    public Collection<String> hostsToPlan(HostContext context) {
      if (!planned || !context.equals(hostContext)) {
        Set<String> all = new TreeSet<>();
        snapshot.bindings().forEach((h, b) -> {
          if (b.poolId().equals(topology.poolId())) {
            all.add(h);
          }
        });
        snapshot.intents().forEach((h, i) -> {
          if (i.poolId().equals(topology.poolId())) {
            all.add(h);
          }
        });
        return all;
      }
      return new TreeSet<>(dirty);
    }

    @Override
    public Collection<String> fallbackHosts(HostContext context, Set<String> touched) {
      if (!planned || !context.equals(fallbackContext)) {
        return topology.hosts();
      }
      Set<String> candidates = new HashSet<>(dirty);
      candidates.addAll(touched);
      candidates.addAll(fallbackActive);
      Map<String, Integer> indexes = new HashMap<>();
      candidates.forEach(h -> index(h, topology).ifPresent(i -> indexes.put(h, i)));
      return indexes.keySet().stream().sorted(Comparator.comparingInt(indexes::get)).toList();
    }

    @Override
    public long desiredBindings() {
      return desired;
    }

    @Override
    public int holders(String nodeId) {
      return holders.getOrDefault(nodeId, List.of()).size();
    }

    void remember(PoolOutcome outcome, Map<String, ProviderNode> nodes, Snapshot snapshot, Instant now) {
      this.nodes = nodes;
      this.active = outcome.active();
      this.fallbackActive = outcome.fallbackActive();
      this.hostContext = outcome.hostContext();
      this.fallbackContext = outcome.fallbackContext();
      this.planned = outcome.fallbackContext() != null;
      this.snapshot = null;
      this.dirty = Set.of();
      for (String host : outcome.planned()) {
        Instant was = dueAt.remove(host);
        if (was != null) {
          Set<String> hosts = dueHosts.get(was);
          hosts.remove(host);
          if (hosts.isEmpty()) {
            dueHosts.remove(was);
          }
        }
        HostIntent intent = snapshot.intents().get(host);
        if (!active.contains(host) && intent != null && intent.poolId().equals(topology.poolId())) {
          Instant due = intent.at().plus(resumeTimeout);
          if (due.isAfter(now)) {
            dueAt.put(host, due);
            dueHosts.computeIfAbsent(due, d -> new HashSet<>()).add(host);
          }
        }
      }
    }
  }
}
