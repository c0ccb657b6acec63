package dev.slipway.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.config.ConfigLoader;
import dev.slipway.config.ElasticPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulationTest {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  static List<ElasticPartition> partitionsOf(Path configDir) {
    return new ConfigLoader(name -> true).loadDirectory(configDir).config().slurm().options().elasticPartitions();
  }

  @Test
  void burstExample_runsToTheEnd_withInvariantsHeldAndEveryJobDone() {
    Scenario scenario = ScenarioReader.read(REPO.resolve("examples/scenarios/burst.yaml"));
    SimulationReport report = new Simulation(scenario, partitionsOf(scenario.configDir()), SimulationSettings.DEFAULTS, scenario.seed()).run();
    assertThat(report.invariants().held()).as(report.invariants().examples().toString()).isTrue();
    assertThat(report.run().drained()).isTrue();
    assertThat(report.jobs().unfinished()).isZero();
  }

  @Test
  void burstIntake_countsOnlyResumeCallsFromBurstFrom_soAWarmUpBeforeItIsLeftOut() {
    String head = String.join("\n",
        "config: ../config",
        "end: 1h",
        "cluster: {suspend_time: 2m, suspend_timeout: 1m}",
        "jobs:",
        "  - {at: 0s, partition: batch, nodes: 2, duration: 2m}",
        "  - {at: 30m, partition: batch, nodes: 3, duration: 2m}",
        "  - {at: 30m, partition: batch, nodes: 1, duration: 2m}",
        "");
    Path file = REPO.resolve("examples/scenarios/intake.yaml");
    Scenario whole = ScenarioReader.parse(head, file);
    Scenario burst = ScenarioReader.parse(head + "burst_from: 20m\n", file);

    SimulationReport.Intake all = new Simulation(whole, partitionsOf(whole.configDir()), SimulationSettings.DEFAULTS, 1).run()
        .intake().orElseThrow();
    SimulationReport.Intake late = new Simulation(burst, partitionsOf(burst.configDir()), SimulationSettings.DEFAULTS, 1).run()
        .intake().orElseThrow();

    // Slurm picks the warm-up's two hosts again at 30 m, so both count four distinct hosts.
    assertThat(all.hosts()).isEqualTo(4);
    assertThat(all.duration()).isGreaterThan(Duration.ofMinutes(30));
    assertThat(late.hosts()).isEqualTo(4);
    assertThat(late.duration()).isLessThan(Duration.ofMinutes(1));
    assertThat(late.passes()).isLessThan(all.passes());
  }
}
