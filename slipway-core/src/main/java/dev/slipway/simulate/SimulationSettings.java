package dev.slipway.simulate;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The harness's own knobs (the scenario describes the world; these describe how Slipway is run in
 * it and how the simulated cloud answers).
 *
 * @param passInterval the daemon's periodic reconcile pass
 * @param wakeDelay from a hook call to the pass it wakes (hook process start plus the daemon's
 *     wake-up); zero runs the pass in the same instant
 * @param slurmdStartDelay from a node's successful join to its slurmd registering
 * @param joinRetryInterval how often a booted node retries its join while the daemon is down
 * @param resizeLatency how long a resize keeps a pool "resizing" (new nodes are listed at once)
 * @param removeLatency from a removal to the nodes being gone
 * @param drainLimit after the scenario's end, how long the run may continue for jobs to finish and
 *     hosts to be suspended before the end-of-run checks are made anyway
 * @param stateDir where the SQLite store goes; empty: a temporary directory deleted afterwards
 */
public record SimulationSettings(
    Duration passInterval,
    Duration wakeDelay,
    Duration slurmdStartDelay,
    Duration joinRetryInterval,
    Duration resizeLatency,
    Duration removeLatency,
    Duration drainLimit,
    Optional<Path> stateDir) {
  public static final SimulationSettings DEFAULTS = new SimulationSettings(Duration.ofSeconds(15), Duration.ofSeconds(1),
      Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofHours(12),
      Optional.empty());

  public SimulationSettings {
    requirePositive("passInterval", passInterval);
    requireNotNegative("wakeDelay", wakeDelay);
    requireNotNegative("slurmdStartDelay", slurmdStartDelay);
    requirePositive("joinRetryInterval", joinRetryInterval);
    requireNotNegative("resizeLatency", resizeLatency);
    requireNotNegative("removeLatency", removeLatency);
    requireNotNegative("drainLimit", drainLimit);
    Objects.requireNonNull(stateDir, "stateDir");
  }

  public SimulationSettings withStateDir(Path dir) {
    return new SimulationSettings(passInterval, wakeDelay, slurmdStartDelay, joinRetryInterval, resizeLatency, removeLatency,
        drainLimit, Optional.of(dir));
  }

  public SimulationSettings withWakeDelay(Duration d) {
    return new SimulationSettings(passInterval, d, slurmdStartDelay, joinRetryInterval, resizeLatency, removeLatency,
        drainLimit, stateDir);
  }

  public SimulationSettings withPassInterval(Duration d) {
    return new SimulationSettings(d, wakeDelay, slurmdStartDelay, joinRetryInterval, resizeLatency, removeLatency,
        drainLimit, stateDir);
  }

  public SimulationSettings withResizeLatency(Duration d) {
    return new SimulationSettings(passInterval, wakeDelay, slurmdStartDelay, joinRetryInterval, d, removeLatency,
        drainLimit, stateDir);
  }

  private static void requirePositive(String name, Duration d) {
    requireNotNegative(name, d);
    if (d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }

  private static void requireNotNegative(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, got " + d);
    }
  }
}
