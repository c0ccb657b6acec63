package dev.slipway.azure.batch;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One Batch pool as a {@link NodePool}. Batch itself enforces one resize at a time (409, mapped to
 * RESIZE_IN_PROGRESS) and lowers the targets when nodes are removed, so this class only adds what
 * Batch cannot know: the pool's configured maximum, and the 100-id limit checked before calling.
 */
final class AzureBatchNodePool implements NodePool {
  static final String NOT_LEAVING = "state ne '" + BatchNodeState.LEAVING_POOL.wireName() + "'";
  private final String id;
  private final int maxSize;
  private final BatchClient client;
  private final Duration resizeTimeout;
  private final InstantSource clock;

  AzureBatchNodePool(String id, int maxSize, BatchClient client, Duration resizeTimeout, InstantSource clock) {
    this.id = id;
    this.maxSize = maxSize;
    this.client = client;
    this.resizeTimeout = resizeTimeout;
    this.clock = clock;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public int maxSize() {
    return maxSize;
  }

  @Override
  public PoolStatus status() {
    BatchPoolInfo pool = client.getPool(id);
    return new PoolStatus(new PoolTarget(pool.targetDedicatedNodes(), pool.targetLowPriorityNodes()), pool.isResizing(),
        pool.resizeErrors().stream().map(BatchResizeError::toProviderError).toList());
  }

  @Override
  public List<ProviderNode> nodes() {
    List<ProviderNode> out = new ArrayList<>();
    for (BatchNodeInfo n : client.listNodes(id, Optional.empty())) {
      out.add(toProviderNode(n));
    }
    return out;
  }

  /** One {@code GET node} with the list's {@code $select}: a join reads its own node, not the pool's list. */
  @Override
  public Optional<ProviderNode> node(String nodeId) {
    return client.findNode(id, nodeId).map(this::toProviderNode);
  }

  private ProviderNode toProviderNode(BatchNodeInfo n) {
    // allocationTime is always set by Batch; the clock only covers a service that omits it.
    return new ProviderNode(n.id(), id, n.state().toProviderState(), !n.dedicated(), n.ipAddress(),
        n.allocationTime().orElseGet(clock::instant), n.error());
  }

  @Override
  public void resize(PoolTarget target) {
    if (target.total() > maxSize) {
      throw new ProviderException(new ProviderError(ErrorClass.CONFIGURATION, "TargetAboveMaxSize",
          "pool " + id + ": target " + target.dedicated() + " dedicated + " + target.lowPriority()
              + " low priority exceeds max_compute_nodes " + maxSize));
    }
    client.resizePool(id, target.dedicated(), target.lowPriority(), resizeTimeout);
  }

  @Override
  public void remove(Collection<String> nodeIds) {
    LinkedHashSet<String> unique = new LinkedHashSet<>(nodeIds);
    if (unique.isEmpty()) return;
    if (unique.size() > MAX_REMOVE_PER_CALL) {
      throw new IllegalArgumentException("pool " + id + ": remove takes at most " + MAX_REMOVE_PER_CALL
          + " node ids per call, got " + unique.size());
    }
    // Batch refuses the whole call (400 InvalidPropertyValue) if one id is not in the pool, but a
    // node that is already gone (removed, or never there) is exactly what the caller wants, so
    // only listed nodes are sent; if none is listed there is nothing to do. Nodes already leaving
    // are ignored (NodePool's contract), so Batch leaves them out ($filter on state), and only ids
    // come back ($select=id); Batch cannot filter node lists on id.
    Set<String> listed = new HashSet<>(client.listNodeIds(id, Optional.of(NOT_LEAVING)));
    unique.retainAll(listed);
    if (unique.isEmpty()) return;
    client.removeNodes(id, unique, resizeTimeout);
  }
}
