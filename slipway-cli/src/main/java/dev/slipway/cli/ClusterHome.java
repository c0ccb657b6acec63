package dev.slipway.cli;

import dev.slipway.config.ClusterConfig;
import java.nio.file.Path;

/**
 * The directory where a cluster keeps its state on a controller (or, on the local backend, on
 * this machine): {@code slipway.local.state_dir}, else {@code /var/lib/slipway/<cluster_id>}.
 * Every command, hook and the daemon derive their paths from here, so they agree.
 */
public record ClusterHome(Path dir) {
  public static final Path DEFAULT_ROOT = Path.of("/var/lib/slipway");

  public static ClusterHome of(ClusterConfig config) {
    Path dir = config.slipway().local().stateDir().map(Path::of)
        .orElse(DEFAULT_ROOT.resolve(config.slurm().clusterId()));
    return new ClusterHome(dir.toAbsolutePath().normalize());
  }

  /** The embedded SQLite state store. */
  public Path stateDb() {
    return dir.resolve("state").resolve("slipway.db");
  }

  /**
   * Power-save calls the sh wrappers spooled and the daemon has not yet imported
   * ({@code dev.slipway.hooks.SpoolImporter}); malformed ones in {@code spool/rejected}.
   */
  public Path spool() {
    return dir.resolve("spool");
  }

  /** Wrapper scripts Slurm runs (power-save programs, PrologSlurmctld). */
  public Path libexec() {
    return dir.resolve("libexec");
  }

  /** Daemon, power-save, slurmctld and per-host slurmd logs (the same directory SlurmLayout.forLocal names). */
  public Path logs() {
    return dir.resolve("log");
  }

  /** Munge key and join tokens: mode 0700, files 0400. */
  public Path secrets() {
    return dir.resolve("secrets");
  }

  /** Rendered Slurm configuration (slurm.conf, cgroup.conf, gres.conf). */
  public Path etc() {
    return dir.resolve("etc");
  }
}
