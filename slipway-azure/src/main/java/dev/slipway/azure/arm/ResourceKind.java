package dev.slipway.azure.arm;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The ARM resource types the provisioner makes or removes, each with the REST API version it
 * speaks. Versions are pinned so a plan means the same request bodies on every run.
 */
public enum ResourceKind {
  RESOURCE_GROUP("Microsoft.Resources/resourceGroups", "2021-04-01"),
  VIRTUAL_NETWORK("Microsoft.Network/virtualNetworks", ResourceKind.NETWORK_API),
  SUBNET("Microsoft.Network/virtualNetworks/subnets", ResourceKind.NETWORK_API),
  NETWORK_SECURITY_GROUP("Microsoft.Network/networkSecurityGroups", ResourceKind.NETWORK_API),
  PUBLIC_IP("Microsoft.Network/publicIPAddresses", ResourceKind.NETWORK_API),
  AVAILABILITY_SET("Microsoft.Compute/availabilitySets", ResourceKind.COMPUTE_API),
  NETWORK_INTERFACE("Microsoft.Network/networkInterfaces", ResourceKind.NETWORK_API),
  VIRTUAL_MACHINE("Microsoft.Compute/virtualMachines", ResourceKind.COMPUTE_API),
  /** Never created by a plan (OS disks come with their VM) but removed if tagged with the cluster. */
  DISK("Microsoft.Compute/disks", "2024-03-02"),
  /** The Azure Files share for power-save logs; takes no tags, so destroy never removes it (logs outlive the cluster). */
  FILE_SHARE("Microsoft.Storage/storageAccounts/fileServices/shares", "2023-05-01"),
  ROLE_ASSIGNMENT("Microsoft.Authorization/roleAssignments", "2022-04-01");

  static final String NETWORK_API = "2024-05-01";
  static final String COMPUTE_API = "2024-07-01";

  private final String type;
  private final String apiVersion;

  ResourceKind(String type, String apiVersion) {
    this.type = type;
    this.apiVersion = apiVersion;
  }

  /** ARM's resource type, e.g. {@code Microsoft.Network/networkInterfaces}. */
  public String type() {
    return type;
  }

  public String apiVersion() {
    return apiVersion;
  }

  /** The kind of an ARM type as a list or GET returns it (ARM compares types case-insensitively). */
  public static Optional<ResourceKind> ofType(String armType) {
    String t = armType.toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(k -> k.type.toLowerCase(Locale.ROOT).equals(t)).findFirst();
  }
}
