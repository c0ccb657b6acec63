package dev.slipway.engine;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.Backoff;
import dev.slipway.spi.ProviderError;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Per-pool exponential backoff without jitter: the n-th consecutive failure closes the pool for
 * {@code min(max, base * 2^(n-1))}. There is one engine per cluster, so jitter would spread
 * nothing; determinism keeps the planner a pure function. Failures that arrive while the pool is
 * already backed off belong to the same incident and do not raise the level again (otherwise a
 * pool whose failed node cannot be removed yet would climb a level on every pass).
 */
public record BackoffPolicy(Duration base, Duration max) {
  /** Orders error classes by how much they say about the pool, most telling first. */
  private static final List<ErrorClass> SEVERITY = List.of(
      ErrorClass.CAPACITY, ErrorClass.QUOTA, ErrorClass.CONFIGURATION, ErrorClass.START_TASK,
      ErrorClass.UNUSABLE, ErrorClass.RESUME_TIMEOUT, ErrorClass.PREEMPTED, ErrorClass.TRANSIENT,
      ErrorClass.RESIZE_IN_PROGRESS);

  public static BackoffPolicy of(EngineTimings timings) {
    return new BackoffPolicy(timings.backoffBase(), timings.backoffMax());
  }

  public Duration delay(int level) {
    if (level <= 0) {
      return Duration.ZERO;
    }
    Duration d = base;
    for (int i = 1; i < level && d.compareTo(max) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(max) > 0 ? max : d;
  }

  /** The backoff after {@code failures} observed at {@code now}; unchanged when there are none. */
  public Backoff afterFailures(Backoff current, List<ProviderError> failures, Instant now) {
    Optional<ProviderError> worst = failures.stream().min(Comparator.comparingInt(e -> SEVERITY.indexOf(e.errorClass())));
    if (worst.isEmpty() || current.activeAt(now)) {
      return current;
    }
    int level = current.level() + 1;
    return new Backoff(level, Optional.of(now.plus(delay(level))), Optional.of(worst.get().errorClass()), Optional.of(worst.get().code()));
  }

  /** Capacity and quota failures close the pool to Slurm too (capacity fallback). */
  public static boolean isFallback(Backoff backoff, Instant now) {
    return backoff.activeAt(now)
        && backoff.lastErrorClass().map(c -> c == ErrorClass.CAPACITY || c == ErrorClass.QUOTA).orElse(false);
  }
}
