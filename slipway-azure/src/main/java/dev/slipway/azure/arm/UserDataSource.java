package dev.slipway.azure.arm;

/**
 * Where a VM's custom data (cloud-init) comes from. The provisioner only places the text on the VM
 * (base64, ARM's {@code osProfile.customData}); what the VM runs at first boot is written elsewhere
 * ({@code dev.slipway.azure.bootstrap}), so this package never knows cloud-init.
 */
@FunctionalInterface
public interface UserDataSource {
  /**
   * The custom data for the {@code index}-th VM of {@code role} (0-based within the role), or an
   * empty string for none.
   */
  String forVm(VmRole role, int index);
}
