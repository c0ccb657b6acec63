package dev.slipway.simulate;

/** A job's Slurm state; CONFIGURING means allocated, waiting for powered-up nodes to register. */
public enum JobState {
  PENDING,
  CONFIGURING,
  RUNNING,
  COMPLETED,
  /** Ended by a node failure while running and not requeueable (Slurm's NODE_FAIL). */
  FAILED,
  /** Refused at submission: unknown partition or a request no host set can satisfy. */
  REJECTED
}
