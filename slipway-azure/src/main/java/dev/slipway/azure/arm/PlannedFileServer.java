package dev.slipway.azure.arm;

import java.util.List;

/**
 * The NFS server of a storage cluster (fs.yaml) that the plan makes: what its first-boot setup
 * needs (disks, file system, exports) and the fixed private address the cluster mounts.
 *
 * @param dataDiskLuns the LUNs its managed data disks are attached at, in disk_array order
 * @param filesystem {@code btrfs}, {@code ext4} or {@code xfs}
 * @param exports {@code /etc/exports} lines, one per client
 */
public record PlannedFileServer(String storageClusterId, String vmName, String privateAddress, String mountpoint,
    List<Integer> dataDiskLuns, String filesystem, int raidLevel, List<String> exports) {
  public PlannedFileServer {
    dataDiskLuns = List.copyOf(dataDiskLuns);
    exports = List.copyOf(exports);
  }
}
