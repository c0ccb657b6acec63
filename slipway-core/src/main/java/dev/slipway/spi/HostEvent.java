package dev.slipway.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One line of a host's or pool's history ("why is this node DOWN?"). Append-only. {@code id} is
 * assigned by the store (0 before it is stored). {@code kind} is a short machine word such as
 * {@code resume-requested}, {@code joined}, {@code failed}, {@code released}.
 */
public record HostEvent(long id, Instant at, Optional<String> host, String poolId, String kind, String message) {
  public HostEvent {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(poolId, "poolId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(message, "message");
  }

  public static HostEvent ofHost(Instant at, String host, String poolId, String kind, String message) {
    return new HostEvent(0, at, Optional.of(host), poolId, kind, message);
  }

  public static HostEvent ofPool(Instant at, String poolId, String kind, String message) {
    return new HostEvent(0, at, Optional.empty(), poolId, kind, message);
  }
}
