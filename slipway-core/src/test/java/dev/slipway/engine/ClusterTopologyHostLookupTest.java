package dev.slipway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.model.NodeType;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Host-to-pool lookup as the hooks use it (formerly a separate HostPools class). */
class ClusterTopologyHostLookupTest {
  static ElasticPool pool(String id, String prefix, int max) {
    return new ElasticPool(id, prefix, Optional.empty(), NodeType.DEDICATED, max, 0, List.of(), 0, Optional.empty());
  }

  static ElasticPartition partition(String name, ElasticPool... pools) {
    return new ElasticPartition(name, List.of(pools), "UNLIMITED", false, Optional.empty(), Optional.empty(),
        Optional.empty(), OptionalInt.empty(), List.of());
  }

  private final ClusterTopology pools = ClusterTopology.fromPartitions(List.of(
      partition("cpu", pool("cpu", "cpu", 32), pool("cpulp", "cpulp", 4)),
      partition("gpu", pool("gpu", "gpu", 2), pool("cpu", "cpu", 32)),
      partition("big", pool("nd96", "h100", 100))));

  @Test
  void poolOf_hostInsideAPoolsRange_isThatPool() {
    assertThat(pools.poolOfHost("cpu-0").map(PoolTopology::poolId)).contains("cpu");
    assertThat(pools.poolOfHost("cpu-31").map(PoolTopology::poolId)).contains("cpu");
    assertThat(pools.poolOfHost("cpulp-3").map(PoolTopology::poolId)).contains("cpulp");
    assertThat(pools.poolOfHost("gpu-1").map(PoolTopology::poolId)).contains("gpu");
  }

  @Test
  void poolOf_indexesBeyondTheFirstFew_areMatchedNumericallyNotAsAPattern() {
    // Batch Shipyard compiled cpu-[0-31] as a regex, which matched only cpu-0..cpu-3.
    assertThat(pools.poolOfHost("cpu-17").map(PoolTopology::poolId)).contains("cpu");
    assertThat(pools.poolOfHost("h100-99").map(PoolTopology::poolId)).contains("nd96");
  }

  @Test
  void poolOf_hostPrefixDifferentFromPoolId_usesThePrefix() {
    assertThat(pools.poolOfHost("h100-5").map(PoolTopology::poolId)).contains("nd96");
    assertThat(pools.poolOfHost("nd96-5").map(PoolTopology::poolId)).isEmpty();
  }

  @Test
  void poolOf_hostOutsideEveryRangeOrWithAnotherShape_isEmpty() {
    assertThat(pools.poolOfHost("cpu-32").map(PoolTopology::poolId)).isEmpty();
    assertThat(pools.poolOfHost("cpulp-4").map(PoolTopology::poolId)).isEmpty();
    assertThat(pools.poolOfHost("cpu-01").map(PoolTopology::poolId)).isEmpty();
    assertThat(pools.poolOfHost("cpu1").map(PoolTopology::poolId)).isEmpty();
    assertThat(pools.poolOfHost("xcpu-1").map(PoolTopology::poolId)).isEmpty();
    assertThat(pools.poolOfHost("login1").map(PoolTopology::poolId)).isEmpty();
    assertThat(pools.poolOfHost("").map(PoolTopology::poolId)).isEmpty();
  }

  @Test
  void of_poolInSeveralPartitions_isListedOnce() {
    assertThat(pools.pools()).extracting(PoolTopology::poolId).containsExactly("cpu", "cpulp", "gpu", "nd96");
    assertThat(pools.describe()).isEqualTo("cpu (cpu-[0-31]), cpulp (cpulp-[0-3]), gpu (gpu-[0-1]), nd96 (h100-[0-99])");
  }

  @Test
  void of_poolWithOneHost_ownsExactlyThatHost() {
    ClusterTopology small = ClusterTopology.fromPartitions(List.of(partition("p", pool("one", "one", 1))));
    assertThat(small.poolOfHost("one-0").map(PoolTopology::poolId)).contains("one");
    assertThat(small.poolOfHost("one-1")).isEmpty();
    assertThat(small.describe()).isEqualTo("one (one-0)");
  }

  @Test
  void describe_withoutPools_saysNone() {
    assertThat(ClusterTopology.fromPartitions(List.of()).describe()).isEqualTo("none");
  }
}
