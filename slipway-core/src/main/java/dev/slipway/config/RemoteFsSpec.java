package dev.slipway.config;

import java.util.Map;
import java.util.Optional;

/** What Slipway uses of Batch Shipyard's fs.yaml: storage clusters and how to mount them. */
public record RemoteFsSpec(Optional<String> resourceGroup, Optional<String> location, Map<String, StorageCluster> storageClusters) {
  public RemoteFsSpec {
    storageClusters = Map.copyOf(storageClusters);
  }

  /** One file server: {@code nfs} or {@code glusterfs}, its export path and mount options. */
  public record StorageCluster(String id, String type, String mountpoint, java.util.List<String> mountOptions, int vmCount) {
    public StorageCluster {
      mountOptions = java.util.List.copyOf(mountOptions);
    }
  }
}
