package dev.slipway.simulate;

import java.util.Optional;

/**
 * A read of one host as {@code scontrol show node} would give it. {@link #sinfoState()} renders
 * the compact sinfo {@code %t} form ({@code idle~}, {@code alloc#}, {@code down~}, {@code idle%},
 * {@code drain}, {@code down*}, {@code alloc!} ...), so an adapter can feed the engine's real
 * state parser.
 */
public record HostState(
    String host,
    String poolId,
    PowerState power,
    boolean allocated,
    boolean down,
    boolean drain,
    boolean responding,
    boolean powerDownPending,
    Optional<String> reason,
    Optional<String> nodeAddr,
    Optional<String> jobId) {

  public HostCondition condition() {
    if (down) {
      return HostCondition.DOWN;
    }
    if (drain && !allocated) {
      return HostCondition.DRAINED;
    }
    return switch (power) {
      case POWERING_DOWN -> HostCondition.POWERING_DOWN;
      case POWERED_DOWN -> HostCondition.POWERED_DOWN;
      case POWERING_UP -> HostCondition.POWERING_UP;
      case UP -> allocated ? HostCondition.ALLOCATED : HostCondition.IDLE;
    };
  }

  public String sinfoState() {
    String base;
    if (down) {
      base = "down";
    } else if (drain) {
      base = allocated ? "drng" : "drain";
    } else {
      base = allocated ? "alloc" : "idle";
    }
    String suffix = switch (power) {
      case POWERED_DOWN -> "~";
      case POWERING_UP -> "#";
      case POWERING_DOWN -> "%";
      case UP -> powerDownPending ? "!" : responding ? "" : "*";
    };
    return base + suffix;
  }
}
