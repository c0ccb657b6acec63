package dev.slipway.azure.pools;

import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchPoolListing;
import dev.slipway.azure.batch.BatchPoolNodeCounts;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchServiceException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A cluster's pools in one Batch account: create them from their template, delete them, list
 * them. Ownership is decided by the metadata {@link PoolOwnership} sets at creation: a pool of
 * the same id that this cluster did not create is never deleted or adopted, since Batch accounts
 * are shared with other clusters and with Batch Shipyard.
 *
 * <p>{@link #ensure} is idempotent, so {@code slipway pool add} and the azure backend's
 * {@code cluster orchestrate} can both call it after a partial failure. It does not compare an
 * existing pool's settings with the template: Batch cannot change a pool's VM size or image in
 * place, and replacing a pool that has nodes is a decision for the user ({@code pool del}, then
 * {@code pool add}).
 */
public final class BatchPools {
  /** What {@link #ensure} did. */
  public enum Outcome { CREATED, ALREADY_PRESENT, START_TASK_UPDATED, DELETED }

  private final BatchClient client;
  private final String clusterId;

  public BatchPools(BatchClient client, String clusterId) {
    this.client = Objects.requireNonNull(client, "client");
    this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
  }

  public String accountUrl() {
    return client.accountUrl();
  }

  /**
   * Creates the pool unless this cluster already has it.
   *
   * @throws PoolNotOwnedException when a pool of that id exists and is not this cluster's
   * @throws IllegalArgumentException when the spec does not carry this cluster's ownership metadata
   * @throws BatchServiceException when Batch refuses or does not answer
   */
  public Outcome ensure(BatchPoolSpec spec) {
    if (!PoolOwnership.ownedBy(spec.metadata(), clusterId)) {
      throw new IllegalArgumentException("pool " + spec.id() + " lacks the metadata that marks it as cluster " + clusterId + "'s");
    }
    Optional<Map<String, String>> existing = metadata(spec.id());
    if (existing.isPresent()) {
      requireOwned(spec.id(), existing.get());
      return Outcome.ALREADY_PRESENT;
    }
    try {
      client.addPool(spec);
      return Outcome.CREATED;
    } catch (BatchServiceException e) {
      // Another orchestrate or pool add created it between our look and our create.
      if (e.status() == 409 && "PoolExists".equals(e.error().code())) {
        requireOwned(spec.id(), metadata(spec.id()).orElse(Map.of()));
        return Outcome.ALREADY_PRESENT;
      }
      throw e;
    }
  }

  /**
   * As {@link #ensure}, and a pool this cluster already has gets the template's start task (a
   * PATCH that changes nothing else): nodes that join later run this build's join script and
   * reach the controllers as they are now. Nodes already in the pool keep their old start task
   * until they are reimaged or replaced.
   */
  public Outcome ensureWithStartTask(BatchPoolSpec spec) {
    Outcome o = ensure(spec);
    if (o == Outcome.ALREADY_PRESENT && spec.startTask().isPresent()) {
      client.updateStartTask(spec.id(), spec.startTask().get());
      return Outcome.START_TASK_UPDATED;
    }
    return o;
  }

  /**
   * Deletes every pool of this account whose metadata names this cluster (configured or not:
   * a pool dropped from slurm.yaml is still this cluster's). Pools of other clusters are never
   * touched, whatever their id.
   *
   * @return the ids of the pools deleted, in id order
   */
  public List<String> deleteOwned() {
    List<String> deleted = new ArrayList<>();
    for (BatchPoolListing l : client.listPools()) {
      if (PoolOwnership.ownedBy(l.metadata(), clusterId)) {
        try {
          client.deletePool(l.pool().id());
          deleted.add(l.pool().id());
        } catch (BatchServiceException e) {
          if (e.status() != 404) throw e;
        }
      }
    }
    deleted.sort(null);
    return deleted;
  }

  /**
   * Deletes the pool (Batch removes its nodes, running jobs' nodes included).
   *
   * @return false when there is no such pool
   * @throws PoolNotOwnedException when the pool is not this cluster's
   */
  public boolean delete(String poolId) {
    Optional<Map<String, String>> existing = metadata(poolId);
    if (existing.isEmpty()) return false;
    requireOwned(poolId, existing.get());
    try {
      client.deletePool(poolId);
      return true;
    } catch (BatchServiceException e) {
      if (e.status() == 404) return false;
      throw e;
    }
  }

  /** This cluster's pools, or with {@code all} every pool of the account, in id order. */
  public List<PoolRow> list(boolean all) {
    Map<String, BatchPoolNodeCounts> counts = new HashMap<>();
    for (BatchPoolNodeCounts c : client.listPoolNodeCounts(Optional.empty())) counts.put(c.poolId().toLowerCase(java.util.Locale.ROOT), c);
    List<PoolRow> rows = new ArrayList<>();
    for (BatchPoolListing l : client.listPools()) {
      Optional<String> owner = PoolOwnership.owner(l.metadata());
      if (!all && !owner.filter(clusterId::equals).isPresent()) continue;
      BatchPoolNodeCounts c = counts.get(l.pool().id().toLowerCase(java.util.Locale.ROOT));
      rows.add(new PoolRow(l.pool(), c == null ? Map.of() : byState(c), owner));
    }
    rows.sort(java.util.Comparator.comparing(r -> r.pool().id()));
    return rows;
  }

  private static Map<String, Integer> byState(BatchPoolNodeCounts c) {
    Map<String, Integer> out = new TreeMap<>();
    for (Map<String, Integer> m : List.of(c.dedicated(), c.lowPriority())) {
      m.forEach((state, n) -> {
        if (!state.equals("total") && n > 0) out.merge(state, n, Integer::sum);
      });
    }
    return out;
  }

  private Optional<Map<String, String>> metadata(String poolId) {
    try {
      return Optional.of(client.getPoolMetadata(poolId));
    } catch (BatchServiceException e) {
      if (e.status() == 404) return Optional.empty();
      throw e;
    }
  }

  private void requireOwned(String poolId, Map<String, String> metadata) {
    if (!PoolOwnership.ownedBy(metadata, clusterId)) {
      throw new PoolNotOwnedException(poolId, clusterId, PoolOwnership.owner(metadata));
    }
  }
}
