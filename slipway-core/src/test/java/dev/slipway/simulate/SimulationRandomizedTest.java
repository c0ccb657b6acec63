package dev.slipway.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.model.NodeType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random job traces, fault rates, preemptions, capacity outages and daemon crashes (between passes
 * and inside a pass, after a random number of store writes), each run through the whole harness
 * with the real engine and SQLite store. Every run must keep the invariants throughout, and once
 * capacity is back every job must complete and every node must be gone.
 */
class SimulationRandomizedTest {
  private static final Instant START = Instant.parse("2026-03-01T00:00:00Z");

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
  void randomScenario_withCrashesAndFaults_keepsInvariantsAndFinishesEveryJob(long seed) {
    Random r = new Random(seed);
    int spotMax = 4 + r.nextInt(12);
    int dedicatedMax = 4 + r.nextInt(12);
    List<ElasticPartition> partitions = List.of(new ElasticPartition("work", List.of(
        pool("spot", NodeType.LOW_PRIORITY, spotMax, 1, r.nextInt(3) == 0 ? 1 : 0),
        pool("dedi", NodeType.DEDICATED, dedicatedMax, 10, 0)),
        "UNLIMITED", true, Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), List.of()));

    List<JobSpec> jobs = new ArrayList<>();
    int count = 8 + r.nextInt(25);
    for (int i = 0; i < count; i++) {
      Instant at = START.plusSeconds(r.nextInt(60 * 60));
      int nodes = 1 + r.nextInt(Math.min(4, spotMax + dedicatedMax));
      Optional<String> constraint = r.nextInt(6) == 0 ? Optional.of("dedicated") : Optional.empty();
      if (constraint.isPresent()) {
        nodes = Math.min(nodes, dedicatedMax);
      }
      jobs.add(new JobSpec(at, "work", nodes, Duration.ofSeconds(60 + r.nextInt(20 * 60)), constraint, true));
    }
    jobs.sort((a, b) -> a.at().compareTo(b.at()));

    List<TimedEvent> events = new ArrayList<>();
    for (int i = r.nextInt(3); i > 0; i--) {
      events.add(new TimedEvent(START.plusSeconds(r.nextInt(80 * 60)), TimedEvent.Kind.PREEMPT, Optional.of("spot"), 1 + r.nextInt(4),
          Optional.empty()));
    }
    if (r.nextBoolean()) {
      events.add(new TimedEvent(START.plusSeconds(r.nextInt(60 * 60)), TimedEvent.Kind.CAPACITY_OUTAGE,
          Optional.of(r.nextBoolean() ? "spot" : "dedi"), r.nextInt(2), Optional.of(Duration.ofMinutes(5 + r.nextInt(20)))));
    }
    for (int i = 1 + r.nextInt(2); i > 0; i--) {
      events.add(new TimedEvent(START.plusSeconds(r.nextInt(80 * 60)), TimedEvent.Kind.DAEMON_CRASH, Optional.empty(), 0,
          Optional.of(Duration.ofSeconds(30 + r.nextInt(300)))));
    }
    events.sort((a, b) -> a.at().compareTo(b.at()));

    PoolBehaviour spot = new PoolBehaviour(new BootTime.Uniform(Duration.ofMinutes(1), Duration.ofMinutes(5)),
        r.nextDouble() * 0.1, r.nextDouble() * 0.05, r.nextInt(3) == 0 ? OptionalInt.of(2 + r.nextInt(spotMax)) : OptionalInt.empty());
    PoolBehaviour dedi = new PoolBehaviour(new BootTime.LogNormal(Duration.ofMinutes(3), 0.3), r.nextDouble() * 0.05, 0,
        OptionalInt.empty());
    SlurmTiming timing = SlurmTiming.of(Duration.ofMinutes(5), Duration.ofMinutes(12), Duration.ofMinutes(2))
        .withSlurmdTimeout(Duration.ofMinutes(3));
    Scenario scenario = new Scenario(Path.of("random-" + seed + ".yaml"), Path.of("."), START, START.plus(Duration.ofMinutes(90)), START,
        seed, timing, PoolBehaviour.DEFAULT, Map.of("spot", spot, "dedi", dedi), jobs, events, List.of());

    Simulation simulation = new Simulation(scenario, partitions, SimulationSettings.DEFAULTS, seed);
    for (int i = r.nextInt(3); i > 0; i--) {
      simulation.crashDuringPass(START.plusSeconds(r.nextInt(80 * 60)), r.nextInt(40), Duration.ofSeconds(r.nextInt(120)));
    }
    SimulationReport report = simulation.run();

    String context = "seed " + seed + ": " + report.toMap();
    assertThat(report.invariants().examples()).as(context).isEmpty();
    assertThat(report.invariants().held()).as(context).isTrue();
    assertThat(report.run().drained()).as(context).isTrue();
    assertThat(report.jobs().submitted()).as(context).isEqualTo(count);
    assertThat(report.jobs().completed()).as(context).isEqualTo(count);
    assertThat(report.engine().crashes()).as(context).isPositive();
  }

  private static ElasticPool pool(String id, NodeType type, int max, int weight, int reclaimExclude) {
    return new ElasticPool(id, id, Optional.empty(), type, max, weight, List.of(), reclaimExclude, Optional.of("standard_d2_v3"));
  }
}
