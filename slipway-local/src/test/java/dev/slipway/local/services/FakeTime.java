package dev.slipway.local.services;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock that only moves when {@link Waiting} sleeps, so polling tests never wait. */
final class FakeTime implements InstantSource {
  private Instant now = Instant.parse("2026-01-01T00:00:00Z");
  int sleeps;

  @Override
  public Instant instant() {
    return now;
  }

  Waiting waiting() {
    return new Waiting(this, d -> {
      sleeps++;
      now = now.plus(d);
    }, Duration.ofMillis(100));
  }
}
