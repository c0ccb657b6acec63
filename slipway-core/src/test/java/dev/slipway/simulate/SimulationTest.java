package dev.slipway.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.config.ConfigLoader;
import dev.slipway.config.ElasticPartition;
import java.nio.file.Path;
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
}
