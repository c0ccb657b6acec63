package dev.slipway.azure.batch;

import dev.slipway.spi.ProviderNodeState;
import java.util.Locale;
import java.util.Optional;

/**
 * The node states of the Batch API (enum {@code BatchNodeState} in the 2025-06-01.21.0
 * description), with their wire names and what each means to the engine.
 */
public enum BatchNodeState {
  IDLE("idle"),
  REBOOTING("rebooting"),
  REIMAGING("reimaging"),
  RUNNING("running"),
  UNUSABLE("unusable"),
  CREATING("creating"),
  STARTING("starting"),
  WAITING_FOR_START_TASK("waitingforstarttask"),
  START_TASK_FAILED("starttaskfailed"),
  UNKNOWN("unknown"),
  LEAVING_POOL("leavingpool"),
  OFFLINE("offline"),
  PREEMPTED("preempted"),
  UPGRADING_OS("upgradingos"),
  DEALLOCATED("deallocated"),
  DEALLOCATING("deallocating");

  private final String wireName;

  BatchNodeState(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** The camel-case key of this state in {@code BatchNodeCounts} ({@code waitingForStartTask}). */
  public String countsKey() {
    return switch (this) {
      case WAITING_FOR_START_TASK -> "waitingForStartTask";
      case START_TASK_FAILED -> "startTaskFailed";
      case LEAVING_POOL -> "leavingPool";
      case UPGRADING_OS -> "upgradingOS";
      default -> wireName;
    };
  }

  public static Optional<BatchNodeState> fromWire(String name) {
    if (name == null) return Optional.empty();
    String n = name.toLowerCase(Locale.ROOT);
    for (BatchNodeState s : values()) {
      if (s.wireName.equals(n)) return Optional.of(s);
    }
    return Optional.empty();
  }

  /**
   * The provider-neutral state. Rebooting, reimaging, upgrading and offline nodes are still
   * members that will serve again, so they count as {@link ProviderNodeState#STARTING}; unknown,
   * deallocated and deallocating nodes cannot serve a host and count as unusable.
   */
  public ProviderNodeState toProviderState() {
    return switch (this) {
      case IDLE, RUNNING -> ProviderNodeState.READY;
      case CREATING -> ProviderNodeState.CREATING;
      case STARTING, WAITING_FOR_START_TASK, REBOOTING, REIMAGING, UPGRADING_OS, OFFLINE -> ProviderNodeState.STARTING;
      case START_TASK_FAILED -> ProviderNodeState.START_FAILED;
      case UNUSABLE, UNKNOWN, DEALLOCATED, DEALLOCATING -> ProviderNodeState.UNUSABLE;
      case PREEMPTED -> ProviderNodeState.PREEMPTED;
      case LEAVING_POOL -> ProviderNodeState.LEAVING;
    };
  }
}
