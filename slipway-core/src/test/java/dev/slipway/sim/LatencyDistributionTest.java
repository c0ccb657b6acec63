package dev.slipway.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class LatencyDistributionTest {
  private final RandomGenerator random = new SplittableRandom(5);

  @Test
  void fixed_alwaysGivesItsValue() {
    LatencyDistribution d = LatencyDistribution.fixed(Duration.ofSeconds(3));
    assertThat(d.sample(random)).isEqualTo(Duration.ofSeconds(3));
    assertThat(d.median()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void uniform_staysWithinItsBoundsAndCoversThem() {
    LatencyDistribution d = LatencyDistribution.uniform(Duration.ofSeconds(10), Duration.ofSeconds(20));
    long[] ms = new long[5000];
    for (int i = 0; i < ms.length; i++) {
      ms[i] = d.sample(random).toMillis();
    }
    assertThat(Arrays.stream(ms).min().getAsLong()).isBetween(10_000L, 10_100L);
    assertThat(Arrays.stream(ms).max().getAsLong()).isBetween(19_900L, 20_000L);
    assertThat(d.median()).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void lognormal_hasTheGivenMedianALongRightTailAndACap() {
    LatencyDistribution d = LatencyDistribution.lognormal(Duration.ofSeconds(100), 0.5, Duration.ofSeconds(400));
    long[] ms = new long[20_001];
    for (int i = 0; i < ms.length; i++) {
      ms[i] = d.sample(random).toMillis();
    }
    Arrays.sort(ms);
    assertThat(ms[ms.length / 2]).isBetween(95_000L, 105_000L);
    double mean = Arrays.stream(ms).average().orElseThrow();
    assertThat(mean).as("right-skewed: mean above median").isGreaterThan(105_000);
    assertThat(ms[ms.length - 1]).isEqualTo(400_000L);
    assertThat(ms[0]).isPositive();
  }

  @Test
  void badParameters_areRefused() {
    assertThatThrownBy(() -> LatencyDistribution.fixed(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LatencyDistribution.uniform(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LatencyDistribution.lognormal(Duration.ofSeconds(1), Double.NaN, Duration.ofSeconds(9)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SimFaults(1.5, 0, 0, LatencyDistribution.fixed(Duration.ZERO)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("startTaskFailureRate");
  }
}
