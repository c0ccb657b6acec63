package dev.slipway.spi;

import dev.slipway.model.ErrorClass;
import java.util.List;

/**
 * Optional capability of a provider that can simulate cloud failures on demand (the simulator,
 * and the local netns provider). The provider contract suite uses it when a provider offers it and
 * skips the fault cases otherwise; real cloud providers do not implement it.
 */
public interface FaultInjection {
  /**
   * From now on the pool can allocate at most {@code allocatable} more nodes (0: none). A resize
   * that wants more allocates what it can and ends with a resize error of {@code errorClass}
   * ({@link ErrorClass#CAPACITY} or {@link ErrorClass#QUOTA}), as Azure Batch does.
   */
  void limitAllocation(String poolId, ErrorClass errorClass, int allocatable);

  /** Lifts {@link #limitAllocation}. */
  void clearAllocationLimit(String poolId);

  /**
   * Preempts up to {@code count} READY low-priority nodes of the pool; they stay listed in state
   * {@link ProviderNodeState#PREEMPTED} until removed. Returns the ids preempted.
   */
  List<String> preempt(String poolId, int count);
}
