package dev.slipway.simulate;

import java.util.List;

/**
 * What the modelled slurmctld calls when it runs its power-save programs. In a real cluster these
 * are {@code slipway hook resume|suspend|resume-fail HOSTLIST}; the simulator wires them to the
 * same hook code. The model calls each at most once per scheduling pass (one pass per processed
 * instant), with every host that pass produced, as Slurm's power_save thread aggregates.
 */
public interface PowerSaveHooks {
  /** ResumeProgram: power up these hosts for these jobs (SLURM_RESUME_FILE lists the jobs). */
  void resume(List<String> hosts, List<String> jobIds);

  /** SuspendProgram: power these hosts down. */
  void suspend(List<String> hosts);

  /** ResumeFailProgram: these hosts did not register within ResumeTimeout. */
  void resumeFail(List<String> hosts);
}
