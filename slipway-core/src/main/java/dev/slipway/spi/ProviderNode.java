package dev.slipway.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A node as the provider sees it. {@code address} is the private IP the node uses to reach the
 * controllers (the join endpoint checks it against the request's source address).
 */
public record ProviderNode(
    String id,
    String poolId,
    ProviderNodeState state,
    boolean lowPriority,
    Optional<String> address,
    Instant createdAt,
    Optional<ProviderError> error) {
  public ProviderNode {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(poolId, "poolId");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(error, "error");
  }
}
