package dev.slipway.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.model.NodeType;
import dev.slipway.spi.ClusterStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class SlurmStatusTextTest {
  private static ElasticPool pool(String id, int max) {
    return new ElasticPool(id, id, Optional.empty(), NodeType.DEDICATED, max, 0, List.of(), 0, Optional.empty());
  }

  private static List<ElasticPartition> partitions() {
    return List.of(new ElasticPartition("batch", List.of(pool("cpu", 4), pool("spot", 2)), "UNLIMITED", true, Optional.empty(),
        Optional.empty(), Optional.empty(), OptionalInt.empty(), List.of()));
  }

  @Test
  void pingStates_namesEachControllerWithItsRoleAndState() {
    assertThat(SlurmStatusText.pingStates("Slurmctld(primary) at st-controller-vm000 is UP\nSlurmctld(backup) at st-controller-vm001 is DOWN\n"))
        .containsExactly(Map.entry("st-controller-vm000", "primary UP"), Map.entry("st-controller-vm001", "backup DOWN"));
  }

  @Test
  void hosts_listsANodeOnceAcrossPartitions_withItsPool_orDashOutsideThePools() {
    List<ClusterStatus.Host> hosts = SlurmStatusText.hosts("cpu-0|batch*|alloc\ncpu-0|other|alloc\nspot-1|batch*|idle~\ncpu-9|batch*|idle\nfoo|x|idle\n",
        partitions());
    assertThat(hosts).containsExactly(new ClusterStatus.Host("cpu-0", "cpu", "alloc"), new ClusterStatus.Host("spot-1", "spot", "idle~"),
        new ClusterStatus.Host("cpu-9", "-", "idle"), new ClusterStatus.Host("foo", "-", "idle"));
  }

  @Test
  void partitions_countsEachPoolsHostsByState_andKeepsKnownTargets() {
    List<ClusterStatus.Host> hosts = List.of(new ClusterStatus.Host("cpu-0", "cpu", "alloc"), new ClusterStatus.Host("cpu-1", "cpu", "mix"),
        new ClusterStatus.Host("cpu-2", "cpu", "idle#"), new ClusterStatus.Host("cpu-3", "cpu", "down~"),
        new ClusterStatus.Host("spot-0", "spot", "idle"), new ClusterStatus.Host("spot-1", "spot", "idle~"));
    List<ClusterStatus.Partition> parts = SlurmStatusText.partitions(partitions(), hosts, Map.of("cpu", OptionalInt.of(3)));
    assertThat(parts).singleElement().satisfies(p -> assertThat(p.pools()).containsExactly(
        new ClusterStatus.Pool("cpu", OptionalInt.of(3), 1, 0, 2, 1, 0),
        new ClusterStatus.Pool("spot", OptionalInt.empty(), 0, 1, 0, 0, 1)));
  }
}
