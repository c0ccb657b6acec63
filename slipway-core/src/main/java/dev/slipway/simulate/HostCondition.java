package dev.slipway.simulate;

/**
 * One word for a host's Slurm state, most significant flag first: a host both DOWN and powered
 * down reads {@link #DOWN}; {@link HostState} has the separate flags.
 */
public enum HostCondition {
  DOWN,
  DRAINED,
  POWERING_DOWN,
  POWERED_DOWN,
  POWERING_UP,
  ALLOCATED,
  IDLE
}
