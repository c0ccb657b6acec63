package dev.slipway.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * The engine's clocks. {@code resumeTimeout} should be a little below Slurm's ResumeTimeout so the
 * engine, not Slurm, decides a host failed (and says why). {@code orphanGrace} is how long an
 * unbound, ready node may live before it is removed. Backoff delays are
 * {@code min(backoffMax, backoffBase * 2^(level-1))}.
 */
public record EngineTimings(Duration resumeTimeout, Duration orphanGrace, Duration backoffBase, Duration backoffMax) {
  public static final EngineTimings DEFAULTS =
      new EngineTimings(Duration.ofMinutes(15), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofMinutes(10));

  public EngineTimings {
    Objects.requireNonNull(resumeTimeout, "resumeTimeout");
    Objects.requireNonNull(orphanGrace, "orphanGrace");
    Objects.requireNonNull(backoffBase, "backoffBase");
    Objects.requireNonNull(backoffMax, "backoffMax");
    if (backoffBase.isNegative() || backoffBase.isZero() || backoffMax.compareTo(backoffBase) < 0) {
      throw new IllegalArgumentException("backoff base " + backoffBase + " must be positive and not above max " + backoffMax);
    }
  }
}
