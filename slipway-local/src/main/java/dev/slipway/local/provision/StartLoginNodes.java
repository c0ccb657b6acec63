package dev.slipway.local.provision;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real sshd (Debian's openssh-server) on every login node, in the node's namespaces with its
 * own host key; sessions inherit the node's host name, network and mounts. sshd needs its
 * privilege separation directory /run/sshd, which is created (and recorded) when missing.
 */
final class StartLoginNodes implements ProvisionStep {
  static final Path PRIVSEP = Path.of("/run/sshd");

  @Override
  public String description(ProvisionContext c) {
    return "start sshd on " + c.logins().stream().map(InfraNode::name).toList();
  }

  @Override
  public void run(ProvisionContext c) throws InterruptedException {
    if (!c.logins().isEmpty() && !Files.isDirectory(PRIVSEP)) {
      c.ledger.record(Ledger.Entry.of("mountpoint", PRIVSEP.toString()));
      c.run(List.of("install", "-d", "-m", "0755", PRIVSEP.toString()));
    }
    for (InfraNode node : c.logins()) {
      Path pidFile = c.paths.infraRun(node.name()).resolve("sshd.pid");
      if (c.livePid(pidFile, "sshd").isPresent()) {
        continue;
      }
      c.ledger.record(Ledger.Entry.of("process", "sshd", pidFile.toString()));
      Path config = c.paths.infra(node.name()).resolve("ssh").resolve("sshd_config");
      c.run(InfraLaunch.command(c, node, List.of("/usr/sbin/sshd", "-f", config.toString(),
          "-E", c.paths.infraLog(node.name()).resolve("sshd.log").toString())));
      long pid = c.awaitPid(pidFile, "sshd", Duration.ofSeconds(20));
      c.emit("provision.process", "sshd on " + node.name() + " at " + c.address(node) + " (pid " + pid + ")",
          Map.of("node", node.name(), "pid", Long.toString(pid)));
    }
  }
}
