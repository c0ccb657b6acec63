package dev.slipway.hooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.model.NodeType;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class HostPoolsTest {
  static ElasticPool pool(String id, String prefix, int max) {
    return new ElasticPool(id, prefix, Optional.empty(), NodeType.DEDICATED, max, 0, List.of(), 0, Optional.empty());
  }

  static ElasticPartition partition(String name, ElasticPool... pools) {
    return new ElasticPartition(name, List.of(pools), "UNLIMITED", false, Optional.empty(), Optional.empty(),
        Optional.empty(), OptionalInt.empty(), List.of());
  }

  private final HostPools pools = HostPools.of(List.of(
      partition("cpu", pool("cpu", "cpu", 32), pool("cpulp", "cpulp", 4)),
      partition("gpu", pool("gpu", "gpu", 2), pool("cpu", "cpu", 32)),
      partition("big", pool("nd96", "h100", 100))));

  @Test
  void poolOf_hostInsideAPoolsRange_isThatPool() {
    assertThat(pools.poolOf("cpu-0")).contains("cpu");
    assertThat(pools.poolOf("cpu-31")).contains("cpu");
    assertThat(pools.poolOf("cpulp-3")).contains("cpulp");
    assertThat(pools.poolOf("gpu-1")).contains("gpu");
  }

  @Test
  void poolOf_indexesBeyondTheFirstFew_areMatchedNumericallyNotAsAPattern() {
    // Batch Shipyard compiled cpu-[0-31] as a regex, which matched only cpu-0..cpu-3.
    assertThat(pools.poolOf("cpu-17")).contains("cpu");
    assertThat(pools.poolOf("h100-99")).contains("nd96");
  }

  @Test
  void poolOf_hostPrefixDifferentFromPoolId_usesThePrefix() {
    assertThat(pools.poolOf("h100-5")).contains("nd96");
    assertThat(pools.poolOf("nd96-5")).isEmpty();
  }

  @Test
  void poolOf_hostOutsideEveryRangeOrWithAnotherShape_isEmpty() {
    assertThat(pools.poolOf("cpu-32")).isEmpty();
    assertThat(pools.poolOf("cpulp-4")).isEmpty();
    assertThat(pools.poolOf("cpu-01")).isEmpty();
    assertThat(pools.poolOf("cpu1")).isEmpty();
    assertThat(pools.poolOf("xcpu-1")).isEmpty();
    assertThat(pools.poolOf("login1")).isEmpty();
    assertThat(pools.poolOf("")).isEmpty();
  }

  @Test
  void of_poolInSeveralPartitions_isListedOnce() {
    assertThat(pools.pools()).extracting(HostPools.PoolHosts::poolId).containsExactly("cpu", "cpulp", "gpu", "nd96");
    assertThat(pools.describe()).isEqualTo("cpu (cpu-[0-31]), cpulp (cpulp-[0-3]), gpu (gpu-[0-1]), nd96 (h100-[0-99])");
  }

  @Test
  void of_poolWithOneHostOrNone_ownsExactlyThose() {
    HostPools small = HostPools.of(List.of(partition("p", pool("one", "one", 1), pool("none", "none", 0))));
    assertThat(small.poolOf("one-0")).contains("one");
    assertThat(small.poolOf("one-1")).isEmpty();
    assertThat(small.poolOf("none-0")).isEmpty();
    assertThat(small.describe()).isEqualTo("one (one-0), none (no hosts)");
  }

  @Test
  void describe_withoutPools_saysNone() {
    assertThat(HostPools.of(List.of()).describe()).isEqualTo("none");
  }
}
