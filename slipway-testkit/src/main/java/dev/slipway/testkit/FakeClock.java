package dev.slipway.testkit;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;

/** A clock tests move by hand, so nothing ever sleeps to wait for time. Thread-safe. */
public final class FakeClock implements InstantSource {
  private Instant now;

  public FakeClock(Instant start) {
    this.now = Objects.requireNonNull(start, "start");
  }

  public FakeClock() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Override
  public synchronized Instant instant() {
    return now;
  }

  public synchronized void advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("time does not go back: " + d);
    }
    now = now.plus(d);
  }

  public synchronized void set(Instant instant) {
    now = Objects.requireNonNull(instant, "instant");
  }
}
