package dev.slipway.spi;

import java.time.Instant;
import java.util.Map;

/**
 * A structured event from the core: a short {@code kind} (for metrics and filtering), a human
 * message, and attributes (pool, host, error class, counts...).
 */
public record EngineEvent(Instant at, String kind, String message, Map<String, String> attributes) {
  public EngineEvent {
    java.util.Objects.requireNonNull(at, "at");
    java.util.Objects.requireNonNull(kind, "kind");
    java.util.Objects.requireNonNull(message, "message");
    attributes = Map.copyOf(attributes);
  }

  public static EngineEvent of(Instant at, String kind, String message) {
    return new EngineEvent(at, kind, message, Map.of());
  }
}
