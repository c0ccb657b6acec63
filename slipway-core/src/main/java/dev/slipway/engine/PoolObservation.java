package dev.slipway.engine;

import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.ProviderNode;
import java.util.List;
import java.util.Objects;

/** What the provider said about one pool during a snapshot: its status, its nodes and its size limit. */
public record PoolObservation(PoolStatus status, List<ProviderNode> nodes, int maxSize) {
  public PoolObservation {
    Objects.requireNonNull(status, "status");
    nodes = List.copyOf(nodes);
  }
}
