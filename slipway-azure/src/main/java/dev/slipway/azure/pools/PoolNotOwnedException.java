package dev.slipway.azure.pools;

import java.util.Optional;

/** A pool exists but this cluster did not create it, so Slipway will neither delete nor adopt it. */
public final class PoolNotOwnedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PoolNotOwnedException(String poolId, String clusterId, Optional<String> owner) {
    super("pool '" + poolId + "' is not owned by cluster '" + clusterId + "' ("
        + owner.map(o -> "it belongs to Slipway cluster '" + o + "'").orElse("it has no slipway-cluster metadata, so Slipway did not create it")
        + "); delete it with the tool that created it");
  }
}
