package dev.slipway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.SlurmHostState.Power;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.NodeType;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many passes against a hostile world: random resumes and suspends, nodes that fail, vanish or
 * are preempted, capacity that runs out, Slurm and the provider failing calls, and engine
 * "crashes" (a new reconciler and join service on the same store). Each seed is reproducible: a
 * failure message names its seed and step.
 */
class EngineRandomizedTest {
  private static final Duration SLURM_RESUME_TIMEOUT = Duration.ofMinutes(20);

  static Stream<Long> seeds() {
    return IntStream.rangeClosed(1, 12).mapToObj(i -> 7919L * i);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void randomHistory_keepsInvariantsAndEndsWithNoNodes(long seed) {
    Random rnd = new Random(seed);
    World w = new World(
        new PoolTopology("ded", "ded", 6, NodeType.DEDICATED, "work", 1, Set.of()),
        new PoolTopology("spot", "spot", 8, NodeType.LOW_PRIORITY, "work", 2, Set.of()),
        new PoolTopology("gpu", "gpu", 4, NodeType.DEDICATED, "gpu", 1, Set.of("gpu-0")));
    Map<String, Instant> resumedAt = new HashMap<>();
    Map<String, Instant> silentSince = new HashMap<>();
    List<String> hosts = w.topology.stream().flatMap(t -> t.hosts().stream()).toList();

    for (int step = 0; step < 300; step++) {
      String where = "seed " + seed + " step " + step;
      double r = rnd.nextDouble();
      if (r < 0.30) {
        List<String> idle = hosts.stream().filter(h -> {
          SlurmHostState s = w.slurm.state(h);
          return s.power() == Power.POWERED_DOWN && !s.down();
        }).collect(Collectors.toList());
        java.util.Collections.shuffle(idle, rnd);
        List<String> chosen = idle.subList(0, Math.min(idle.size(), 1 + rnd.nextInt(5)));
        if (!chosen.isEmpty()) {
          w.resume(chosen.toArray(String[]::new));
          chosen.forEach(h -> resumedAt.put(h, w.clock.instant()));
        }
      } else if (r < 0.45) {
        List<String> up = hosts.stream().filter(h -> w.slurm.state(h).isRegistered() && !w.topology.stream()
            .anyMatch(t -> t.reclaimExcluded().contains(h))).collect(Collectors.toList());
        java.util.Collections.shuffle(up, rnd);
        List<String> chosen = up.subList(0, Math.min(up.size(), 1 + rnd.nextInt(4)));
        if (!chosen.isEmpty()) {
          w.suspend(chosen.toArray(String[]::new));
        }
      } else if (r < 0.53) {
        List<ProviderNode> nodes = w.allNodes();
        if (!nodes.isEmpty()) {
          ProviderNode n = nodes.get(rnd.nextInt(nodes.size()));
          ProviderNodeState[] bad = n.lowPriority()
              ? new ProviderNodeState[] {ProviderNodeState.PREEMPTED, ProviderNodeState.UNUSABLE}
              : new ProviderNodeState[] {ProviderNodeState.START_FAILED, ProviderNodeState.UNUSABLE};
          w.pools.get(n.poolId()).setState(n.id(), bad[rnd.nextInt(bad.length)]);
        }
      } else if (r < 0.56) {
        List<ProviderNode> nodes = w.allNodes();
        if (!nodes.isEmpty()) {
          ProviderNode n = nodes.get(rnd.nextInt(nodes.size()));
          w.pools.get(n.poolId()).vanish(n.id());
        }
      } else if (r < 0.60) {
        w.pools.values().forEach(p -> p.capacity(rnd.nextBoolean() ? 0 : Integer.MAX_VALUE));
      } else if (r < 0.65) {
        w.restart();
      }
      boolean slurmDown = rnd.nextDouble() < 0.04;
      w.slurm.unreachable(slurmDown);
      Optional<String> failingPool = rnd.nextDouble() < 0.05 ? Optional.of(List.copyOf(w.pools.keySet()).get(rnd.nextInt(3))) : Optional.empty();
      failingPool.ifPresent(p -> w.pools.get(p).failCalls(Optional.of(new ProviderError(ErrorClass.TRANSIENT, "ServerBusy", "503"))));

      w.pass();

      w.slurm.unreachable(false);
      failingPool.ifPresent(p -> w.pools.get(p).failCalls(Optional.empty()));
      if (rnd.nextDouble() < 0.8) {
        w.pools.values().forEach(ScriptedPool::completeResize);
      }
      if (rnd.nextDouble() < 0.8) {
        w.pools.values().forEach(ScriptedPool::bootAll);
      }
      if (rnd.nextDouble() < 0.8) {
        w.joinReadyNodes();
      }
      w.forgetRemovedNodes();
      slurmTimeouts(w, hosts, resumedAt, silentSince);
      checkInvariants(w, where);
      w.clock.advance(Duration.ofSeconds(5 + rnd.nextInt(56)));
    }

    // Calm: no more failures; Slurm powers every host down; the engine must give every node back.
    w.pools.values().forEach(p -> {
      p.capacity(Integer.MAX_VALUE);
      p.failCalls(Optional.empty());
    });
    w.slurm.unreachable(false);
    hosts.forEach(h -> w.slurm.power(h, Power.POWERED_DOWN, false, Optional.empty()));
    w.record(Intent.DOWN, IntentSource.SUSPEND, hosts);
    for (int i = 0; i < 60; i++) {
      w.cycle(Duration.ofSeconds(30));
      checkInvariants(w, "seed " + seed + " calm " + i);
    }
    Set<String> kinds = w.events.stream().map(e -> e.kind()).collect(Collectors.toSet());
    assertThat(kinds).as("seed %d: the history exercised the engine", seed)
        .contains("registered", "release-requested", "released", "backoff", "resize", "joined");
    assertThat(w.allNodes()).as("seed %d: nodes left after everything went down", seed).isEmpty();
    assertThat(w.store.bindings()).as("seed %d: bindings left", seed).isEmpty();
    w.pools.values().forEach(p -> assertThat(p.status().target().total()).as("seed %d: target of %s", seed, p.id()).isZero());
  }

  /** What slurmctld does on its own: give up on resumes past ResumeTimeout, power down dead hosts. */
  private static void slurmTimeouts(World w, List<String> hosts, Map<String, Instant> resumedAt, Map<String, Instant> silentSince) {
    Instant now = w.clock.instant();
    List<String> failed = new ArrayList<>();
    List<String> dead = new ArrayList<>();
    for (String h : hosts) {
      SlurmHostState s = w.slurm.state(h);
      if (s.power() == Power.POWERING_UP && resumedAt.containsKey(h) && !resumedAt.get(h).plus(SLURM_RESUME_TIMEOUT).isAfter(now)) {
        failed.add(h);
      }
      if (s.power() == Power.POWERED_UP && !s.responding()) {
        silentSince.putIfAbsent(h, now);
        if (!silentSince.get(h).plus(Duration.ofMinutes(10)).isAfter(now)) {
          dead.add(h);
        }
      } else {
        silentSince.remove(h);
      }
    }
    failed.forEach(h -> w.slurm.set(h, s -> new SlurmHostState(h, Power.POWERED_DOWN, false, false, false, Optional.empty(), Optional.empty())));
    if (!failed.isEmpty()) {
      w.record(Intent.DOWN, IntentSource.RESUME_FAIL, failed);
    }
    dead.forEach(h -> w.slurm.set(h, s -> new SlurmHostState(h, Power.POWERED_DOWN, false, false, false, Optional.empty(), Optional.empty())));
    if (!dead.isEmpty()) {
      w.record(Intent.DOWN, IntentSource.SUSPEND, dead);
    }
  }

  private static void checkInvariants(World w, String where) {
    List<String> boundNodes = w.store.bindings().values().stream().map(HostBinding::nodeId).flatMap(Optional::stream).toList();
    assertThat(new HashSet<>(boundNodes)).as("%s: a node bound to two hosts: %s", where, boundNodes).hasSize(boundNodes.size());

    Set<String> live = w.allNodes().stream().map(ProviderNode::id).collect(Collectors.toSet());
    Map<String, List<String>> nodesPerHost = w.runningAs.entrySet().stream().filter(e -> live.contains(e.getKey()))
        .collect(Collectors.groupingBy(Map.Entry::getValue, Collectors.mapping(Map.Entry::getKey, Collectors.toList())));
    nodesPerHost.forEach((host, nodes) -> assertThat(nodes).as("%s: host %s served by two nodes", where, host).hasSize(1));

    for (PoolTopology t : w.topology) {
      ScriptedPool p = w.pools.get(t.poolId());
      assertThat(p.nodes().size()).as("%s: pool %s above max", where, t.poolId()).isLessThanOrEqualTo(t.maxNodes());
      assertThat(p.status().target().total()).as("%s: target of %s above max", where, t.poolId()).isLessThanOrEqualTo(t.maxNodes());
    }
  }
}
