package dev.slipway.azure.arm;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the ARM provisioner needs beyond the cluster configuration.
 *
 * @param image the controller and login VM image
 * @param srunPortRange Slurm's {@code SrunPortRange} (e.g. {@code 60001-63000}) when the cluster
 *     sets one: login nodes then accept step I/O from compute nodes on it
 * @param clusterDir where generated SSH keys are written (mode 0600) when a node group configures
 *     neither a key nor {@code generated_file_export_path}
 * @param storageClusterId a storage cluster of fs.yaml to make as a single NFS server VM with
 *     managed data disks (Batch Shipyard's {@code fs cluster add}), or empty
 */
public record ArmSettings(ImageReference image, Optional<String> srunPortRange, Path clusterDir, Optional<String> storageClusterId) {
  private static final Pattern PORT_RANGE = Pattern.compile("(\\d{1,5})-(\\d{1,5})");

  public ArmSettings {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(clusterDir, "clusterDir");
    Objects.requireNonNull(storageClusterId, "storageClusterId");
    srunPortRange.ifPresent(r -> {
      var m = PORT_RANGE.matcher(r);
      if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(2)) > 65535
          || Integer.parseInt(m.group(1)) > Integer.parseInt(m.group(2))) {
        throw new IllegalArgumentException("srun port range '" + r + "' is not LOW-HIGH within 1..65535");
      }
    });
  }

  public ArmSettings(ImageReference image, Optional<String> srunPortRange, Path clusterDir) {
    this(image, srunPortRange, clusterDir, Optional.empty());
  }

  public static ArmSettings defaults(Path clusterDir) {
    return new ArmSettings(ImageReference.UBUNTU_24_04, Optional.empty(), clusterDir);
  }

  public ArmSettings withImage(ImageReference image) {
    return new ArmSettings(image, srunPortRange, clusterDir, storageClusterId);
  }

  public ArmSettings withSrunPortRange(String range) {
    return new ArmSettings(image, Optional.of(range), clusterDir, storageClusterId);
  }

  public ArmSettings withStorageCluster(String id) {
    return new ArmSettings(image, srunPortRange, clusterDir, Optional.of(id));
  }
}
