package dev.slipway.azure.batch;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The parts of a Batch pool the engine reads: requested (target) and actual (current) counts,
 * the allocation state and the last resize's errors.
 */
public record BatchPoolInfo(
    String id,
    String state,
    String allocationState,
    Optional<String> vmSize,
    int targetDedicatedNodes,
    int targetLowPriorityNodes,
    int currentDedicatedNodes,
    int currentLowPriorityNodes,
    Optional<Duration> resizeTimeout,
    List<BatchResizeError> resizeErrors,
    Optional<Instant> allocationStateTransitionTime,
    Optional<String> eTag) {
  public BatchPoolInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(allocationState, "allocationState");
    resizeErrors = List.copyOf(resizeErrors);
  }

  /** True while a resize or node removal runs (allocationState resizing or stopping). */
  public boolean isResizing() {
    return !"steady".equals(allocationState);
  }
}
