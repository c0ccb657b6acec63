package dev.slipway.model;

/**
 * Why a host could not be brought up or a provider call failed, in the engine's terms. The class
 * decides the recovery: capacity and quota back off the whole pool (and trigger capacity
 * fallback), start-task and unusable nodes are replaced, transient errors are retried, and
 * configuration errors are surfaced to the operator.
 */
public enum ErrorClass {
  /** The region or zone has no capacity for the VM size right now. */
  CAPACITY,
  /** The account's core or pool quota is exhausted. */
  QUOTA,
  /** The node booted but its start task (the join script) failed. */
  START_TASK,
  /** The node became unusable (hardware, agent, disk). */
  UNUSABLE,
  /** A low-priority node was preempted by the provider. */
  PREEMPTED,
  /** A pool already has a resize in progress; try again after it ends. */
  RESIZE_IN_PROGRESS,
  /** A timeout, throttling or server error; retry with backoff. */
  TRANSIENT,
  /** The request can never succeed as configured (bad VM size, missing pool, auth). */
  CONFIGURATION,
  /** The host did not register with Slurm in time, or Slurm reported a resume failure. */
  RESUME_TIMEOUT
}
