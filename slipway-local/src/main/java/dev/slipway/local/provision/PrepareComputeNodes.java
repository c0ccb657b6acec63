package dev.slipway.local.provision;

/** The compute nodes' sshd files (ComputeNodeAccess); the nodes themselves come later, from the daemon's provider. */
final class PrepareComputeNodes implements ProvisionStep {
  @Override
  public String description(ProvisionContext c) {
    return "prepare sshd with pam_slurm_adopt for compute nodes";
  }

  @Override
  public void run(ProvisionContext c) {
    ComputeNodeAccess.prepare(c);
  }
}
