package dev.slipway.local.provision;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * slurmctld on every controller, primary first, each in its own namespaces (see {@link InfraLaunch});
 * all share StateSaveLocation, so a started cluster recovers its jobs.
 */
final class StartControllers implements ProvisionStep {
  @Override
  public String description(ProvisionContext c) {
    return "start slurmctld on " + c.controllers().stream().map(InfraNode::name).toList();
  }

  @Override
  public void run(ProvisionContext c) throws InterruptedException {
    for (InfraNode node : c.controllers()) {
      var pidFile = c.paths.infraRun(node.name()).resolve("slurmctld.pid");
      if (c.livePid(pidFile, "slurmctld").isPresent()) {
        continue;
      }
      c.ledger.record(Ledger.Entry.of("process", "slurmctld", pidFile.toString()));
      c.run(InfraLaunch.command(c, node, List.of("slurmctld", "-f", c.paths.slurmConf().toString())));
      long pid = c.awaitPid(pidFile, "slurmctld", Duration.ofSeconds(30));
      c.emit("provision.process", "slurmctld on " + node.name() + " (pid " + pid + ")", Map.of("node", node.name(), "pid", Long.toString(pid)));
    }
  }
}
