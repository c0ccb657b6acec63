package dev.slipway.engine;

import dev.slipway.engine.JoinResult.Accepted;
import dev.slipway.engine.SlurmHostState.Power;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.Secret;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.EngineEvent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.InMemoryStateStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * A whole engine on fakes: in-memory store, scripted pools and Slurm, a reconciler and a join
 * service. {@link #restart()} drops both and builds new ones on the same store, as after a crash.
 */
final class World {
  static final EngineTimings TIMINGS =
      new EngineTimings(Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofMinutes(5));
  static final String CLUSTER = "c1";

  final FakeClock clock = new FakeClock();
  final InMemoryStateStore store = new InMemoryStateStore();
  final List<PoolTopology> topology;
  final Map<String, ScriptedPool> pools = new LinkedHashMap<>();
  final ScriptedSlurm slurm;
  final List<EngineEvent> events = new ArrayList<>();
  final Metrics metrics = new Metrics();
  final Map<String, String> runningAs = new HashMap<>();
  final Map<String, Secret> tokens = new HashMap<>();
  final NodeProvider provider;
  Reconciler reconciler;
  JoinService join;

  World(PoolTopology... pools) {
    this.topology = List.of(pools);
    for (PoolTopology t : pools) {
      this.pools.put(t.poolId(), new ScriptedPool(t.poolId(), t.maxNodes(), t.lowPriority(), clock));
      tokens.put(t.poolId(), Secret.of("token-" + t.poolId()));
    }
    this.slurm = new ScriptedSlurm(topology.stream().flatMap(t -> t.hosts().stream()).toList());
    this.provider = new NodeProvider() {
      @Override
      public String name() {
        return "scripted";
      }

      @Override
      public List<NodePool> pools() {
        return List.copyOf(World.this.pools.values());
      }
    };
    slurm.onPowerDown(hosts -> record(Intent.DOWN, IntentSource.SUSPEND, hosts));
    restart();
  }

  void restart() {
    reconciler = new Reconciler(store, provider, slurm, topology, TIMINGS, clock, events::add, metrics);
    join = new JoinService(store, provider, new JoinSettings(CLUSTER, tokens, List.of("10.9.0.1:8443"), Secret.of("munge"), List.of()),
        clock, events::add);
  }

  String poolOf(String host) {
    return topology.stream().filter(t -> t.hosts().contains(host)).findFirst().orElseThrow().poolId();
  }

  void record(Intent intent, IntentSource source, List<String> hosts) {
    store.recordIntents(hosts.stream().map(h -> new IntentRequest(h, poolOf(h), intent, source, List.of())).toList(), clock.instant());
  }

  /** What slurmctld does on a resume: the host is powering up, then the ResumeProgram records intent. */
  void resume(String... hosts) {
    Arrays.stream(hosts).forEach(h -> slurm.power(h, Power.POWERING_UP, false, Optional.empty()));
    record(Intent.UP, IntentSource.RESUME, List.of(hosts));
  }

  void suspend(String... hosts) {
    Arrays.stream(hosts).forEach(h -> slurm.power(h, Power.POWERED_DOWN, false, Optional.empty()));
    record(Intent.DOWN, IntentSource.SUSPEND, List.of(hosts));
  }

  Reconciler.PassResult pass() {
    return reconciler.pass();
  }

  /** The provider's side: resizes finish, nodes boot and run the join script, slurmd registers. */
  void provide() {
    pools.values().forEach(ScriptedPool::completeResize);
    pools.values().forEach(ScriptedPool::bootAll);
    joinReadyNodes();
  }

  void joinReadyNodes() {
    for (ScriptedPool p : pools.values()) {
      for (ProviderNode n : p.nodes()) {
        if (n.state() == ProviderNodeState.READY && !runningAs.containsKey(n.id())) {
          JoinResult r = join.join(new JoinRequest(CLUSTER, p.id(), n.id(), tokens.get(p.id()), n.address().orElseThrow()));
          if (r instanceof Accepted a) {
            runningAs.put(n.id(), a.response().host());
            slurm.power(a.response().host(), Power.POWERED_UP, true, n.address());
          }
        }
      }
    }
  }

  /** slurmd of removed nodes stops answering. */
  void forgetRemovedNodes() {
    Map<String, ProviderNode> live = allNodes().stream().collect(Collectors.toMap(ProviderNode::id, n -> n));
    runningAs.entrySet().removeIf(e -> {
      if (live.containsKey(e.getKey())) {
        return false;
      }
      SlurmHostState s = slurm.state(e.getValue());
      if (s.power() == Power.POWERED_UP && !runningAs.entrySet().stream().anyMatch(o -> o != e && o.getValue().equals(e.getValue()) && live.containsKey(o.getKey()))) {
        slurm.power(e.getValue(), Power.POWERED_UP, false, s.address());
      }
      return true;
    });
  }

  List<ProviderNode> allNodes() {
    return pools.values().stream().flatMap(p -> p.nodes().stream()).toList();
  }

  void cycle(Duration step) {
    pass();
    provide();
    forgetRemovedNodes();
    clock.advance(step);
  }

  long bindings(BindingPhase phase) {
    return store.bindings().values().stream().filter(b -> b.phase() == phase).count();
  }

  /** Counts what the reconciler reports, as the daemon's metrics would. */
  static final class Metrics implements EngineListener {
    final Map<String, Integer> providerCalls = new ConcurrentHashMap<>();
    final Map<ErrorClass, Integer> failures = new ConcurrentHashMap<>();
    final Map<ResumeStage, List<Duration>> stages = new ConcurrentHashMap<>();
    final Map<String, Integer> slurmCalls = new ConcurrentHashMap<>();
    volatile Map<BindingPhase, Integer> phases = Map.of();

    @Override
    public void providerCall(String poolId, String call, String outcome) {
      providerCalls.merge(call + ":" + outcome, 1, Integer::sum);
    }

    @Override
    public void slurmCall(String call, String outcome) {
      slurmCalls.merge(call + ":" + outcome, 1, Integer::sum);
    }

    @Override
    public void failure(String poolId, ErrorClass errorClass) {
      failures.merge(errorClass, 1, Integer::sum);
    }

    @Override
    public void hostsByPhase(Map<BindingPhase, Integer> counts) {
      phases = Map.copyOf(counts);
    }

    @Override
    public void resumeStage(String poolId, ResumeStage stage, Duration latency) {
      stages.computeIfAbsent(stage, s -> new ArrayList<>()).add(latency);
    }
  }
}
