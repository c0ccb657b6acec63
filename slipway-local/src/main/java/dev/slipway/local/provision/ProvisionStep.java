package dev.slipway.local.provision;

/** One step of creating or starting a local cluster; reported as a progress line. */
interface ProvisionStep {
  /** What the step does, as a progress line says it ("start slurmctld on ..."). */
  String description(ProvisionContext c);

  void run(ProvisionContext c) throws InterruptedException;
}
