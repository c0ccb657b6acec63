package dev.slipway.spi;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * One elastic pool of nodes (after cluster-autoscaler's NodeGroup). Desired and actual are
 * separate: {@link #status()} reports the requested target, {@link #nodes()} what exists.
 *
 * <p>Semantics every implementation keeps (checked by the contract suite in slipway-testkit):
 * only one resize runs at a time, and a {@link #resize} or {@link #remove} while one runs fails
 * with {@link dev.slipway.model.ErrorClass#RESIZE_IN_PROGRESS}; {@link #remove} takes at most
 * {@link #MAX_REMOVE_PER_CALL} ids and lowers the target by the nodes it removes; a target above
 * {@link #maxSize()} is refused with a CONFIGURATION error.
 *
 * <p>{@link #remove} ignores ids the pool does not list (a node that is already gone is not an
 * error, so a retried removal is harmless) and ids of nodes already leaving; when nothing is left
 * to remove it changes nothing and starts no resize. Removing nodes is itself a resize in Azure
 * Batch terms: the pool is resizing until the removed nodes are gone. Resize errors
 * ({@link PoolStatus#resizeErrors()}) are reported only once the pool is steady again, and a new
 * resize clears them.
 */
public interface NodePool {
  /** Azure Batch accepts at most 100 node ids per removeNodes call. */
  int MAX_REMOVE_PER_CALL = 100;

  String id();

  int maxSize();

  PoolStatus status();

  List<ProviderNode> nodes();

  /**
   * The pool's node of that id as {@link #nodes()} would list it, or empty when the pool does not
   * list it. A node joining asks about itself only; a provider whose list is remote (Azure Batch)
   * answers with one small read instead of the whole list. The default scans {@link #nodes()}.
   */
  default Optional<ProviderNode> node(String nodeId) {
    return nodes().stream().filter(n -> n.id().equals(nodeId)).findFirst();
  }

  void resize(PoolTarget target);

  void remove(Collection<String> nodeIds);

  default PoolTarget targetSize() {
    return status().target();
  }

  default boolean isResizing() {
    return status().resizing();
  }
}
