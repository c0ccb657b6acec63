package dev.slipway.engine;

import dev.slipway.model.Secret;
import java.util.Objects;

/** A new node's {@code POST /v1/join}: who it says it is, and the address the request came from. */
public record JoinRequest(String clusterId, String poolId, String nodeId, Secret token, String sourceAddress) {
  public JoinRequest {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(poolId, "poolId");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(sourceAddress, "sourceAddress");
  }
}
