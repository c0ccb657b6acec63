package dev.slipway.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.model.ErrorClass;
import dev.slipway.sim.SimStats.CallKind;
import dev.slipway.sim.SimStats.CallOutcome;
import dev.slipway.sim.SimStats.NodeEvent;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The simulator's timing and faults. The shared provider behaviour is in slipway-testkit's contract. */
class SimProviderTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** A settable clock (core's tests cannot use testkit's FakeClock: testkit depends on core). */
  private static final class Clock implements InstantSource {
    Instant now = T0;

    @Override
    public Instant instant() {
      return now;
    }
  }

  private final Clock clock = new Clock();

  private static SimPoolSpec fixedPool(String id, int max) {
    return SimPoolSpec.typical(id, max).withLatencies(
        LatencyDistribution.fixed(Duration.ofSeconds(30)),
        LatencyDistribution.fixed(Duration.ofSeconds(10)),
        LatencyDistribution.fixed(Duration.ofSeconds(100)),
        LatencyDistribution.fixed(Duration.ofSeconds(20)));
  }

  private SimProvider sim(SimPoolSpec... specs) {
    SimProvider.Builder b = SimProvider.builder(clock).seed(7);
    for (SimPoolSpec s : specs) {
      b.pool(s);
    }
    return b.build();
  }

  private void at(SimProvider sim, long seconds) {
    clock.now = T0.plusSeconds(seconds);
    sim.advanceTo(clock.now);
  }

  private static Map<ProviderNodeState, Long> states(NodePool pool) {
    return pool.nodes().stream().collect(Collectors.groupingBy(ProviderNode::state, Collectors.counting()));
  }

  @Test
  void node_goesCreatingStartingReady_atTheConfiguredTimes() {
    SimProvider sim = sim(fixedPool("p", 4));
    NodePool pool = sim.pool("p").orElseThrow();
    pool.resize(new PoolTarget(2, 0));

    assertThat(states(pool)).containsOnly(Map.entry(ProviderNodeState.CREATING, 2L));
    assertThat(pool.isResizing()).isTrue();
    at(sim, 9);
    assertThat(states(pool)).containsOnly(Map.entry(ProviderNodeState.CREATING, 2L));
    at(sim, 10);
    assertThat(states(pool)).containsOnly(Map.entry(ProviderNodeState.STARTING, 2L));
    at(sim, 30);
    assertThat(pool.isResizing()).as("resize ends after its latency").isFalse();
    at(sim, 109);
    assertThat(states(pool)).containsOnly(Map.entry(ProviderNodeState.STARTING, 2L));
    at(sim, 110);
    assertThat(states(pool)).containsOnly(Map.entry(ProviderNodeState.READY, 2L));
    assertThat(pool.nodes()).allSatisfy(n -> assertThat(n.createdAt()).isEqualTo(T0));
  }

  @Test
  void apiCall_runsTheEventsDueByTheClock_withoutAdvanceTo() {
    SimProvider sim = sim(fixedPool("p", 4));
    NodePool pool = sim.pool("p").orElseThrow();
    pool.resize(new PoolTarget(1, 0));
    clock.now = T0.plusSeconds(500);

    assertThat(states(pool)).containsOnly(Map.entry(ProviderNodeState.READY, 1L));
  }

  @Test
  void startTask_runsWhileTheNodeIsStartingAndListed_andItsAnswerDecidesReadiness() {
    List<String> seen = new ArrayList<>();
    SimProvider[] holder = new SimProvider[1];
    SimProvider sim = SimProvider.builder(clock).seed(1).pool(fixedPool("p", 4)).startTask(node -> {
      // what a join endpoint does: check that the provider lists the node
      ProviderNode listed = holder[0].pool("p").orElseThrow().nodes().stream()
          .filter(n -> n.id().equals(node.id())).findFirst().orElseThrow();
      seen.add(listed.state() + " " + node.address().orElseThrow());
      return !node.id().endsWith("2");
    }).build();
    holder[0] = sim;
    NodePool pool = sim.pool("p").orElseThrow();
    pool.resize(new PoolTarget(2, 0));
    at(sim, 200);

    assertThat(seen).hasSize(2).allSatisfy(s -> assertThat(s).startsWith("STARTING 10.0.0."));
    assertThat(pool.nodes()).extracting(ProviderNode::state)
        .containsExactly(ProviderNodeState.READY, ProviderNodeState.START_FAILED);
    ProviderNode failed = pool.nodes().get(1);
    assertThat(failed.error()).map(ProviderError::errorClass).contains(ErrorClass.START_TASK);
  }

  @Test
  void startTask_thatThrows_failsTheNode() {
    SimProvider sim = SimProvider.builder(clock).pool(fixedPool("p", 4))
        .startTask(node -> { throw new IllegalStateException("join refused"); }).build();
    NodePool pool = sim.pool("p").orElseThrow();
    pool.resize(new PoolTarget(1, 0));
    at(sim, 200);

    ProviderNode node = pool.nodes().get(0);
    assertThat(node.state()).isEqualTo(ProviderNodeState.START_FAILED);
    assertThat(node.error().orElseThrow().message()).contains("join refused");
  }

  @Test
  void startTaskFailureRate_failsAboutThatShareOfNodes_withoutRunningTheirStartTask() {
    int[] ran = {0};
    SimProvider sim = SimProvider.builder(clock).seed(3)
        .pool(fixedPool("p", 400).withFaults(SimFaults.NONE.withStartTaskFailureRate(0.25)))
        .startTask(n -> { ran[0]++; return true; }).build();
    NodePool pool = sim.pool("p").orElseThrow();
    pool.resize(new PoolTarget(400, 0));
    at(sim, 200);

    long failed = states(pool).getOrDefault(ProviderNodeState.START_FAILED, 0L);
    assertThat(failed).isBetween(70L, 130L);
    assertThat(ran[0]).isEqualTo(400 - (int) failed);
    assertThat(sim.stats().nodes(NodeEvent.START_FAILED)).isEqualTo(failed);
    assertThat(sim.stats().nodes(NodeEvent.READY)).isEqualTo(400 - failed);
  }

  @Test
  void unusableRate_makesBootingNodesUnusable() {
    SimProvider sim = sim(fixedPool("p", 200).withFaults(SimFaults.NONE.withUnusableRate(0.5)));
    NodePool pool = sim.pool("p").orElseThrow();
    pool.resize(new PoolTarget(200, 0));
    at(sim, 200);

    List<ProviderNode> unusable = pool.nodes().stream().filter(n -> n.state() == ProviderNodeState.UNUSABLE).toList();
    assertThat(unusable.size()).isBetween(70, 130);
    assertThat(unusable).allSatisfy(n -> assertThat(n.error()).map(ProviderError::code).contains("NodeUnusable"));
  }

  @Test
  void makeUnusable_breaksARunningNode() {
    SimProvider sim = sim(fixedPool("p", 4));
    NodePool pool = sim.pool("p").orElseThrow();
    pool.resize(new PoolTarget(1, 0));
    at(sim, 200);
    String id = pool.nodes().get(0).id();

    sim.makeUnusable("p", id);

    assertThat(pool.nodes().get(0).state()).isEqualTo(ProviderNodeState.UNUSABLE);
    assertThatThrownBy(() -> sim.makeUnusable("p", "nope")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void apiFailureRate_failsCallsWithTransientErrors_andCountsThem() {
    SimProvider sim = sim(fixedPool("p", 4).withFaults(SimFaults.NONE.withApiFailureRate(0.5)));
    NodePool pool = sim.pool("p").orElseThrow();
    int failures = 0;
    for (int i = 0; i < 200; i++) {
      try {
        pool.status();
      } catch (ProviderException e) {
        assertThat(e.error().errorClass()).isEqualTo(ErrorClass.TRANSIENT);
        failures++;
      }
    }
    assertThat(failures).isBetween(70, 130);
    assertThat(sim.stats().calls(CallKind.STATUS, CallOutcome.TRANSIENT_FAILURE)).isEqualTo(failures);
    assertThat(sim.stats().calls(CallKind.STATUS, CallOutcome.OK)).isEqualTo(200 - failures);
  }

  @Test
  void callLatency_isReportedToTheSinkBeforeTheCallTakesEffect() {
    List<Duration> reported = new ArrayList<>();
    SimProvider sim = SimProvider.builder(clock)
        .pool(fixedPool("p", 4).withFaults(SimFaults.NONE.withCallLatency(LatencyDistribution.fixed(Duration.ofSeconds(2)))))
        .latencySink(d -> {
          reported.add(d);
          clock.now = clock.now.plus(d);
        }).build();
    NodePool pool = sim.pool("p").orElseThrow();

    pool.resize(new PoolTarget(1, 0));

    assertThat(reported).containsExactly(Duration.ofSeconds(2));
    assertThat(pool.nodes().get(0).createdAt()).as("the resize happened after the call latency").isEqualTo(T0.plusSeconds(2));
    assertThat(sim.stats().callTime()).isEqualTo(Duration.ofSeconds(4));
  }

  @Test
  void capacityLimit_allocatesKOfN_andReportsAllocationFailedOnlyOnceSteady() {
    SimProvider sim = sim(fixedPool("p", 10));
    NodePool pool = sim.pool("p").orElseThrow();
    sim.limitAllocation("p", ErrorClass.CAPACITY, 2);

    pool.resize(new PoolTarget(5, 0));

    assertThat(pool.nodes()).hasSize(2);
    assertThat(pool.status().resizeErrors()).as("hidden while resizing").isEmpty();
    at(sim, 30);
    ProviderError error = pool.status().resizeErrors().get(0);
    assertThat(error.errorClass()).isEqualTo(ErrorClass.CAPACITY);
    assertThat(error.code()).isEqualTo("AllocationFailed");
    assertThat(error.message()).contains("2 of 5 dedicated");
    assertThat(pool.targetSize()).isEqualTo(new PoolTarget(5, 0));
    assertThat(sim.stats().nodes(NodeEvent.ALLOCATION_REFUSED)).isEqualTo(3);

    pool.resize(new PoolTarget(5, 0));
    assertThat(pool.nodes()).as("the limit is used up").hasSize(2);
  }

  @Test
  void quotaLimit_onLowPriority_usesTheLowPriorityQuotaCode() {
    SimProvider sim = sim(fixedPool("p", 10));
    NodePool pool = sim.pool("p").orElseThrow();
    sim.limitAllocation("p", ErrorClass.QUOTA, 1);

    pool.resize(new PoolTarget(0, 3));
    at(sim, 30);

    assertThat(pool.status().resizeErrors()).extracting(ProviderError::code).containsExactly("AccountLowPriorityCoreQuotaReached");
    assertThat(pool.nodes()).hasSize(1);
    assertThatThrownBy(() -> sim.limitAllocation("p", ErrorClass.TRANSIENT, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shrinkingResize_shedsFailedNodesFirst_thenTheNewestBooting() {
    SimProvider sim = sim(fixedPool("p", 10));
    NodePool pool = sim.pool("p").orElseThrow();
    pool.resize(new PoolTarget(0, 3));
    at(sim, 200);
    List<ProviderNode> nodes = pool.nodes();
    sim.preempt("p", 1);
    String preempted = nodes.get(0).id();
    assertThat(pool.nodes().get(0).state()).isEqualTo(ProviderNodeState.PREEMPTED);

    pool.resize(new PoolTarget(0, 2));
    assertThat(pool.nodes()).filteredOn(n -> n.state() == ProviderNodeState.LEAVING).extracting(ProviderNode::id)
        .containsExactly(preempted);
    at(sim, 230);
    assertThat(pool.nodes()).extracting(ProviderNode::id).containsExactly(nodes.get(1).id(), nodes.get(2).id());
    assertThat(sim.stats().nodes(NodeEvent.REMOVED)).isEqualTo(1);
  }

  @Test
  void remove_keepsThePoolResizingUntilTheNodesAreGone() {
    SimProvider sim = sim(fixedPool("p", 10));
    NodePool pool = sim.pool("p").orElseThrow();
    pool.resize(new PoolTarget(2, 0));
    at(sim, 200);

    pool.remove(List.of(pool.nodes().get(0).id()));
    assertThat(pool.isResizing()).isTrue();
    assertThat(pool.nodes().get(0).state()).isEqualTo(ProviderNodeState.LEAVING);
    at(sim, 219);
    assertThatThrownBy(() -> pool.resize(new PoolTarget(3, 0))).isInstanceOf(ProviderException.class)
        .satisfies(e -> assertThat(((ProviderException) e).error().code()).isEqualTo("PoolBeingResized"));
    at(sim, 220);
    assertThat(pool.isResizing()).isFalse();
    assertThat(pool.nodes()).hasSize(1);
  }

  @Test
  void remove_ofTooManyIds_isCountedAsInvalid() {
    SimProvider sim = sim(fixedPool("p", 10));
    NodePool pool = sim.pool("p").orElseThrow();
    List<String> ids = IntStream.range(0, 101).mapToObj(i -> "x" + i).toList();

    assertThatThrownBy(() -> pool.remove(ids)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("100");
    assertThat(sim.stats().calls(CallKind.REMOVE, CallOutcome.INVALID)).isEqualTo(1);
  }

  @Test
  void stats_countCallsByKindAndOutcome() {
    SimProvider sim = sim(fixedPool("p", 2));
    NodePool pool = sim.pool("p").orElseThrow();
    pool.resize(new PoolTarget(1, 0));
    assertThatThrownBy(() -> pool.resize(new PoolTarget(2, 0))).isInstanceOf(ProviderException.class);
    assertThatThrownBy(() -> pool.resize(new PoolTarget(3, 0))).isInstanceOf(ProviderException.class);
    pool.nodes();

    SimStats stats = sim.stats();
    assertThat(stats.calls(CallKind.RESIZE, CallOutcome.OK)).isEqualTo(1);
    assertThat(stats.calls(CallKind.RESIZE, CallOutcome.REFUSED)).isEqualTo(2);
    assertThat(stats.calls(CallKind.RESIZE)).isEqualTo(3);
    assertThat(stats.calls(CallKind.NODES)).isEqualTo(1);
    assertThat(stats.nodes(NodeEvent.CREATED)).isEqualTo(1);
  }

  @Test
  void sameSeed_givesTheSameRun_andAnotherSeedADifferentOne() {
    Function<Long, List<String>> run = seed -> {
      Clock c = new Clock();
      SimProvider sim = SimProvider.builder(c).seed(seed)
          .pool(SimPoolSpec.typical("p", 50).withFaults(new SimFaults(0.1, 0.1, 0.2, LatencyDistribution.uniform(Duration.ZERO, Duration.ofSeconds(3)))))
          .latencySink(d -> c.now = c.now.plus(d))
          .build();
      NodePool pool = sim.pool("p").orElseThrow();
      List<String> log = new ArrayList<>();
      for (int step = 0; step < 60; step++) {
        c.now = c.now.plusSeconds(20);
        try {
          if (step % 10 == 0) {
            pool.resize(new PoolTarget(5 + step / 2, step / 10));
          }
          pool.nodes().forEach(n -> log.add(n.id() + " " + n.state() + " " + n.lowPriority()));
          log.add(c.now.toString());
        } catch (ProviderException e) {
          log.add(e.error().summary());
        }
      }
      return log;
    };
    assertThat(run.apply(11L)).isEqualTo(run.apply(11L));
    assertThat(run.apply(11L)).isNotEqualTo(run.apply(12L));
  }

  @Test
  void poolLookup_ofAnUnknownPool_namesTheKnownOnes() {
    SimProvider sim = sim(fixedPool("a", 1), fixedPool("b", 1));
    assertThat(sim.pool("c")).isEmpty();
    assertThatThrownBy(() -> sim.simPool("c")).hasMessageContaining("[a, b]");
    assertThatThrownBy(() -> sim(fixedPool("a", 1), fixedPool("a", 2))).hasMessageContaining("duplicate");
    assertThat(sim.name()).isEqualTo("sim");
  }
}
