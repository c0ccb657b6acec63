package dev.slipway.testkit;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;

/** A clock that moves only when a test moves it, so that tests never sleep. */
public final class FakeClock implements InstantSource {
  private Instant now;

  public FakeClock(Instant start) {
    this.now = Objects.requireNonNull(start, "start");
  }

  /** Starts at 2026-01-01T00:00:00Z, a fixed and readable instant. */
  public FakeClock() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Override
  public synchronized Instant instant() {
    return now;
  }

  public synchronized Instant advance(Duration by) {
    if (by.isNegative()) {
      throw new IllegalArgumentException("a clock does not go back: " + by);
    }
    now = now.plus(by);
    return now;
  }

  public synchronized void set(Instant to) {
    if (to.isBefore(now)) {
      throw new IllegalArgumentException("a clock does not go back: " + to + " is before " + now);
    }
    now = to;
  }

  @Override
  public synchronized String toString() {
    return "FakeClock at " + now;
  }
}
