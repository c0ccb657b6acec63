package dev.slipway.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import dev.slipway.model.NodeType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ScenarioReaderTest {
  private static final Path FILE = Path.of("/scenarios/s.yaml");

  private static List<String> problems(String yaml) {
    try {
      ScenarioReader.parse(yaml, FILE);
    } catch (ConfigException e) {
      return e.problems().stream().map(ConfigProblem::format).toList();
    }
    throw new AssertionError("expected problems in:\n" + yaml);
  }

  @Test
  void read_exampleBurstScenario_expandsTheGeneratorInTimeOrder() {
    Scenario s = ScenarioReader.read(Path.of("../examples/scenarios/burst.yaml"));
    assertThat(s.configDir()).isEqualTo(Path.of("../examples/config").toAbsolutePath().normalize());
    assertThat(s.start()).isEqualTo(Instant.parse("2026-01-01T08:00:00Z"));
    assertThat(s.end()).isEqualTo(Instant.parse("2026-01-01T11:00:00Z"));
    assertThat(s.timing().resumeTimeout()).isEqualTo(Duration.ofMinutes(15));
    assertThat(s.timing().slurmdTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(s.timing().powerSaveInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.jobs()).hasSize(62);
    assertThat(s.jobs()).isSortedAccordingTo(java.util.Comparator.comparing(JobSpec::at));
    assertThat(s.jobs().get(1)).isEqualTo(new JobSpec(Instant.parse("2026-01-01T08:02:00Z"), "batch", 2,
        Duration.ofHours(1), Optional.of("dedicated"), false));
    assertThat(s.jobs().subList(2, 62)).allSatisfy(j -> {
      assertThat(j.nodes()).isBetween(1, 4);
      assertThat(j.duration()).isBetween(Duration.ofMinutes(5), Duration.ofMinutes(25));
      assertThat(j.requeue()).isTrue();
    });
    assertThat(s.jobs().get(61).at()).isEqualTo(Instant.parse("2026-01-01T08:34:30Z"));
    assertThat(s.behaviourOf("spot")).isEqualTo(new PoolBehaviour(
        new BootTime.Uniform(Duration.ofMinutes(2), Duration.ofMinutes(6)), 0.03, 0.01, OptionalInt.of(24)));
    assertThat(s.behaviourOf("ondemand").bootTime()).isEqualTo(new BootTime.Fixed(Duration.ofMinutes(5)));
    assertThat(s.behaviourOf("other").bootTime()).isEqualTo(new BootTime.LogNormal(Duration.ofMinutes(4), 0.25));
    assertThat(s.events()).extracting(TimedEvent::kind).containsExactly(TimedEvent.Kind.PREEMPT,
        TimedEvent.Kind.CAPACITY_OUTAGE, TimedEvent.Kind.DAEMON_CRASH, TimedEvent.Kind.DAEMON_RESTART);
    assertThat(s.events().get(1).duration()).contains(Duration.ofMinutes(20));

    // Same file, same seed, same trace.
    assertThat(ScenarioReader.read(Path.of("../examples/scenarios/burst.yaml")).jobs()).isEqualTo(s.jobs());
  }

  @Test
  void burstFrom_isAnOffsetFromStart_beforeEnd() {
    Scenario s = ScenarioReader.parse("config: .\nend: 1h\nburst_from: 20m\n", FILE);
    assertThat(s.burstFrom()).isEqualTo(ScenarioReader.DEFAULT_START.plus(Duration.ofMinutes(20)));
    assertThat(ScenarioReader.parse("config: .\nend: 1h\n", FILE).burstFrom()).isEqualTo(ScenarioReader.DEFAULT_START);

    assertThat(problems("config: .\nend: 1h\nburst_from: 1h\n")).singleElement().asString()
        .contains("burst_from: must be before end");
  }

  @Test
  void generator_isDeterministicPerSeed_andChangesWithIt() {
    String base = "config: .\nend: 1h\njobs:\n  - generate: {count: 20, every: 1m, partition: p, nodes: 1-8,"
        + " duration: 1m-1h, seed: %d}\n";
    List<JobSpec> a = ScenarioReader.parse(base.formatted(1), FILE).jobs();
    assertThat(ScenarioReader.parse(base.formatted(1), FILE).jobs()).isEqualTo(a);
    assertThat(ScenarioReader.parse(base.formatted(2), FILE).jobs()).isNotEqualTo(a);
    assertThat(a.get(0).at()).isEqualTo(ScenarioReader.DEFAULT_START);
    assertThat(a.get(19).at()).isEqualTo(ScenarioReader.DEFAULT_START.plus(Duration.ofMinutes(19)));
  }

  @Test
  void parse_acceptsMappingRanges_andPoolsOverrideTheDefaultsTheyDoNotRestate() {
    Scenario s = ScenarioReader.parse(String.join("\n",
        "config: .",
        "end: 90",
        "pool_defaults: {boot_time: 2m, faults: {unusable: 0.5}, capacity: 7}",
        "pools:",
        "  a: {faults: {start_task_failure: 0.1}}",
        "jobs:",
        "  - generate: {count: 5, every: 10s, partition: p, nodes: {min: 3, max: 3}, duration: {min: 1m, max: 1m},"
            + " requeue: no, constraint: x|y}",
        ""), FILE);
    assertThat(s.end()).isEqualTo(ScenarioReader.DEFAULT_START.plusSeconds(90));
    assertThat(s.behaviourOf("a")).isEqualTo(new PoolBehaviour(new BootTime.Fixed(Duration.ofMinutes(2)), 0.1, 0.5,
        OptionalInt.of(7)));
    assertThat(s.jobs()).hasSize(5).allSatisfy(j -> {
      assertThat(j.nodes()).isEqualTo(3);
      assertThat(j.duration()).isEqualTo(Duration.ofMinutes(1));
      assertThat(j.requeue()).isFalse();
      assertThat(j.constraint()).contains("x|y");
    });
  }

  @Test
  void parse_reportsEveryProblemAtOnce_withLineColumnAndKeyPath() {
    String yaml = String.join("\n",
        "config: ../c",
        "cluster:",
        "  suspend_tme: 10m",
        "  resume_timeout: soon",
        "pools:",
        "  gpu:",
        "    faults: {unusable: 1.5}",
        "    boot_time: {distribution: gamma}",
        "jobs:",
        "  - {at: 0s, partition: p, nodes: 0, duration: 1m}",
        "  - {at: 1m, partition: p, nodes: 1}",
        "  - generate: {count: 3, every: 1m, partition: p, nodes: 1-2, duration: 5m-1m}",
        "  - {at: 1m, partition: p, nodes: 1, duration: 1m, constraint: '[a|b]'}",
        "events:",
        "  - {at: 1m, kind: explode}",
        "  - {at: 2m, kind: preempt, pool: gpu}",
        "  - {at: 3m, kind: daemon_crash, pool: gpu}",
        "");
    assertThat(problems(yaml)).containsExactlyInAnyOrder(
        "/scenarios/s.yaml:3:3 cluster.suspend_tme: unknown key; allowed: idle_on_node_suspend, power_save_interval,"
            + " requeue_delay, resume_timeout, return_to_service, sched_interval, slurmd_timeout, suspend_time,"
            + " suspend_timeout",
        "/scenarios/s.yaml:4:19 cluster.resume_timeout: 'soon' is not a positive duration; allowed: "
            + DurationText.ALLOWED,
        "/scenarios/s.yaml:7:24 pools.gpu.faults.unusable: '1.5' is not a number in range; allowed: 0.0..1.0",
        "/scenarios/s.yaml:8:31 pools.gpu.boot_time.distribution: unknown distribution 'gamma'; allowed: fixed,"
            + " uniform, lognormal",
        "/scenarios/s.yaml:10:35 jobs[0].nodes: '0' is not a whole number in range; allowed: 1..100000",
        "/scenarios/s.yaml:11:5 jobs[1].duration: is required",
        "/scenarios/s.yaml:12:73 jobs[2].generate.duration: is not a range (low-high with low <= high, or one value);"
            + " allowed: 5m-20m or 10m (" + DurationText.ALLOWED + ")",
        "/scenarios/s.yaml:13:64 jobs[3].constraint: constraint '[a|b]' uses '[', which the simulator does not model;"
            + " use a, a&b or a|b; allowed: a, a&b, a|b",
        "/scenarios/s.yaml:15:20 events[0].kind: unknown event kind 'explode'; allowed: daemon_crash, daemon_restart,"
            + " preempt, capacity_outage",
        "/scenarios/s.yaml:16:5 events[1].count: is required",
        "/scenarios/s.yaml:17:34 events[2].pool: does not apply to daemon_crash events",
        "/scenarios/s.yaml:1:1 end: is required");
  }

  @Test
  void parse_rejectsDuplicateKeysAndNonMappingDocuments() {
    assertThat(problems("config: .\nend: 1h\nend: 2h\n")).containsExactly("/scenarios/s.yaml:3:1 end: key appears twice");
    assertThat(problems("- a\n- b\n")).singleElement().satisfies(p -> assertThat(p).contains("a scenario is a mapping"));
    assertThat(problems("config: .\nend: 1h\nstart: yesterday\n")).singleElement()
        .satisfies(p -> assertThat(p).startsWith("/scenarios/s.yaml:3:8 start: 'yesterday' is not an instant"));
  }

  @Test
  void problemsAgainst_namesPartitionsAndPoolsTheConfigurationLacks() {
    Scenario s = ScenarioReader.parse(String.join("\n",
        "config: ../c",
        "end: 1h",
        "pools:",
        "  ghost: {capacity: 3}",
        "jobs:",
        "  - {at: 0s, partition: nope, nodes: 1, duration: 1m}",
        "  - {at: 0s, partition: work, nodes: 1, duration: 1m}",
        "events:",
        "  - {at: 1m, kind: capacity_outage, pool: lp, duration: 5m}",
        ""), FILE);
    SimTopology topology = new SimTopology(List.of(new PartitionModel("work",
        List.of(new PoolModel("lp", "lp", 2, 1, List.of(), NodeType.LOW_PRIORITY, 0)))));
    assertThat(s.problemsAgainst(topology)).extracting(ConfigProblem::format).containsExactly(
        "/scenarios/s.yaml:4:3 pools.ghost: pool 'ghost' is not in the configuration at /c; allowed: lp",
        "/scenarios/s.yaml:6:25 jobs[0].partition: partition 'nope' is not in the configuration at /c;"
            + " allowed: work");
  }

  @Test
  void durations_acceptUnitsSecondsAndIso() {
    assertThat(DurationText.parse("90")).contains(Duration.ofSeconds(90));
    assertThat(DurationText.parse("1h30m")).contains(Duration.ofMinutes(90));
    assertThat(DurationText.parse("2d")).contains(Duration.ofDays(2));
    assertThat(DurationText.parse("1.5s")).contains(Duration.ofMillis(1500));
    assertThat(DurationText.parse("250ms")).contains(Duration.ofMillis(250));
    assertThat(DurationText.parse("PT2M")).contains(Duration.ofMinutes(2));
    assertThat(DurationText.parse("5 minutes")).isEmpty();
    assertThat(DurationText.parse("m5")).isEmpty();
    assertThat(DurationText.parse("")).isEmpty();
  }

  @Test
  void bootTimes_sampleWithinTheirShapeAndRepeatPerSeed() {
    BootTime uniform = new BootTime.Uniform(Duration.ofMinutes(2), Duration.ofMinutes(6));
    BootTime lognormal = new BootTime.LogNormal(Duration.ofMinutes(4), 0.25);
    SplittableRandom r1 = new SplittableRandom(5);
    SplittableRandom r2 = new SplittableRandom(5);
    for (int i = 0; i < 1000; i++) {
      Duration u = uniform.sample(r1);
      assertThat(u).isBetween(Duration.ofMinutes(2), Duration.ofMinutes(6));
      assertThat(uniform.sample(r2)).isEqualTo(u);
      Duration l = lognormal.sample(r1);
      assertThat(l).isPositive();
      assertThat(lognormal.sample(r2)).isEqualTo(l);
    }
    assertThat(new BootTime.Fixed(Duration.ofSeconds(7)).sample(r1)).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void read_missingFile_isOneProblemNotAStackTrace() {
    assertThatThrownBy(() -> ScenarioReader.read(Path.of("/nonexistent/x.yaml")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cannot read the scenario");
  }
}
