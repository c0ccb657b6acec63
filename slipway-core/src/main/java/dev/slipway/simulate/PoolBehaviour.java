package dev.slipway.simulate;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * How a pool's simulated nodes behave (read by the sim node provider): boot time, the chance a
 * node's start task fails, the chance a started node turns unusable, and how many nodes the
 * "cloud" will grant the pool at most.
 */
public record PoolBehaviour(BootTime bootTime, double startTaskFailure, double unusable, OptionalInt capacity) {
  public static final PoolBehaviour DEFAULT =
      new PoolBehaviour(new BootTime.Fixed(Duration.ofMinutes(3)), 0.0, 0.0, OptionalInt.empty());
}
