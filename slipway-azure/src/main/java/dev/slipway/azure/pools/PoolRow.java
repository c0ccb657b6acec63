package dev.slipway.azure.pools;

import dev.slipway.azure.batch.BatchPoolInfo;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One line of {@code slipway pool list}: the pool's size and state from Batch, its node counts by
 * state (dedicated and low-priority added up; states with no node left out) and the Slipway
 * cluster that owns it, if any.
 */
public record PoolRow(BatchPoolInfo pool, Map<String, Integer> nodeCounts, Optional<String> owner) {
  public PoolRow {
    Objects.requireNonNull(pool, "pool");
    nodeCounts = Map.copyOf(nodeCounts);
    Objects.requireNonNull(owner, "owner");
  }
}
