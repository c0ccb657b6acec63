package dev.slipway.local.provision;

import dev.slipway.slurm.SlurmLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code slipway daemon} in the root namespace, in its own session so it outlives the CLI, on the
 * bridge address (reachable from controllers, where the hooks run, and from compute nodes, which
 * join there) and {@code slipway.daemon_port}. Its PID file is written by the shell that then
 * {@code exec}s Java, so the PID is the daemon's own; it is recorded in the ledger as a
 * {@code java} process, so suspend and destroy stop it first (before slurmctld) by that PID.
 */
final class StartSlipwayDaemon implements ProvisionStep {
  static final String COMM = "java";

  private final ControlPlane plane;

  StartSlipwayDaemon(ControlPlane plane) {
    this.plane = plane;
  }

  static String baseUrl(ProvisionContext c) {
    return "http://" + c.network.bridgeAddress() + ":" + c.config.slipway().daemonPort();
  }

  static Path pidFile(ClusterPaths p) {
    return p.dir().resolve("daemon").resolve("slipway-daemon.pid");
  }

  @Override
  public String description(ProvisionContext c) {
    return "start slipway daemon at " + baseUrl(c);
  }

  @Override
  public void run(ProvisionContext c) throws InterruptedException {
    Path pidFile = pidFile(c.paths);
    if (c.livePid(pidFile, COMM).isPresent()) {
      return;
    }
    List<String> servers = new ArrayList<>();
    for (InfraNode n : c.controllers()) {
      servers.add(c.address(n) + ":" + SlurmLayout.SLURMCTLD_PORT);
    }
    Path log = c.paths.logs().resolve("daemon.log");
    try {
      Files.createDirectories(pidFile.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + pidFile.getParent(), e);
    }
    c.ledger.record(Ledger.Entry.of("process", COMM, pidFile.toString()));
    List<String> command = new ArrayList<>(List.of("setsid", "-f", "sh", "-c",
        "echo $$ > \"$1\"; log=$2; shift 2; exec \"$@\" </dev/null >>\"$log\" 2>&1", "slipway-daemon",
        pidFile.toString(), log.toString()));
    command.addAll(plane.daemonCommand(c.network.bridgeAddress(), c.config.slipway().daemonPort(), servers));
    c.run(command);
    long pid = c.awaitPid(pidFile, COMM, Duration.ofSeconds(30));
    c.emit("provision.process", "slipway daemon (pid " + pid + "), log " + log, Map.of("pid", Long.toString(pid)));
  }
}
