package dev.slipway.spi;

/**
 * The life of a provider node, normalised across providers. Azure Batch's creating, starting and
 * waitingforstarttask map to {@link #CREATING} and {@link #STARTING}; idle and running to
 * {@link #READY}; starttaskfailed to {@link #START_FAILED}; unusable, preempted and leavingpool
 * to the states of the same name.
 */
public enum ProviderNodeState {
  CREATING,
  STARTING,
  READY,
  START_FAILED,
  UNUSABLE,
  PREEMPTED,
  LEAVING;

  /** True for states from which the node will never serve a host. */
  public boolean isFailed() {
    return this == START_FAILED || this == UNUSABLE || this == PREEMPTED;
  }

  /**
   * Which nodes a shrinking pool gives up first (lower first): failed ones, then those still
   * being created, then starting ones, then ready ones, as Azure Batch does for a resize down.
   */
  public int shedOrder() {
    if (isFailed()) {
      return 0;
    }
    return switch (this) {
      case CREATING -> 1;
      case STARTING -> 2;
      default -> 3;
    };
  }
}
