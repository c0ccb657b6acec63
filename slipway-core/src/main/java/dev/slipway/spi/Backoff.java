package dev.slipway.spi;

import dev.slipway.model.ErrorClass;
import java.time.Instant;
import java.util.Optional;

/**
 * A pool's backoff after failures: {@code level} grows with consecutive failures (delay doubles),
 * {@code until} is when the pool may be asked again, and the last error explains why.
 */
public record Backoff(int level, Optional<Instant> until, Optional<ErrorClass> lastErrorClass, Optional<String> lastErrorCode) {
  public static final Backoff NONE = new Backoff(0, Optional.empty(), Optional.empty(), Optional.empty());

  public boolean activeAt(Instant now) {
    return until.isPresent() && now.isBefore(until.get());
  }
}
