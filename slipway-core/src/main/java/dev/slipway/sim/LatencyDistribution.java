package dev.slipway.sim;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How long a simulated step takes (boot, allocation, resize, an API call), drawn from the
 * simulator's seeded generator so that a run is reproducible.
 */
public sealed interface LatencyDistribution {
  Duration sample(RandomGenerator random);

  /** The median, for documentation and reports. */
  Duration median();

  static LatencyDistribution fixed(Duration value) {
    return new Fixed(value);
  }

  static LatencyDistribution uniform(Duration min, Duration max) {
    return new Uniform(min, max);
  }

  /**
   * Log-normal with the given median and shape {@code sigma} (the standard deviation of the
   * logarithm): most values near the median, a long tail of slow ones, as VM boot times are.
   * Samples are capped at {@code max} so that one draw cannot stall a simulation.
   */
  static LatencyDistribution lognormal(Duration median, double sigma, Duration max) {
    return new LogNormal(median, sigma, max);
  }

  record Fixed(Duration value) implements LatencyDistribution {
    public Fixed {
      requireNotNegative(value, "value");
    }

    @Override
    public Duration sample(RandomGenerator random) {
      return value;
    }

    @Override
    public Duration median() {
      return value;
    }
  }

  record Uniform(Duration min, Duration max) implements LatencyDistribution {
    public Uniform {
      requireNotNegative(min, "min");
      requireNotNegative(max, "max");
      if (max.compareTo(min) < 0) {
        throw new IllegalArgumentException("uniform latency: max " + max + " is below min " + min);
      }
    }

    @Override
    public Duration sample(RandomGenerator random) {
      long span = max.toMillis() - min.toMillis();
      return span == 0 ? min : min.plusMillis(random.nextLong(span + 1));
    }

    @Override
    public Duration median() {
      return min.plus(max.minus(min).dividedBy(2));
    }
  }

  record LogNormal(Duration median, double sigma, Duration max) implements LatencyDistribution {
    public LogNormal {
      requireNotNegative(median, "median");
      requireNotNegative(max, "max");
      if (!(sigma >= 0) || Double.isInfinite(sigma)) {
        throw new IllegalArgumentException("lognormal latency: sigma must be a finite number >= 0, got " + sigma);
      }
    }

    @Override
    public Duration sample(RandomGenerator random) {
      double millis = median.toMillis() * Math.exp(sigma * random.nextGaussian());
      long capped = (long) Math.min(millis, max.toMillis());
      return Duration.ofMillis(capped);
    }
  }

  private static void requireNotNegative(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative()) {
      throw new IllegalArgumentException("latency " + what + " must not be negative: " + d);
    }
  }
}
