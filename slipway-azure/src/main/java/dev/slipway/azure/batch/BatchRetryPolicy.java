package dev.slipway.azure.batch;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Bounded exponential backoff for throttled (429) and failed (5xx, timeout, connection) calls:
 * attempt n waits {@code baseDelay * 2^n}, capped at {@code maxDelay}; a Retry-After from the
 * service replaces the computed delay but is capped too, so one call never blocks the engine's
 * pass for long. After {@code maxRetries} retries the failure goes to the caller as TRANSIENT.
 */
public record BatchRetryPolicy(int maxRetries, Duration baseDelay, Duration maxDelay) {
  public static final BatchRetryPolicy DEFAULT = new BatchRetryPolicy(4, Duration.ofMillis(500), Duration.ofSeconds(20));
  public static final BatchRetryPolicy NONE = new BatchRetryPolicy(0, Duration.ZERO, Duration.ZERO);

  public BatchRetryPolicy {
    Objects.requireNonNull(baseDelay, "baseDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (maxRetries < 0) throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
    if (baseDelay.isNegative() || maxDelay.isNegative()) throw new IllegalArgumentException("delays must not be negative");
  }

  /** The pause before retry number {@code retry} (0 for the first retry). */
  public Duration delay(int retry, Optional<Duration> retryAfter) {
    Duration d = retryAfter.orElseGet(() -> baseDelay.multipliedBy(1L << Math.min(retry, 20)));
    return d.compareTo(maxDelay) > 0 ? maxDelay : d;
  }
}
