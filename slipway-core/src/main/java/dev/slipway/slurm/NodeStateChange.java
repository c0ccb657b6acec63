package dev.slipway.slurm;

/**
 * The {@code State=} values {@code scontrol update nodename=...} accepts that Slipway uses. DOWN,
 * DRAIN and FAIL need a reason (Slurm refuses them without one).
 */
public enum NodeStateChange {
  DOWN(true),
  DRAIN(true),
  FAIL(true),
  RESUME(false),
  IDLE(false),
  UNDRAIN(false),
  POWER_UP(false),
  POWER_DOWN(false),
  POWER_DOWN_ASAP(false),
  POWER_DOWN_FORCE(false),
  FUTURE(false);

  private final boolean needsReason;

  NodeStateChange(boolean needsReason) {
    this.needsReason = needsReason;
  }

  public boolean needsReason() {
    return needsReason;
  }
}
