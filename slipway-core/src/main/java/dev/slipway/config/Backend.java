package dev.slipway.config;

import java.util.Locale;

/** Where compute nodes come from: this machine's namespaces, Azure Batch, or the simulator. */
public enum Backend {
  LOCAL,
  AZURE,
  SIM;

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
