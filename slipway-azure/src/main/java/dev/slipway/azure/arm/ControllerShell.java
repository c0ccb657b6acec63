package dev.slipway.azure.arm;

import dev.slipway.slurm.CommandRunner;
import java.time.Duration;
import java.util.List;

/**
 * Runs a command on a cluster VM: the CLI's is ssh with the cluster's key, tests give a fake.
 * Status uses it for {@code scontrol ping} and {@code sinfo} on the primary controller, since
 * Slurm's ports are open only inside the cluster's network.
 */
@FunctionalInterface
public interface ControllerShell {
  /** None: status shows the VMs and the Batch pools only. */
  ControllerShell NONE = (address, command, timeout) -> new CommandRunner.Result(255, "", "no way into the VMs was given");

  CommandRunner.Result run(String address, List<String> command, Duration timeout);
}
