package dev.slipway.engine;

import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolTarget;
import java.util.List;

/**
 * One step of a {@link Plan}. Store writes are compare-and-set on the version they carry, so a
 * step planned from a stale snapshot fails instead of overwriting newer state.
 */
public sealed interface PlanAction {
  /** Create (version 0) or update a binding. */
  record PutBinding(HostBinding binding) implements PlanAction {}

  record DeleteBinding(String host, String poolId, long expectedVersion) implements PlanAction {}

  record PutPool(PoolRecord pool) implements PlanAction {}

  /** Set the pool's absolute target; at most one per pool per plan. */
  record ResizePool(String poolId, PoolTarget target) implements PlanAction {}

  /** Remove these nodes; at most {@link dev.slipway.spi.NodePool#MAX_REMOVE_PER_CALL} ids. */
  record RemoveNodes(String poolId, List<String> nodeIds) implements PlanAction {
    public RemoveNodes {
      nodeIds = List.copyOf(nodeIds);
    }
  }

  record UpdateSlurm(SlurmUpdate update) implements PlanAction {}

  record RecordEvent(HostEvent event) implements PlanAction {}
}
