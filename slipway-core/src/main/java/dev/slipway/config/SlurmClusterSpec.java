package dev.slipway.config;

import java.util.List;
import java.util.Optional;

/** The {@code slurm:} section of slurm.yaml (Batch Shipyard's format). */
public record SlurmClusterSpec(
    String clusterId,
    Optional<String> storageAccountSettings,
    Optional<String> location,
    Optional<String> resourceGroup,
    NodeGroupSpec controller,
    NodeGroupSpec login,
    List<SharedVolume> sharedDataVolumes,
    SlurmOptions options) {
  public SlurmClusterSpec {
    sharedDataVolumes = List.copyOf(sharedDataVolumes);
  }

  /** The volume marked {@code store_slurmctld_state: true}, if any. */
  public Optional<SharedVolume> stateVolume() {
    return sharedDataVolumes.stream().filter(SharedVolume::storeSlurmctldState).findFirst();
  }
}
