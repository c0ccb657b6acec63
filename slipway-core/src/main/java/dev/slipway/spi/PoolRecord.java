package dev.slipway.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The engine's durable view of one pool: the target it last asked for, when a resize it issued
 * started (empty when none is in flight), and its backoff. {@code version} is for compare-and-set.
 */
public record PoolRecord(String poolId, PoolTarget requested, Optional<Instant> resizeStartedAt, Backoff backoff, long version) {
  public PoolRecord {
    Objects.requireNonNull(poolId, "poolId");
    Objects.requireNonNull(requested, "requested");
    Objects.requireNonNull(resizeStartedAt, "resizeStartedAt");
    Objects.requireNonNull(backoff, "backoff");
  }

  public static PoolRecord initial(String poolId) {
    return new PoolRecord(poolId, PoolTarget.ZERO, Optional.empty(), Backoff.NONE, 0);
  }
}
