package dev.slipway.azure.pools;

import java.util.Map;
import java.util.Optional;

/**
 * How Slipway marks the Batch pools it created: two metadata items set at creation. A Batch
 * account is often shared (Batch Shipyard pools, other clusters), so deleting or adopting a pool
 * requires these to name this cluster.
 */
public final class PoolOwnership {
  /** Metadata name whose value is the owning cluster's id. */
  public static final String CLUSTER = "slipway-cluster";
  /** Metadata name marking the pool as created by Slipway (value {@value #MANAGED_BY_VALUE}). */
  public static final String MANAGED_BY = "slipway-managed-by";
  public static final String MANAGED_BY_VALUE = "slipway";

  private PoolOwnership() {}

  /** The metadata a pool of {@code clusterId} is created with. */
  public static Map<String, String> metadata(String clusterId) {
    return Map.of(CLUSTER, clusterId, MANAGED_BY, MANAGED_BY_VALUE);
  }

  /** The owning cluster named by a pool's metadata, when Slipway made it. */
  public static Optional<String> owner(Map<String, String> metadata) {
    if (!MANAGED_BY_VALUE.equals(metadata.get(MANAGED_BY))) return Optional.empty();
    return Optional.ofNullable(metadata.get(CLUSTER));
  }

  public static boolean ownedBy(Map<String, String> metadata, String clusterId) {
    return owner(metadata).filter(clusterId::equals).isPresent();
  }
}
