package dev.slipway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.model.NodeType;
import org.junit.jupiter.api.Test;

class PoolTopologyTest {
  @Test
  void of_excludesTheFirstHostsFromReclaimLikeBatchShipyard() {
    PoolTopology t = PoolTopology.of("gpu", "g", 12, NodeType.DEDICATED, "batch", 1, 2);
    assertThat(t.reclaimExcluded()).containsExactlyInAnyOrder("g-0", "g-1");
    assertThat(t.hosts()).hasSize(12).startsWith("g-0").endsWith("g-11");
  }

  @Test
  void of_refusesMoreExcludedHostsThanThePoolHas() {
    assertThatThrownBy(() -> PoolTopology.of("gpu", "gpu", 2, NodeType.DEDICATED, "batch", 1, 3))
        .hasMessageContaining("reclaim_exclude_num_nodes 3 outside 0..2");
  }
}
