package dev.slipway.local.netns;

import java.time.Duration;

/**
 * Waits for real time to pass where the kernel leaves no choice: a grace period between SIGTERM
 * and SIGKILL, or the instant a time namespace's boot clock may start at. A seam so that unit
 * tests run instantly.
 */
@FunctionalInterface
public interface Pause {
  Pause REAL = d -> {
    if (!d.isNegative() && !d.isZero()) {
      Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
    }
  };

  void pause(Duration duration) throws InterruptedException;
}
