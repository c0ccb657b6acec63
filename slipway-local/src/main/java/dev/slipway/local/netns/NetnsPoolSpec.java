package dev.slipway.local.netns;

import java.time.Duration;
import java.util.Objects;

/**
 * One pool of namespace nodes: its size limit, how long a node takes to "boot" before its start
 * task runs (so the engine's waiting paths are exercised with real Slurm), and the share of start
 * tasks that fail on purpose (fault injection; 0 in production).
 */
public record NetnsPoolSpec(String id, int maxSize, Duration bootDelay, double startTaskFailureRate) {
  public NetnsPoolSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(bootDelay, "bootDelay");
    if (maxSize < 0) {
      throw new IllegalArgumentException("pool " + id + ": max size must be >= 0, got " + maxSize);
    }
    if (bootDelay.isNegative()) {
      throw new IllegalArgumentException("pool " + id + ": boot delay must not be negative, got " + bootDelay);
    }
    if (!(startTaskFailureRate >= 0 && startTaskFailureRate <= 1)) {
      throw new IllegalArgumentException("pool " + id + ": start task failure rate must be in [0, 1], got " + startTaskFailureRate);
    }
  }

  /** A pool without boot delay or injected failures. */
  public static NetnsPoolSpec of(String id, int maxSize) {
    return new NetnsPoolSpec(id, maxSize, Duration.ZERO, 0);
  }

  public NetnsPoolSpec withBootDelay(Duration delay) {
    return new NetnsPoolSpec(id, maxSize, delay, startTaskFailureRate);
  }

  public NetnsPoolSpec withStartTaskFailureRate(double rate) {
    return new NetnsPoolSpec(id, maxSize, bootDelay, rate);
  }
}
