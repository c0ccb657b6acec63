package dev.slipway.sim;

import dev.slipway.spi.ProviderNode;

/**
 * What a simulated node runs when it has booted, as a real node runs its start task (the join
 * script). The simulation harness plugs the node join in here. Returning false, or throwing, fails
 * the start task: the node goes to START_FAILED.
 */
@FunctionalInterface
public interface StartTask {
  /** A start task that always succeeds (nodes join nothing). */
  StartTask SUCCEED = node -> true;

  boolean run(ProviderNode node);
}
