package dev.slipway.local.provision;

/**
 * The power-save wrappers and PrologSlurmctld in {@code libexec/}, before any slurmctld starts:
 * slurmctld checks its ResumeProgram and SuspendProgram at start-up and disables power saving when
 * they are missing. The hooks run in a controller's namespaces and wake every controller's daemon.
 */
final class InstallHooks implements ProvisionStep {
  private final ControlPlane plane;

  InstallHooks(ControlPlane plane) {
    this.plane = plane;
  }

  @Override
  public String description(ProvisionContext c) {
    return "install the power-save hooks into " + c.paths.libexec();
  }

  @Override
  public void run(ProvisionContext c) throws InterruptedException {
    plane.installHooks(c.paths.libexec(), StartSlipwayDaemon.baseUrls(c).stream().map(u -> u + "/v1/wake").toList());
  }
}
