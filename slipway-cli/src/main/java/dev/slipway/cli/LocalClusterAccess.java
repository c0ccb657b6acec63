package dev.slipway.cli;

import dev.slipway.config.ClusterConfig;
import dev.slipway.local.provision.LocalProvisioner;
import dev.slipway.spi.ClusterStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The local backend's machines: login nodes and compute hosts through their own sshd with the
 * cluster user's key, controllers by entering their namespaces (they run no sshd), logs as files
 * on this machine.
 */
final class LocalClusterAccess implements ClusterAccess {
  private final ClusterConfig config;
  private final LocalProvisioner provisioner;

  LocalClusterAccess(ClusterConfig config, LocalProvisioner provisioner) {
    this.config = config;
    this.provisioner = provisioner;
  }

  @Override
  public List<String> shell(Target target, List<String> command) throws InterruptedException {
    List<String> argv = new ArrayList<>();
    switch (target.role()) {
      case login -> {
        ClusterStatus.Machine m = pick(provisioner.status().logins(), target.offset(), "login node");
        argv.addAll(ssh(m.address()));
        argv.addAll(command);
      }
      case controller -> {
        ClusterStatus.Machine m = pick(provisioner.status().controllers(), target.offset(), "controller");
        long pid = m.pid().orElseThrow(() -> new UnreachableException(m.name() + " is not running", null));
        argv.addAll(List.of("nsenter", "-t", Long.toString(pid), "-n", "-u", "-m", "--", "env",
            "SLURM_CONF=" + provisioner.paths().slurmConf()));
        argv.addAll(command.isEmpty() ? List.of("/bin/bash", "-l") : command);
      }
      case node -> {
        String h = target.host().orElseThrow(() -> new UsageException("'cluster ssh node' needs --host HOST"));
        // The node's own sshd: pam_slurm_adopt lets the cluster user in only while a job of theirs runs there.
        String address = provisioner.addressOfHost(h).orElseThrow(() -> new UnreachableException("no running compute host " + h, null));
        argv.addAll(ssh(address));
        argv.addAll(command);
      }
    }
    return argv;
  }

  private List<String> ssh(String address) {
    return List.of("ssh", "-i", provisioner.userPrivateKey().toString(), "-o", "IdentitiesOnly=yes",
        "-o", "UserKnownHostsFile=" + provisioner.paths().knownHosts(), "-o", "StrictHostKeyChecking=yes",
        config.slurm().login().ssh().username() + "@" + address);
  }

  @Override
  public LogPlan logs(Optional<String> host, boolean follow) {
    List<Path> files = provisioner.logFiles(host);
    if (files.isEmpty()) {
      throw new UsageException("no logs" + host.map(h -> " for host " + h).orElse("") + " yet");
    }
    List<String> argv = new ArrayList<>(List.of("tail", "-n", "200"));
    if (follow) {
      argv.add("-F");
    }
    files.forEach(f -> argv.add(f.toString()));
    return new LogPlan(List.of(new LogCommand(host.orElse("controllers"), argv)), List.of());
  }

  static ClusterStatus.Machine pick(List<ClusterStatus.Machine> machines, int offset, String what) {
    if (offset < 0 || offset >= machines.size()) {
      throw new UsageException("no " + what + " at offset " + offset + " (the cluster has " + machines.size() + ")");
    }
    return machines.get(offset);
  }
}
