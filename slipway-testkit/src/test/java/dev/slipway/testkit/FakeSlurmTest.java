package dev.slipway.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.slurm.NodeBaseState;
import dev.slipway.slurm.NodeFlag;
import dev.slipway.slurm.NodeStateChange;
import dev.slipway.slurm.NodeUpdate;
import dev.slipway.slurm.SlurmControlException;
import dev.slipway.slurm.SlurmNodeState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FakeSlurmTest {
  private final FakeSlurm slurm = new FakeSlurm().addCloudNodes("gpu", List.of("gpu-0", "gpu-1", "gpu-2"));

  @Test
  void cloudNodes_startPoweredDownInTheirPartition() {
    assertThat(slurm.nodes()).hasSize(3).allSatisfy(n -> {
      assertThat(n.state()).isEqualTo(SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN));
      assertThat(n.partitions()).containsExactly("gpu");
    });
    assertThat(slurm.nodes(List.of("gpu-1", "cpu-9")).keySet()).containsExactly("gpu-1");
    assertThat(slurm.reads()).isEqualTo(2);
  }

  @Test
  void downWithReason_thenResume_bringsTheNodeBackAndClearsTheReason() {
    slurm.update(NodeUpdate.state(List.of("gpu-0", "gpu-1"), NodeStateChange.DOWN, "capacity fallback"));
    assertThat(slurm.node("gpu-0").state().base()).isEqualTo(NodeBaseState.DOWN);
    assertThat(slurm.node("gpu-0").state().has(NodeFlag.POWERED_DOWN)).isTrue();
    assertThat(slurm.node("gpu-1").reason()).contains("capacity fallback");

    slurm.update(NodeUpdate.state(List.of("gpu-0"), NodeStateChange.RESUME));
    assertThat(slurm.node("gpu-0").state())
        .isEqualTo(SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN, NodeFlag.NOT_RESPONDING));
    assertThat(slurm.node("gpu-0").reason()).isEmpty();
    assertThat(slurm.updates()).hasSize(2);
  }

  @Test
  void powerDown_ofARunningNode_leavesItPoweredDown() {
    slurm.setState("gpu-2", SlurmNodeState.of(NodeBaseState.ALLOCATED, NodeFlag.CLOUD));
    slurm.update(NodeUpdate.state(List.of("gpu-2"), NodeStateChange.POWER_DOWN_FORCE));
    assertThat(slurm.node("gpu-2").state()).isEqualTo(SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN));
  }

  @Test
  void update_namingAnUnknownNode_failsButChangesTheKnownOnesAsSlurmDoes() {
    assertThatThrownBy(() -> slurm.update(NodeUpdate.state(List.of("gpu-0", "gpu-9"), NodeStateChange.DRAIN, "x")))
        .isInstanceOf(SlurmControlException.class).hasMessageContaining("gpu-9");
    assertThat(slurm.node("gpu-0").state().isDrain()).isTrue();
    assertThat(slurm.updates()).hasSize(1);
  }

  @Test
  void setAddresses_recordsAndApplies() {
    slurm.setAddresses(Map.of("gpu-0", "10.0.0.4"));
    assertThat(slurm.node("gpu-0").address()).contains("10.0.0.4");
    assertThat(slurm.addressUpdates()).containsExactly(Map.of("gpu-0", "10.0.0.4"));
  }

  @Test
  void unavailable_failsEveryCall() {
    slurm.setUnavailable(true);
    assertThatThrownBy(slurm::nodes).isInstanceOf(SlurmControlException.class);
    assertThatThrownBy(() -> slurm.setAddresses(Map.of("gpu-0", "x"))).isInstanceOf(SlurmControlException.class);
  }
}
