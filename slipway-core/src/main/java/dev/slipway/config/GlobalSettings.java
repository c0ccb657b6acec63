package dev.slipway.config;

import java.util.Map;
import java.util.Optional;

/** What Slipway uses of Batch Shipyard's config.yaml. */
public record GlobalSettings(
    Optional<String> storageAccountSettings, String storageEntityPrefix, Map<String, String> sharedDataVolumeDrivers) {
  public GlobalSettings {
    sharedDataVolumeDrivers = Map.copyOf(sharedDataVolumeDrivers);
  }
}
