package dev.slipway.local.services;

import dev.slipway.slurm.CommandRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The processes of this machine as the local services see them: run a command to completion,
 * start a daemon that outlives Slipway, and find or signal a process by PID. A seam so that the
 * command lines and the stop sequence can be tested without starting anything.
 */
public interface HostProcesses extends CommandRunner {
  /**
   * Starts {@code command} detached from Slipway (own session, no standard input, both outputs
   * appended to {@code output}) and returns its PID; it keeps running when Slipway exits.
   */
  long spawn(List<String> command, Path output);

  /** The executable of a live process, empty when no process has that PID. */
  Optional<String> executable(long pid);

  /** Asks the process to stop (SIGTERM). */
  void terminate(long pid);

  /** Stops the process at once (SIGKILL). */
  void kill(long pid);

  /** Runs with the default timeout of the local services. */
  default Result run(List<String> command) {
    return run(command, Duration.ofSeconds(60));
  }
}
