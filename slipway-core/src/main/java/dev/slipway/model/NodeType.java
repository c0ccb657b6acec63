package dev.slipway.model;

import java.util.Locale;

/** Whether a pool's nodes are dedicated or low priority (spot, preemptible). */
public enum NodeType {
  DEDICATED,
  LOW_PRIORITY;

  /** The spelling used in configuration files and as a Slurm feature: {@code dedicated}, {@code low_priority}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
