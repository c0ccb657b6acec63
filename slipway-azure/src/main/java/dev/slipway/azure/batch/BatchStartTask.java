package dev.slipway.azure.batch;

import java.util.Map;
import java.util.Objects;

/**
 * A pool's start task as Slipway uses it: the join script, run elevated as the pool's auto user,
 * retried {@code maxTaskRetryCount} times, and waited for so that a node whose join fails is
 * reported as starttaskfailed instead of idle.
 */
public record BatchStartTask(String commandLine, Map<String, String> environment, boolean elevated, int maxTaskRetryCount, boolean waitForSuccess) {
  public BatchStartTask {
    Objects.requireNonNull(commandLine, "commandLine");
    environment = Map.copyOf(environment);
    if (maxTaskRetryCount < -1) {
      throw new IllegalArgumentException("maxTaskRetryCount must be >= -1, got " + maxTaskRetryCount);
    }
  }
}
