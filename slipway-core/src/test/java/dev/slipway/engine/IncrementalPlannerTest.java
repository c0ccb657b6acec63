package dev.slipway.engine;

import static dev.slipway.engine.SnapshotBuilder.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.PlanAction.DeleteBinding;
import dev.slipway.engine.PlanAction.PutBinding;
import dev.slipway.engine.PlanAction.PutPool;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.NodeType;
import dev.slipway.spi.Backoff;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The incremental planner against the full planner as oracle: random histories of hook intents,
 * bindings (the plan's own writes, some refused, and foreign ones), provider nodes and pool
 * states, Slurm states, backoffs and clock jumps; at every step both plan the same snapshot and
 * must agree exactly, order of actions included.
 */
class IncrementalPlannerTest {
  private static final EngineTimings TIMINGS =
      new EngineTimings(Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofMinutes(10));
  private static final List<PoolTopology> TOPOLOGY = List.of(
      new PoolTopology("a", "a", 12, NodeType.DEDICATED, "batch", 1, Set.of("a-0")),
      new PoolTopology("b", "b", 8, NodeType.LOW_PRIORITY, "batch", 1, Set.of()));
  private static final List<ErrorClass> CLASSES = List.of(ErrorClass.values());

  @Test
  void plan_overRandomHistories_equalsTheFullPlanAtEveryStep() {
    long incrementalPasses = 0;
    for (long seed = 1; seed <= 200; seed++) {
      incrementalPasses += new History(seed).run(120);
    }
    // The histories must exercise the incremental path, not only resyncs.
    assertThat(incrementalPasses).isGreaterThan(200L * 120 / 2);
  }

  @Test
  void plan_whenOneHostOfAThousandChanges_plansOnlyThatHost() {
    PoolTopology pool = new PoolTopology("p", "p", 1000, NodeType.DEDICATED, "batch", 1, Set.of());
    PersistentMap<String, HostIntent> intents = PersistentMap.empty();
    PersistentMap<String, HostBinding> bindings = PersistentMap.empty();
    PersistentMap<String, SlurmHostState> slurm = PersistentMap.empty();
    List<ProviderNode> nodes = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      String host = "p-" + i;
      intents = intents.with(host, new HostIntent(host, "p", Intent.UP, IntentSource.RESUME, i + 1, T0, List.of()));
      bindings = bindings.with(host, new HostBinding(host, "p", BindingPhase.REGISTERED, Optional.of("n" + i), Optional.of("10.1." + i),
          i + 1, T0, Optional.empty(), 1));
      slurm = slurm.with(host, new SlurmHostState(host, SlurmHostState.Power.POWERED_UP, false, false, true, Optional.of("10.1." + i),
          Optional.empty()));
      nodes.add(new ProviderNode("n" + i, "p", ProviderNodeState.READY, false, Optional.of("10.1." + i), T0, Optional.empty()));
    }
    PoolObservation observed = new PoolObservation(new PoolStatus(new PoolTarget(1000, 0), false, List.of()), nodes, 1000);
    IncrementalPlanner planner = new IncrementalPlanner(TIMINGS);
    Instant now = T0.plusSeconds(60);
    planner.plan(new Snapshot(List.of(pool), intents, bindings, Map.of(), Map.of("p", observed), Optional.of(slurm)), now);
    assertThat(planner.lastHostsPlanned()).isEqualTo(1000);

    intents = intents.with("p-7", new HostIntent("p-7", "p", Intent.DOWN, IntentSource.SUSPEND, 2000, now, List.of()));
    Snapshot next = new Snapshot(List.of(pool), intents, bindings, Map.of(), Map.of("p", observed), Optional.of(slurm));
    Plan plan = planner.plan(next, now.plusSeconds(1));

    assertThat(planner.lastHostsPlanned()).isEqualTo(1);
    assertThat(plan).isEqualTo(new Planner(TIMINGS).plan(next, now.plusSeconds(1)));
    assertThat(plan.actions(PutBinding.class)).extracting(p -> p.binding().host()).containsExactly("p-7");
  }

  /** One random history; the state is kept in persistent maps as the reconciler keeps it. */
  private static final class History {
    private final long seed;
    private final Random random;
    private final IncrementalPlanner incremental = new IncrementalPlanner(TIMINGS);
    private final Planner full = new Planner(TIMINGS);
    private PersistentMap<String, HostIntent> intents = PersistentMap.empty();
    private PersistentMap<String, HostBinding> bindings = PersistentMap.empty();
    private PersistentMap<String, SlurmHostState> slurm = PersistentMap.empty();
    private final Map<String, Map<String, ProviderNode>> nodes = new HashMap<>();
    private final Map<String, PoolStatus> statuses = new HashMap<>();
    private final Map<String, PoolRecord> records = new HashMap<>();
    private final Set<String> unreadable = new java.util.HashSet<>();
    private boolean slurmReadable = true;
    private Instant now = T0;
    private long seq;
    private int nodeCounter;

    History(long seed) {
      this.seed = seed;
      this.random = new Random(seed);
      TOPOLOGY.forEach(t -> {
        nodes.put(t.poolId(), new LinkedHashMap<>());
        statuses.put(t.poolId(), new PoolStatus(PoolTarget.ZERO, false, List.of()));
      });
    }

    /** Runs {@code steps} steps; returns how many plans were incremental. */
    long run(int steps) {
      for (int step = 0; step < steps; step++) {
        int changes = random.nextInt(4) == 0 ? random.nextInt(12) : random.nextInt(3);
        for (int c = 0; c < changes; c++) {
          change();
        }
        if (random.nextInt(60) == 0) {
          incremental.forget();
        }
        Snapshot snapshot = snapshot();
        Plan expected = full.plan(snapshot, now);
        Plan actual = incremental.plan(snapshot, now);
        assertThat(actual).as("seed %d step %d", seed, step).isEqualTo(expected);
        apply(expected);
        now = now.plusMillis(random.nextInt(10) == 0 ? random.nextInt(12 * 60_000) : random.nextInt(40_000));
      }
      return steps - incremental.fullPlans();
    }

    private Snapshot snapshot() {
      Map<String, PoolObservation> observed = new HashMap<>();
      TOPOLOGY.forEach(t -> {
        if (!unreadable.contains(t.poolId())) {
          observed.put(t.poolId(), new PoolObservation(statuses.get(t.poolId()), List.copyOf(nodes.get(t.poolId()).values()),
              random.nextInt(30) == 0 ? 3 : 20));
        }
      });
      return new Snapshot(TOPOLOGY, intents, bindings, records, observed, slurmReadable ? Optional.of(slurm) : Optional.empty());
    }

    /** Applies the plan's store writes as the store would, refusing some (conflicts). */
    private void apply(Plan plan) {
      for (PlanAction a : plan.actions()) {
        if (random.nextInt(8) == 0) {
          continue;
        }
        if (a instanceof PutBinding p) {
          HostBinding b = p.binding();
          bindings = bindings.with(b.host(), new HostBinding(b.host(), b.poolId(), b.phase(), b.nodeId(), b.address(), b.intentSeq(),
              b.since(), b.error(), b.version() + 1));
        } else if (a instanceof DeleteBinding d) {
          bindings = bindings.without(d.host());
        } else if (a instanceof PutPool p) {
          PoolRecord r = p.pool();
          records.put(r.poolId(), new PoolRecord(r.poolId(), r.requested(), r.resizeStartedAt(), r.backoff(), r.version() + 1));
        }
      }
    }

    private void change() {
      PoolTopology pool = TOPOLOGY.get(random.nextInt(TOPOLOGY.size()));
      String host = pool.hostPrefix() + "-" + random.nextInt(pool.maxNodes() + 1);
      Map<String, ProviderNode> poolNodes = nodes.get(pool.poolId());
      switch (random.nextInt(14)) {
        case 0, 1, 2 -> {
          Intent intent = random.nextInt(3) == 0 ? Intent.DOWN : Intent.UP;
          IntentSource source = intent == Intent.UP ? pick(IntentSource.RESUME, IntentSource.OPERATOR)
              : pick(IntentSource.SUSPEND, IntentSource.RESUME_FAIL, IntentSource.OPERATOR);
          intents = intents.with(host, new HostIntent(host, pool.poolId(), intent, source, ++seq, now, List.of()));
        }
        case 3 -> intents = intents.without(host);
        case 4 -> {
          // The join service claims a host for a node.
          BindingPhase phase = pick(BindingPhase.values());
          String nodeId = poolNodes.isEmpty() || random.nextInt(4) == 0 ? null
              : new ArrayList<>(poolNodes.keySet()).get(random.nextInt(poolNodes.size()));
          if (nodeId == null && (phase == BindingPhase.JOINED || phase == BindingPhase.REGISTERED)) {
            // A joined host always names its node (the join service writes both); this one may be gone.
            nodeId = "n-gone" + random.nextInt(3);
          }
          ProviderError error = random.nextInt(3) == 0 ? error() : null;
          bindings = bindings.with(host, new HostBinding(host, random.nextInt(20) == 0 ? otherPool(pool) : pool.poolId(), phase,
              Optional.ofNullable(nodeId), Optional.ofNullable(nodeId).map(n -> "10.0.0." + n.hashCode() % 7), seq,
              now.minusSeconds(random.nextInt(900)), Optional.ofNullable(error), random.nextInt(5)));
        }
        case 5 -> bindings = bindings.without(host);
        case 6, 7 -> {
          String address = random.nextBoolean() && !poolNodes.isEmpty()
              ? new ArrayList<>(poolNodes.values()).get(random.nextInt(poolNodes.size())).address().orElse(null)
              : random.nextBoolean() ? "10.0.0." + random.nextInt(7) : null;
          String reason = pick("slipway: CAPACITY AllocationFailed in pool a", Planner.PREEMPTED_REASON, "maintenance", null);
          slurm = slurm.with(host, new SlurmHostState(host, pick(SlurmHostState.Power.values()), random.nextInt(4) == 0,
              random.nextInt(10) == 0, random.nextBoolean(), Optional.ofNullable(address), Optional.ofNullable(reason)));
        }
        case 8 -> slurm = slurm.without(host);
        case 9, 10 -> {
          String id = random.nextInt(3) == 0 && !poolNodes.isEmpty()
              ? new ArrayList<>(poolNodes.keySet()).get(random.nextInt(poolNodes.size())) : "n" + (++nodeCounter);
          poolNodes.put(id, new ProviderNode(id, pool.poolId(), pick(ProviderNodeState.values()),
              random.nextInt(6) == 0 ? !pool.lowPriority() : pool.lowPriority(), Optional.of("10.0.0." + id.hashCode() % 7),
              now.minusSeconds(random.nextInt(600)), random.nextInt(4) == 0 ? Optional.of(error()) : Optional.empty()));
        }
        case 11 -> {
          if (!poolNodes.isEmpty()) {
            poolNodes.remove(new ArrayList<>(poolNodes.keySet()).get(random.nextInt(poolNodes.size())));
          }
        }
        case 12 -> statuses.put(pool.poolId(), new PoolStatus(new PoolTarget(random.nextInt(10), random.nextInt(10)),
            random.nextInt(3) == 0, random.nextInt(3) == 0 ? List.of(error()) : List.of()));
        default -> {
          switch (random.nextInt(4)) {
            case 0 -> {
              ProviderError e = error();
              Backoff backoff = new Backoff(1 + random.nextInt(3), Optional.of(now.plusSeconds(random.nextInt(120) - 30)),
                  Optional.of(e.errorClass()), Optional.of(e.code()));
              records.put(pool.poolId(), new PoolRecord(pool.poolId(), new PoolTarget(random.nextInt(5), random.nextInt(5)),
                  random.nextBoolean() ? Optional.of(now.minusSeconds(20)) : Optional.empty(), backoff, random.nextInt(9)));
            }
            case 1 -> records.remove(pool.poolId());
            case 2 -> {
              if (!unreadable.remove(pool.poolId())) {
                unreadable.add(pool.poolId());
              }
            }
            default -> slurmReadable = !slurmReadable || random.nextInt(3) != 0;
          }
        }
      }
    }

    private String otherPool(PoolTopology pool) {
      return pool.poolId().equals("a") ? "b" : "a";
    }

    private ProviderError error() {
      ErrorClass cls = CLASSES.get(random.nextInt(CLASSES.size()));
      return new ProviderError(cls, "Code" + random.nextInt(3), "random " + cls);
    }

    @SafeVarargs
    private <T> T pick(T... options) {
      return options[random.nextInt(options.length)];
    }
  }
}
