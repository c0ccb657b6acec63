package dev.slipway.cli;

import dev.slipway.config.Backend;
import dev.slipway.config.ClusterConfig;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@code slipway cluster ssh} and {@code slipway cluster logs} reach a backend's machines: the
 * one seam between those commands and the backends. Each answer is a command line for this
 * machine to run (ssh, nsenter, tail), so the choices (keys, jump host, known_hosts, which files)
 * are visible and tested without a cluster; the commands run them with the terminal attached.
 */
interface ClusterAccess {
  /** What {@code cluster ssh} connects to (lower case: picocli takes the names as typed). */
  enum Role {
    login,
    controller,
    node
  }

  /**
   * One machine of the cluster.
   *
   * @param offset which login node or controller (0-based), for those roles
   * @param host the compute host's Slurm name, for {@code node}
   */
  record Target(Role role, int offset, Optional<String> host) {
    public Target {
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(host, "host");
    }
  }

  /** A command that prints logs; {@code label} says whose, shown when several run. */
  record LogCommand(String label, List<String> argv) {
    public LogCommand {
      argv = List.copyOf(argv);
    }
  }

  /**
   * What {@code cluster logs} runs, and lines for the user about what it could not include
   * (a backup controller without an address, say).
   */
  record LogPlan(List<LogCommand> commands, List<String> notes) {
    public LogPlan {
      commands = List.copyOf(commands);
      notes = List.copyOf(notes);
    }
  }

  /** The command line of an interactive shell on {@code target}, or of {@code command} run there. */
  List<String> shell(Target target, List<String> command) throws InterruptedException;

  /** The logs of {@code host} (a controller, login node or compute host), or of the controllers when empty. */
  LogPlan logs(Optional<String> host, boolean follow) throws InterruptedException;

  /** Opens the access of a configuration's backend; tests give their own. */
  @FunctionalInterface
  interface Opener {
    ClusterAccess open(ClusterConfig config);
  }

  /** Starts a command line of this interface; the CLI's hands it the terminal, tests capture its output. */
  @FunctionalInterface
  interface Launcher {
    Launcher TERMINAL = argv -> new ProcessBuilder(argv).inheritIO().start();

    Process start(List<String> argv) throws java.io.IOException;
  }

  /** The backends that have machines to reach: local (namespaces on this machine) and azure (VMs). */
  Opener BY_BACKEND = config -> {
    Backend backend = config.slipway().backend();
    if (backend == Backend.AZURE) {
      return AzureClusters.access(config);
    }
    if (backend == Backend.LOCAL) {
      return new LocalClusterAccess(config, ClusterCommand.provisioner(config));
    }
    throw new UsageException("slipway cluster ssh and logs need the local or azure backend (slipway.backend is "
        + backend.name().toLowerCase(Locale.ROOT) + ")");
  };
}
