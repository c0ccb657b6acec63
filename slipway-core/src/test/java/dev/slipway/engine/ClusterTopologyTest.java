package dev.slipway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.model.NodeType;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ClusterTopologyTest {
  private static ElasticPool pool(String id, String prefix, int max, NodeType type, int exclude) {
    return new ElasticPool(id, prefix, Optional.empty(), type, max, 0, List.of(), exclude, Optional.empty());
  }

  private static ElasticPartition partition(String name, ElasticPool... pools) {
    return new ElasticPartition(name, List.of(pools), "UNLIMITED", false, Optional.empty(), Optional.empty(), Optional.empty(),
        OptionalInt.empty(), List.of());
  }

  @Test
  void fromPartitions_buildsOnePoolTopologyPerPoolWithItsPartitionTypeAndExcludedHosts() {
    ClusterTopology t = ClusterTopology.fromPartitions(List.of(
        partition("gpu", pool("gpupool", "gpu", 4, NodeType.DEDICATED, 1)),
        partition("cpu", pool("cpulow", "cpul", 8, NodeType.LOW_PRIORITY, 0))));

    assertThat(t.pools()).extracting(PoolTopology::poolId).containsExactly("gpupool", "cpulow");
    PoolTopology gpu = t.pool("gpupool").orElseThrow();
    assertThat(gpu.partition()).isEqualTo("gpu");
    assertThat(gpu.reclaimExcluded()).containsExactly("gpu-0");
    assertThat(t.pool("cpulow").orElseThrow().lowPriority()).isTrue();
    assertThat(t.hosts()).hasSize(12).startsWith("gpu-0").endsWith("cpul-7");
  }

  @Test
  void fromPartitions_whenAPoolIsSharedByTwoPartitions_listsItOnceWithTheFirstPartition() {
    ElasticPool shared = pool("shared", "s", 2, NodeType.DEDICATED, 0);
    ClusterTopology t = ClusterTopology.fromPartitions(List.of(partition("a", shared), partition("b", shared)));

    assertThat(t.pools()).singleElement().extracting(PoolTopology::partition).isEqualTo("a");
  }

  @Test
  void fromPartitions_rejectsASharedPoolDescribedDifferently() {
    assertThatThrownBy(() -> ClusterTopology.fromPartitions(List.of(
        partition("a", pool("p", "p", 2, NodeType.DEDICATED, 0)), partition("b", pool("p", "p", 3, NodeType.DEDICATED, 0)))))
        .hasMessageContaining("pool p is described differently in partition b");
  }

  @Test
  void constructor_rejectsTwoPoolsWithOneHostPrefix() {
    assertThatThrownBy(() -> ClusterTopology.fromPartitions(List.of(
        partition("a", pool("p1", "node", 2, NodeType.DEDICATED, 0), pool("p2", "node", 2, NodeType.LOW_PRIORITY, 0)))))
        .hasMessageContaining("pools p1 and p2 share host prefix node");
  }

  @Test
  void poolOfHost_findsHostsByPrefixAndCanonicalIndexWithinTheirPoolOnly() {
    ClusterTopology t = ClusterTopology.fromPartitions(List.of(
        partition("a", pool("gpu", "gpu", 32, NodeType.DEDICATED, 0), pool("gpux", "gpu-x", 2, NodeType.DEDICATED, 0))));

    assertThat(t.poolOfHost("gpu-31")).map(PoolTopology::poolId).contains("gpu");
    assertThat(t.poolOfHost("gpu-x-1")).map(PoolTopology::poolId).contains("gpux");
    assertThat(t.poolOfHost("gpu-32")).as("beyond max_compute_nodes").isEmpty();
    assertThat(t.poolOfHost("gpu-031")).as("not canonical").isEmpty();
    assertThat(t.poolOfHost("gpu-3x")).isEmpty();
    assertThat(t.poolOfHost("gpu-x-2")).isEmpty();
    assertThat(t.poolOfHost("cpu-0")).isEmpty();
  }
}
