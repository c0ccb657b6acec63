package dev.slipway.simulate;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Something the harness does to the world at a given time: crash or restart the Slipway daemon,
 * preempt {@code count} running nodes of a pool, or take a pool's capacity down to {@code count}
 * nodes for {@code duration}.
 */
public record TimedEvent(Instant at, Kind kind, Optional<String> pool, int count, Optional<Duration> duration) {
  public enum Kind {
    DAEMON_CRASH,
    DAEMON_RESTART,
    PREEMPT,
    CAPACITY_OUTAGE
  }
}
