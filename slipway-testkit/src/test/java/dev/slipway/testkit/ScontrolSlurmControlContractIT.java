package dev.slipway.testkit;

import dev.slipway.slurm.ScontrolSlurmControl;
import dev.slipway.slurm.SlurmControl;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * ScontrolSlurmControl against a real slurmctld 22.05 (the reference the contract is written
 * from), started for this class by {@link LocalSlurmctld}; skipped when slurmctld, munged or root
 * are missing.
 */
class ScontrolSlurmControlContractIT extends SlurmControlContract {
  private final List<String> hosts = IntStream.range(0, 1200).mapToObj(i -> "cn-" + i).toList();
  private LocalSlurmctld slurmctld;
  private SlurmControl control;

  @BeforeAll
  void startSlurmctld() throws Exception {
    slurmctld = LocalSlurmctld.start(List.of("NodeName=cn-[0-1199] CPUs=1 RealMemory=100 State=CLOUD",
        "PartitionName=cn Nodes=cn-[0-1199] Default=YES State=UP"), hosts.size());
    control = new ScontrolSlurmControl(slurmctld.runner(), "scontrol", Duration.ofSeconds(30));
  }

  @AfterAll
  void stopSlurmctld() throws IOException {
    if (slurmctld != null) {
      slurmctld.close();
    }
  }

  @Override
  protected SlurmControl control() {
    return control;
  }

  @Override
  protected List<String> hosts() {
    return hosts;
  }
}
