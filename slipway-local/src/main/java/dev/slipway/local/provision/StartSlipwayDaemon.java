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
 * One {@code slipway daemon} per controller, as on Azure where each controller VM runs one: each in
 * its controller's network namespace, listening on the controller's address and
 * {@code slipway.daemon_port}, all on the cluster's one SQLite store. The store's leader lease picks
 * the one that reconciles; the others stand by, serve joins, and take over when the lease expires
 * (or at once when the leader stops cleanly and releases it). Killing a controller's slurmctld and
 * its daemon therefore leaves a working control plane on the other controller.
 *
 * <p>Each daemon runs in its own session so it outlives the CLI. The launch shell first opens the
 * namespace it runs in (the one holding the cluster's bridge) as descriptor 3, then enters the
 * controller's namespace, writes its PID and execs Java, which inherits the descriptor; the daemon
 * learns it as {@code SLIPWAY_PROVIDER_NETNS=/proc/<pid>/fd/3} and the netns provider runs its
 * {@code ip} commands there (veths must be made next to the bridge). The PID in the file is the
 * JVM's own; the ledger records it as a {@code java} process after the controllers, so suspend and
 * destroy stop the daemons first, by that PID.
 */
final class StartSlipwayDaemon implements ProvisionStep {
  static final String COMM = "java";

  /** Opens the bridge's namespace as fd 3, enters the controller's, writes the PID, execs the daemon. */
  private static final String LAUNCH = """
      exec 3</proc/self/ns/net
      pid=$1 log=$2 ns=$3
      shift 3
      exec nsenter --net="/run/netns/$ns" sh -c 'echo $$ > "$1"; log=$2; shift 2
      SLIPWAY_PROVIDER_NETNS=/proc/$$/fd/3 exec "$@" </dev/null >>"$log" 2>&1' slipway-daemon "$pid" "$log" "$@"
      """;

  private final ControlPlane plane;

  StartSlipwayDaemon(ControlPlane plane) {
    this.plane = plane;
  }

  /** The daemons' base URLs, in controller order: the order hooks wake them and nodes try them. */
  static List<String> baseUrls(ProvisionContext c) {
    List<String> urls = new ArrayList<>();
    for (InfraNode n : c.controllers()) {
      urls.add("https://" + c.address(n) + ":" + c.config.slipway().daemonPort());
    }
    return urls;
  }

  static Path pidFile(ClusterPaths p, InfraNode controller) {
    return p.dir().resolve("daemon").resolve("slipway-daemon-" + controller.name() + ".pid");
  }

  @Override
  public String description(ProvisionContext c) {
    return "start slipway daemon at " + String.join(", ", baseUrls(c));
  }

  @Override
  public void run(ProvisionContext c) throws InterruptedException {
    List<String> servers = new ArrayList<>();
    for (InfraNode n : c.controllers()) {
      servers.add(c.address(n) + ":" + SlurmLayout.SLURMCTLD_PORT);
    }
    List<String> joinUrls = baseUrls(c);
    for (InfraNode controller : c.controllers()) {
      Path pidFile = pidFile(c.paths, controller);
      if (c.livePid(pidFile, COMM).isPresent()) {
        continue;
      }
      Path log = c.paths.logs().resolve("daemon-" + controller.name() + ".log");
      try {
        Files.createDirectories(pidFile.getParent());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + pidFile.getParent(), e);
      }
      c.ledger.record(Ledger.Entry.of("process", COMM, pidFile.toString()));
      List<String> command = new ArrayList<>(List.of("setsid", "-f", "sh", "-c", LAUNCH, "slipway-daemon", pidFile.toString(),
          log.toString(), c.namespace(controller)));
      command.addAll(plane.daemonCommand(controller.name(), c.address(controller), c.config.slipway().daemonPort(), servers, joinUrls));
      c.run(command);
      long pid = c.awaitPid(pidFile, COMM, Duration.ofSeconds(30));
      c.emit("provision.process", "slipway daemon on " + controller.name() + " (pid " + pid + "), log " + log,
          Map.of("node", controller.name(), "pid", Long.toString(pid)));
    }
  }
}
