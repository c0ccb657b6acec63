package dev.slipway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.Backoff;
import dev.slipway.spi.ProviderError;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffPolicyTest {
  private final BackoffPolicy policy = new BackoffPolicy(Duration.ofSeconds(30), Duration.ofMinutes(5));
  private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void delay_doublesPerLevelAndStopsAtTheCap() {
    assertThat(List.of(0, 1, 2, 3, 4, 5, 40).stream().map(policy::delay)).containsExactly(
        Duration.ZERO, Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(240),
        Duration.ofMinutes(5), Duration.ofMinutes(5));
  }

  @Test
  void failures_duringAnActiveBackoff_doNotRaiseTheLevel() {
    ProviderError err = new ProviderError(ErrorClass.START_TASK, "StartTaskFailed", "x");
    Backoff first = policy.afterFailures(Backoff.NONE, List.of(err), t0);
    assertThat(policy.afterFailures(first, List.of(err), t0.plusSeconds(10))).isEqualTo(first);
    Backoff second = policy.afterFailures(first, List.of(err), t0.plusSeconds(30));
    assertThat(second.level()).isEqualTo(2);
    assertThat(second.until()).contains(t0.plusSeconds(90));
  }

  @Test
  void capacity_outranksOtherErrorsOfTheSamePassAndOpensTheFallback() {
    Backoff b = policy.afterFailures(Backoff.NONE, List.of(
        new ProviderError(ErrorClass.START_TASK, "StartTaskFailed", "x"),
        new ProviderError(ErrorClass.CAPACITY, "AllocationFailed", "y")), t0);
    assertThat(b.lastErrorClass()).contains(ErrorClass.CAPACITY);
    assertThat(BackoffPolicy.isFallback(b, t0)).isTrue();
    assertThat(BackoffPolicy.isFallback(b, t0.plusSeconds(30))).isFalse();
  }
}
