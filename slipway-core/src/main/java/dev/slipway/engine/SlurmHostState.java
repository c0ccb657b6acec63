package dev.slipway.engine;

import java.util.Objects;
import java.util.Optional;

/**
 * What Slurm says about one host, reduced to what the engine decides on. The scontrol adapter maps
 * Slurm's state flags onto it ({@code idle~} is POWERED_DOWN, {@code alloc#} POWERING_UP,
 * {@code idle%} POWERING_DOWN, {@code down*} DOWN and not responding, {@code drain} drained).
 * {@code address} is Slurm's NodeAddr when it differs from the host name.
 */
public record SlurmHostState(
    String host, Power power, boolean down, boolean drained, boolean responding, Optional<String> address, Optional<String> reason) {
  /** Slurm's power-save view of a cloud node. */
  public enum Power {
    POWERED_DOWN,
    POWERING_UP,
    POWERED_UP,
    POWERING_DOWN
  }

  public SlurmHostState {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(power, "power");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(reason, "reason");
  }

  /** Slurm has stopped wanting this host: it is powered down or on its way there. */
  public boolean isOff() {
    return power == Power.POWERED_DOWN || power == Power.POWERING_DOWN;
  }

  /** slurmd registered and answers: the host serves jobs (or could, were it not down or drained). */
  public boolean isRegistered() {
    return power == Power.POWERED_UP && responding;
  }
}
