package dev.slipway.slurm;

import java.util.Optional;

/**
 * A node state flag as {@code scontrol show node} prints it after the base state
 * ({@code IDLE+CLOUD+POWERED_DOWN}). The names are Slurm 22.05's, so {@link #valueOf} parses them.
 */
public enum NodeFlag {
  CLOUD,
  COMPLETING,
  DRAIN,
  DYNAMIC_FUTURE,
  DYNAMIC_NORM,
  FAIL,
  INVALID_REG,
  MAINTENANCE,
  NOT_RESPONDING,
  PLANNED,
  /** A power down was requested and will happen when the node is idle ({@code !}). */
  POWER_DOWN,
  /** A power up was requested and has not started yet. */
  POWER_UP,
  POWERED_DOWN,
  POWERING_DOWN,
  POWERING_UP,
  REBOOT_ISSUED,
  REBOOT_REQUESTED,
  RESERVED;

  /**
   * The flag named by one suffix character of sinfo's compact state ({@code idle~}), as Slurm
   * 22.05's {@code node_state_string_compact} appends them.
   */
  public static Optional<NodeFlag> ofSuffix(char suffix) {
    switch (suffix) {
      case '*': return Optional.of(NOT_RESPONDING);
      case '~': return Optional.of(POWERED_DOWN);
      case '#': return Optional.of(POWERING_UP);
      case '%': return Optional.of(POWERING_DOWN);
      case '!': return Optional.of(POWER_DOWN);
      case '@': return Optional.of(REBOOT_REQUESTED);
      case '^': return Optional.of(REBOOT_ISSUED);
      case '$': return Optional.of(MAINTENANCE);
      case '-': return Optional.of(PLANNED);
      default: return Optional.empty();
    }
  }
}
