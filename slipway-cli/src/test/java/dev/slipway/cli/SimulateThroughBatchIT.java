package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.config.ConfigLoader;
import dev.slipway.config.ElasticPartition;
import dev.slipway.simulate.Scenario;
import dev.slipway.simulate.ScenarioReader;
import dev.slipway.simulate.Simulation;
import dev.slipway.simulate.SimulationReport;
import dev.slipway.simulate.SimulationSettings;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code slipway simulate --provider azure-batch}: the example burst (faults, a capacity limit and
 * outage, preemption, a daemon crash) through the azure-batch provider, HTTP and the Batch emulator
 * backed by the simulated cloud ends like the direct run: every job completes, the invariants
 * hold, the run drains. Call counts and latencies differ by design (docs/simulate.md).
 */
class SimulateThroughBatchIT {
  @TempDir Path dir;

  @Test
  void exampleBurst_throughTheBatchEmulator_completesTheSameJobsAndKeepsTheInvariants() {
    Path scenarioFile = Path.of("..", "examples", "scenarios", "burst.yaml");
    Scenario scenario = ScenarioReader.read(scenarioFile);
    List<ElasticPartition> partitions = new ConfigLoader(ConfigOptions.knownVmSizes()).loadDirectory(scenario.configDir()).config()
        .slurm().options().elasticPartitions();

    SimulationReport direct = new Simulation(scenario, partitions, SimulationSettings.DEFAULTS.withStateDir(dir.resolve("sim")),
        scenario.seed()).run();
    SimulateCommand.BatchRun batch = SimulateCommand.runThroughBatch(scenario, partitions,
        SimulationSettings.DEFAULTS.withStateDir(dir.resolve("batch")), scenario.seed());
    SimulationReport viaBatch = batch.report();

    assertThat(viaBatch.invariants().held()).as("invariants through Batch: %s", viaBatch.invariants().examples()).isTrue();
    assertThat(direct.invariants().held()).isTrue();
    assertThat(viaBatch.run().drained()).isTrue();
    assertThat(viaBatch.jobs().submitted()).isEqualTo(direct.jobs().submitted());
    assertThat(viaBatch.jobs().completed()).isEqualTo(direct.jobs().completed()).isEqualTo(direct.jobs().submitted() - direct.jobs().rejected());
    assertThat(viaBatch.jobs().unfinished()).isZero();
    assertThat(batch.callsByOperation()).containsKeys("POST resize", "GET pool", "GET nodes");
    assertThat(batch.callsByOperation().get("POST resize")).as("each engine resize is one REST resize")
        .isEqualTo(viaBatch.providerCalls().resize());
    System.out.printf("direct: %s jobs completed, %d provider calls (%d resize), %d ms wall%n", direct.jobs().completed(),
        direct.providerCalls().total(), direct.providerCalls().resize(), direct.run().wallMillis());
    System.out.printf("batch:  %s jobs completed, %d provider calls (%d resize), REST %s, %d ms wall%n", viaBatch.jobs().completed(),
        viaBatch.providerCalls().total(), viaBatch.providerCalls().resize(), batch.callsByOperation(), viaBatch.run().wallMillis());
  }
}
