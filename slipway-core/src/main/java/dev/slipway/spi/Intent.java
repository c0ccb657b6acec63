package dev.slipway.spi;

/** What Slurm last asked for a host: powered up or powered down. */
public enum Intent {
  UP,
  DOWN
}
