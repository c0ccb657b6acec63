package dev.slipway.cli.daemon;

import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.slurm.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The slurmds of {@code netns} nodes: found by PID in the node's network namespace (the command
 * line names the host after {@code -N}), asked to register again with SIGHUP. slurmd 22.05 reloads
 * its configuration on SIGHUP and sends a registration (the controller logs
 * "_slurm_rpc_node_registration complete" at debug2); running job steps are not touched.
 */
final class NetnsSlurmds implements LostRegistrations.Slurmds {
  private final LocalNetwork network;
  private final CommandRunner runner;

  NetnsSlurmds(LocalNetwork network, CommandRunner runner) {
    this.network = Objects.requireNonNull(network, "network");
    this.runner = Objects.requireNonNull(runner, "runner");
  }

  @Override
  public boolean reRegister(String host, String nodeId) {
    boolean any = false;
    for (long pid : network.pids(network.namespaceName(nodeId))) {
      List<String> args;
      try {
        args = List.of(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).split("\0"));
      } catch (IOException gone) {
        continue;
      }
      int n = args.indexOf("-N");
      if (!args.isEmpty() && Path.of(args.get(0)).getFileName().toString().equals("slurmd") && n >= 0 && n + 1 < args.size()
          && args.get(n + 1).equals(host)) {
        any |= runner.run(List.of("kill", "-HUP", Long.toString(pid)), Duration.ofSeconds(5)).ok();
      }
    }
    return any;
  }
}
