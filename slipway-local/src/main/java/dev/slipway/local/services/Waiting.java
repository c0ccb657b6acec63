package dev.slipway.local.services;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.function.BooleanSupplier;

/**
 * Polls for a condition until a deadline on an injected clock. Daemons give no readiness signal
 * (a socket appears, a PID disappears, a client starts answering), so the services poll; tests
 * pass a sleeper that advances a fake clock instead of sleeping.
 */
public record Waiting(InstantSource clock, Sleeper sleeper, Duration interval) {
  /** Waits between two polls. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  public static Waiting real() {
    return new Waiting(InstantSource.system(), d -> Thread.sleep(d.toMillis()), Duration.ofMillis(100));
  }

  /** True as soon as {@code condition} holds, false when it did not within {@code limit}. */
  public boolean until(Duration limit, BooleanSupplier condition) {
    Instant deadline = clock.instant().plus(limit);
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (!clock.instant().isBefore(deadline)) {
        return false;
      }
      try {
        sleeper.sleep(interval);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }
}
