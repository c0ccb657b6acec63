package dev.slipway.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FakeClockTest {
  @Test
  void instant_staysPutUntilAdvanced() {
    FakeClock clock = new FakeClock(Instant.parse("2026-05-01T00:00:00Z"));

    assertThat(clock.instant()).isEqualTo(clock.instant()).isEqualTo(Instant.parse("2026-05-01T00:00:00Z"));
    assertThat(clock.advance(Duration.ofSeconds(90))).isEqualTo(Instant.parse("2026-05-01T00:01:30Z"));
    assertThat(clock.millis()).isEqualTo(Instant.parse("2026-05-01T00:01:30Z").toEpochMilli());
  }

  @Test
  void advance_backwards_isRefusedAndLeavesTheTime() {
    FakeClock clock = new FakeClock();

    assertThatThrownBy(() -> clock.advance(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
    assertThat(clock.instant()).isEqualTo(FakeClock.DEFAULT_START);
  }
}
