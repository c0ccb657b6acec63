package dev.slipway.simulate;

/** Where a host is in Slurm's power-save cycle. */
public enum PowerState {
  POWERED_DOWN,
  POWERING_UP,
  UP,
  POWERING_DOWN
}
