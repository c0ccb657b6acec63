package dev.slipway.azure.arm;

import java.util.Locale;

/**
 * What a cluster VM is for: a Slurm controller (slurmctld, the daemon), a login node, or the NFS
 * server of a storage cluster made with {@code --storage-cluster-id}.
 */
public enum VmRole {
  CONTROLLER("controller"),
  LOGIN("gateway"),
  /** Named from fs.yaml's {@code hostname_prefix}, not from this word. */
  STORAGE("storage");

  private final String namePart;

  VmRole(String namePart) {
    this.namePart = namePart;
  }

  /**
   * The word in resource names. Login VMs are {@code gateway} as in Batch Shipyard (Azure refuses
   * "login" in DNS labels), so the names of an existing Shipyard cluster stay the same.
   */
  public String namePart() {
    return namePart;
  }

  /** The lower-case role name used in tags and JSON ({@code controller}, {@code login}). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
