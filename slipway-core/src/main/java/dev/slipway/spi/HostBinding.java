package dev.slipway.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Which provider node (if any) serves a host, and how far along it is. {@code intentSeq} is the
 * sequence of the UP intent this binding serves, so a newer intent is recognisable.
 * {@code version} is the store's compare-and-set version: 0 for a binding not yet stored.
 */
public record HostBinding(
    String host,
    String poolId,
    BindingPhase phase,
    Optional<String> nodeId,
    Optional<String> address,
    long intentSeq,
    Instant since,
    Optional<ProviderError> error,
    long version) {
  public HostBinding {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(poolId, "poolId");
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(error, "error");
  }

  public HostBinding withPhase(BindingPhase newPhase, Instant at) {
    return new HostBinding(host, poolId, newPhase, nodeId, address, intentSeq, at, error, version);
  }
}
