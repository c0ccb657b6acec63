package dev.slipway.simulate;

import java.time.Instant;
import java.time.InstantSource;

/** The simulation's one clock: the harness moves it forward; everything else only reads it. */
final class VirtualClock implements InstantSource {
  private Instant now;

  VirtualClock(Instant start) {
    this.now = start;
  }

  @Override
  public Instant instant() {
    return now;
  }

  void set(Instant t) {
    if (t.isBefore(now)) {
      throw new IllegalArgumentException("cannot move the virtual clock back from " + now + " to " + t);
    }
    now = t;
  }
}
