package dev.slipway.azure.batch;

import java.util.Map;
import java.util.Objects;

/**
 * A pool's node counts by state from the account-level {@code /nodecounts} call: cheap to read
 * for many pools at once, though the service says the counts may be slightly stale.
 */
public record BatchPoolNodeCounts(String poolId, Map<String, Integer> dedicated, Map<String, Integer> lowPriority) {
  public BatchPoolNodeCounts {
    Objects.requireNonNull(poolId, "poolId");
    dedicated = Map.copyOf(dedicated);
    lowPriority = Map.copyOf(lowPriority);
  }

  public int dedicated(BatchNodeState state) {
    return dedicated.getOrDefault(state.countsKey(), 0);
  }

  public int lowPriority(BatchNodeState state) {
    return lowPriority.getOrDefault(state.countsKey(), 0);
  }

  public int totalDedicated() {
    return dedicated.getOrDefault("total", 0);
  }

  public int totalLowPriority() {
    return lowPriority.getOrDefault("total", 0);
  }
}
