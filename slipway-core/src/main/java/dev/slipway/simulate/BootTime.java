package dev.slipway.simulate;

import java.time.Duration;
import java.util.random.RandomGenerator;

/** How long a pool's nodes take from request to a registered slurmd; sampled from a seeded generator. */
public sealed interface BootTime {
  Duration sample(RandomGenerator random);

  record Fixed(Duration value) implements BootTime {
    @Override
    public Duration sample(RandomGenerator random) {
      return value;
    }
  }

  /** Uniform between {@code min} and {@code max} inclusive, at millisecond resolution. */
  record Uniform(Duration min, Duration max) implements BootTime {
    @Override
    public Duration sample(RandomGenerator random) {
      long span = max.toMillis() - min.toMillis();
      return min.plusMillis(span == 0 ? 0 : random.nextLong(span + 1));
    }
  }

  /** Log-normal with the given median and shape {@code sigma}: {@code median * exp(sigma * N(0,1))}. */
  record LogNormal(Duration median, double sigma) implements BootTime {
    @Override
    public Duration sample(RandomGenerator random) {
      double millis = median.toMillis() * Math.exp(sigma * random.nextGaussian());
      return Duration.ofMillis(Math.round(millis));
    }
  }
}
