package dev.slipway.slurm;

/**
 * The base state of a Slurm node, the part before the first {@code +} in {@code scontrol show node}'s
 * {@code State=} (Slurm 22.05's {@code node_states}). Everything else is a {@link NodeFlag}.
 */
public enum NodeBaseState {
  UNKNOWN,
  DOWN,
  IDLE,
  ALLOCATED,
  ERROR,
  MIXED,
  FUTURE
}
