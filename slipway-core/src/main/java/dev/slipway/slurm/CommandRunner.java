package dev.slipway.slurm;

import java.time.Duration;
import java.util.List;

/**
 * Runs an external command (scontrol, sinfo...). A seam so that Slurm control can be tested on
 * captured output and so that the local backend can run commands inside a namespace.
 */
@FunctionalInterface
public interface CommandRunner {
  Result run(List<String> command, Duration timeout);

  /** Exit code, standard output and standard error of one command. */
  record Result(int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }
  }
}
