package dev.slipway.simulate;

import java.time.Duration;

/**
 * The slurm.conf settings the model honours. Defaults are Slurm 22.05's own where Slurm has one
 * (power_save_interval 10 s, SlurmdTimeout 300 s, sched_interval 60 s) and the values of the local
 * working configuration otherwise (ReturnToService=2, idle_on_node_suspend).
 *
 * @param requeueDelay how long a requeued job waits before it is eligible again; 0 by default
 *     because the model does not know the cluster's exact hold-off
 */
public record SlurmTiming(
    Duration suspendTime,
    Duration resumeTimeout,
    Duration suspendTimeout,
    Duration schedInterval,
    Duration powerSaveInterval,
    Duration slurmdTimeout,
    Duration requeueDelay,
    int returnToService,
    boolean idleOnNodeSuspend) {
  public SlurmTiming {
    requirePositive("suspend_time", suspendTime);
    requirePositive("resume_timeout", resumeTimeout);
    requirePositive("suspend_timeout", suspendTimeout);
    requirePositive("sched_interval", schedInterval);
    requirePositive("power_save_interval", powerSaveInterval);
    requirePositive("slurmd_timeout", slurmdTimeout);
    if (requeueDelay.isNegative()) {
      throw new IllegalArgumentException("requeue_delay is negative: " + requeueDelay);
    }
    if (returnToService < 0 || returnToService > 2) {
      throw new IllegalArgumentException("return_to_service must be 0, 1 or 2, got " + returnToService);
    }
  }

  /** Slipway's rendered defaults: SuspendTime 10 min, ResumeTimeout 20 min, SuspendTimeout 20 min. */
  public static SlurmTiming defaults() {
    return of(Duration.ofMinutes(10), Duration.ofMinutes(20), Duration.ofMinutes(20));
  }

  public static SlurmTiming of(Duration suspendTime, Duration resumeTimeout, Duration suspendTimeout) {
    return new SlurmTiming(suspendTime, resumeTimeout, suspendTimeout, Duration.ofSeconds(60), Duration.ofSeconds(10),
        Duration.ofSeconds(300), Duration.ZERO, 2, true);
  }

  public SlurmTiming withSlurmdTimeout(Duration d) {
    return new SlurmTiming(suspendTime, resumeTimeout, suspendTimeout, schedInterval, powerSaveInterval, d,
        requeueDelay, returnToService, idleOnNodeSuspend);
  }

  public SlurmTiming withPowerSaveInterval(Duration d) {
    return new SlurmTiming(suspendTime, resumeTimeout, suspendTimeout, schedInterval, d, slurmdTimeout,
        requeueDelay, returnToService, idleOnNodeSuspend);
  }

  public SlurmTiming withRequeueDelay(Duration d) {
    return new SlurmTiming(suspendTime, resumeTimeout, suspendTimeout, schedInterval, powerSaveInterval,
        slurmdTimeout, d, returnToService, idleOnNodeSuspend);
  }

  private static void requirePositive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }
}
