package dev.slipway.azure.batch;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.ProviderError;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A compute node as listed with the client's {@code $select}: id, state, dedicated or low
 * priority, private IP, allocation time and, for failed nodes, what went wrong (the start task's
 * failure info, or the node's first error).
 */
public record BatchNodeInfo(
    String id,
    BatchNodeState state,
    boolean dedicated,
    Optional<String> ipAddress,
    Optional<Instant> allocationTime,
    Optional<String> failureCode,
    Optional<String> failureMessage) {
  public BatchNodeInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(ipAddress, "ipAddress");
    Objects.requireNonNull(allocationTime, "allocationTime");
    Objects.requireNonNull(failureCode, "failureCode");
    Objects.requireNonNull(failureMessage, "failureMessage");
  }

  /** The node's error for the engine: start task failed, unusable or preempted; empty otherwise. */
  public Optional<ProviderError> error() {
    ErrorClass cls = switch (state) {
      case START_TASK_FAILED -> ErrorClass.START_TASK;
      case UNUSABLE, UNKNOWN -> ErrorClass.UNUSABLE;
      case PREEMPTED -> ErrorClass.PREEMPTED;
      default -> null;
    };
    if (cls == null) return Optional.empty();
    String defaultCode = switch (state) {
      case START_TASK_FAILED -> "StartTaskFailed";
      case PREEMPTED -> "NodePreempted";
      default -> "NodeUnusable";
    };
    return Optional.of(new ProviderError(cls, failureCode.orElse(defaultCode),
        failureMessage.orElse("node " + id + " is " + state.wireName())));
  }
}
