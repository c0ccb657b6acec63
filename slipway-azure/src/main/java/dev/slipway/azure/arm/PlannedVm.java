package dev.slipway.azure.arm;

/**
 * The parts of a VM that the plan names but only apply fills in: the SSH key (read or generated)
 * and the custom data ({@link UserDataSource}).
 *
 * @param index the VM's position within its role (0-based)
 * @param offset the VM's position among all cluster VMs, controllers first: the {@code NNN} in
 *     its resource names, as in Batch Shipyard
 */
public record PlannedVm(VmRole role, int index, int offset, String adminUsername, SshKeySource sshKey) {}
