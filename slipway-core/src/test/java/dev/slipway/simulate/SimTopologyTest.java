package dev.slipway.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.model.NodeType;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class SimTopologyTest {
  private static ElasticPool pool(String id, NodeType type, int max, int exclude, Optional<String> vmSize) {
    return new ElasticPool(id, id, Optional.empty(), type, max, 3, List.of("fast"), exclude, vmSize);
  }

  @Test
  void from_givesHostsUserFeaturesThenNodeTypeThenLowerCasedVmSize() {
    SimTopology t = SimTopology.from(List.of(new ElasticPartition("gpu",
        List.of(pool("nc", NodeType.LOW_PRIORITY, 4, 2, Optional.of("Standard_NC24rs_v3")),
            pool("plain", NodeType.DEDICATED, 2, 0, Optional.empty())),
        "UNLIMITED", true, Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), List.of())));
    PoolModel nc = t.pool("nc").orElseThrow();
    assertThat(nc.features()).containsExactly("fast", "low_priority", "standard_nc24rs_v3");
    assertThat(nc.weight()).isEqualTo(3);
    assertThat(t.pool("plain").orElseThrow().features()).containsExactly("fast", "dedicated");
    assertThat(t.suspendExcludedHosts()).containsExactly("nc-0", "nc-1");
  }

  @Test
  void poolInTwoPartitions_sharesItsHosts_butMustBeDescribedTheSame() {
    PoolModel shared = new PoolModel("s", "s", 2, 1, List.of(), NodeType.DEDICATED, 0);
    SimTopology t = new SimTopology(List.of(new PartitionModel("a", List.of(shared)),
        new PartitionModel("b", List.of(shared))));
    RecordingHooks hooks = new RecordingHooks();
    SlurmModel model = new SlurmModel(t, SlurmTiming.defaults(), hooks, ScenarioReader.DEFAULT_START);
    assertThat(model.hosts()).extracting(HostState::host).containsExactly("s-0", "s-1");

    PoolModel other = new PoolModel("s", "s", 3, 1, List.of(), NodeType.DEDICATED, 0);
    assertThatThrownBy(() -> new SimTopology(List.of(new PartitionModel("a", List.of(shared)),
        new PartitionModel("b", List.of(other))))).hasMessageContaining("pool s is described differently");
    PoolModel samePrefix = new PoolModel("t", "s", 1, 1, List.of(), NodeType.DEDICATED, 0);
    assertThatThrownBy(() -> new SimTopology(List.of(new PartitionModel("a", List.of(shared, samePrefix)))))
        .hasMessageContaining("share host prefix s");
  }

  @Test
  void constraints_andBindsTighterThanOr() {
    FeatureConstraint c = FeatureConstraint.parse("ib&dedicated|gpu");
    assertThat(c.matches(List.of("ib", "dedicated"))).isTrue();
    assertThat(c.matches(List.of("gpu"))).isTrue();
    assertThat(c.matches(List.of("ib"))).isFalse();
    assertThat(FeatureConstraint.parse("a,b").matches(List.of("a"))).isFalse();
    assertThatThrownBy(() -> FeatureConstraint.parse("a&")).hasMessageContaining("empty feature name");
    assertThatThrownBy(() -> FeatureConstraint.parse("a*2")).hasMessageContaining("'*'");
  }

  @Test
  void hostState_rendersSinfoStatesAndOneWordConditions() {
    HostState downPoweredDown = new HostState("h", "p", PowerState.POWERED_DOWN, false, true, false, true, false,
        Optional.of("ResumeTimeout reached"), Optional.empty(), Optional.empty());
    assertThat(downPoweredDown.sinfoState()).isEqualTo("down~");
    assertThat(downPoweredDown.condition()).isEqualTo(HostCondition.DOWN);
    HostState drainedPowering = new HostState("h", "p", PowerState.POWERING_DOWN, false, false, true, true, false,
        Optional.of("x"), Optional.empty(), Optional.empty());
    assertThat(drainedPowering.sinfoState()).isEqualTo("drain%");
    assertThat(drainedPowering.condition()).isEqualTo(HostCondition.DRAINED);
    HostState booting = new HostState("h", "p", PowerState.POWERING_UP, true, false, false, true, false,
        Optional.empty(), Optional.empty(), Optional.of("7"));
    assertThat(booting.sinfoState()).isEqualTo("alloc#");
    assertThat(booting.condition()).isEqualTo(HostCondition.POWERING_UP);
  }
}
