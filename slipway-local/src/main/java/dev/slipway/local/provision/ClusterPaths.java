package dev.slipway.local.provision;

import java.nio.file.Path;

/**
 * Where a local cluster keeps everything under its directory (ClusterHome's {@code dir}). The
 * names the CLI's ClusterHome and SlurmLayout.forLocal use ({@code etc}, {@code secrets},
 * {@code logs}, {@code libexec}, {@code log}, {@code run}, {@code state}) are the same here.
 */
public record ClusterPaths(Path dir) {
  public ClusterPaths {
    dir = dir.toAbsolutePath().normalize();
  }

  public Path etc() {
    return dir.resolve("etc");
  }

  public Path slurmConf() {
    return etc().resolve("slurm.conf");
  }

  public Path secrets() {
    return dir.resolve("secrets");
  }

  public Path mungeKey() {
    return secrets().resolve("munge.key");
  }

  /** munged's socket and pid file; must be 0755 all the way up (munged checks). */
  public Path mungeDir() {
    return dir.resolve("munge");
  }

  public Path mungeSocket() {
    return mungeDir().resolve("munge.socket");
  }

  public Path mungePidFile() {
    return mungeDir().resolve("munged.pid");
  }

  /** Slipway's own logs (daemon, hooks, provisioning). */
  public Path logs() {
    return dir.resolve("log");
  }

  public Path libexec() {
    return dir.resolve("libexec");
  }

  /** SlurmLayout.forLocal's log directory (slurmd logs; a controller sees its private one here). */
  public Path slurmLog() {
    return dir.resolve("log");
  }

  /** SlurmLayout.forLocal's pid directory (a controller sees its private one here). */
  public Path slurmRun() {
    return dir.resolve("run");
  }

  public Path stateSaveLocation() {
    return dir.resolve("state").resolve("slurmctld");
  }

  public Path addressBook() {
    return dir.resolve("network").resolve("addresses");
  }

  /** The netns provider's per-node directories. */
  public Path computeNodes() {
    return dir.resolve("nodes");
  }

  public Path provision() {
    return dir.resolve("provision");
  }

  public Path ledger() {
    return provision().resolve("ledger");
  }

  public Path phase() {
    return provision().resolve("phase");
  }

  /** A controller's or login node's private directory. */
  public Path infra(String name) {
    return dir.resolve("infra").resolve(name);
  }

  public Path infraRun(String name) {
    return infra(name).resolve("run");
  }

  public Path infraLog(String name) {
    return infra(name).resolve("log");
  }

  /** The cluster user's key pair (generated when the configuration names none) and known_hosts. */
  public Path ssh() {
    return secrets().resolve("ssh");
  }

  public Path userPrivateKey() {
    return ssh().resolve("id_ed25519");
  }

  public Path knownHosts() {
    return dir.resolve("ssh").resolve("known_hosts");
  }

  public Path authorizedKeys() {
    return dir.resolve("ssh").resolve("authorized_keys");
  }

  /** What every compute node's sshd reads: its configuration and PAM service (pam_slurm_adopt). */
  public Path computeSsh() {
    return dir.resolve("ssh").resolve("compute");
  }

  /** The host key every compute node's sshd presents (one per cluster; known_hosts pins it for the compute addresses). */
  public Path computeHostKey() {
    return ssh().resolve("compute_host_ed25519_key");
  }

  public Path home() {
    return dir.resolve("home");
  }

  /** The directory behind shared volume {@code id}, bind-mounted at its mount_path in every node. */
  public Path shared(String id) {
    return dir.resolve("shared").resolve(id);
  }
}
