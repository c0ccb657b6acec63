package dev.slipway.testkit;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock for tests that moves only when told to, so time-dependent behaviour (lease expiry,
 * backoff, timeouts) is tested by advancing it instead of sleeping. Safe to read and advance from
 * several threads.
 */
public final class FakeClock implements InstantSource {
  /** A fixed, millisecond-aligned start that stores can round-trip exactly. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

  private final AtomicReference<Instant> now;

  public FakeClock(Instant start) {
    this.now = new AtomicReference<>(Objects.requireNonNull(start, "start"));
  }

  public FakeClock() {
    this(DEFAULT_START);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  /** Moves the clock forward; time never goes back, so a negative step is refused. */
  public Instant advance(Duration step) {
    if (step.isNegative()) {
      throw new IllegalArgumentException("a fake clock only moves forward, not by " + step);
    }
    return now.updateAndGet(t -> t.plus(step));
  }

  /** Puts the clock at {@code instant} (tests that replay a timeline); it may not go back. */
  public void set(Instant instant) {
    Objects.requireNonNull(instant, "instant");
    now.updateAndGet(t -> {
      if (instant.isBefore(t)) {
        throw new IllegalArgumentException("a fake clock only moves forward: " + instant + " is before " + t);
      }
      return instant;
    });
  }

  @Override
  public String toString() {
    return "FakeClock[" + now.get() + "]";
  }
}
