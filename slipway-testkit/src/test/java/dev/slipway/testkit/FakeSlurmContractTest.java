package dev.slipway.testkit;

import dev.slipway.slurm.SlurmControl;
import java.util.List;
import java.util.stream.IntStream;

/** FakeSlurm behaves as the real slurmctld does in {@link SlurmControlContract}. */
class FakeSlurmContractTest extends SlurmControlContract {
  private final List<String> hosts = IntStream.range(0, 1200).mapToObj(i -> "cn-" + i).toList();
  private final FakeSlurm slurm = new FakeSlurm().addCloudNodes("cn", hosts);

  @Override
  protected SlurmControl control() {
    return slurm;
  }

  @Override
  protected List<String> hosts() {
    return hosts;
  }
}
