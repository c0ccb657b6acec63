package dev.slipway.local.provision;

import dev.slipway.config.SshSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * What the login nodes' sshd needs: the cluster user (created without a home on the host's disk
 * when missing, and recorded so destroy deletes exactly that user), the user's key (the
 * configuration's, else a generated ed25519 pair under secrets), authorized_keys kept in the
 * cluster directory (the user's own ~/.ssh is not touched), one host key per login node and a
 * known_hosts file for {@code slipway cluster ssh}.
 */
final class PrepareLogin implements ProvisionStep {
  @Override
  public String description(ProvisionContext c) {
    return "prepare sshd for user " + user(c) + " on " + c.logins().size() + " login node(s)";
  }

  static String user(ProvisionContext c) {
    return c.config.slurm().login().ssh().username();
  }

  @Override
  public void run(ProvisionContext c) {
    if (c.logins().isEmpty()) {
      return;
    }
    ClusterPaths p = c.paths;
    String user = user(c);
    if (!c.tryRun(List.of("id", "-u", user)).ok()) {
      Path home = p.home().resolve(user);
      c.ledger.record(Ledger.Entry.of("user", user));
      // Password '*' rather than useradd's '!': both refuse every password, but sshd without PAM
      // takes '!' for a locked account and refuses the user's key too.
      c.run(List.of("useradd", "--no-create-home", "--home-dir", home.toString(), "--shell", "/bin/bash", "--user-group",
          "--password", "*", user));
      try {
        Files.createDirectories(home);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      c.run(List.of("chown", user + ":", home.toString()));
    }
    String publicKey = userPublicKey(c);
    Path authorized = p.authorizedKeys().resolve(user);
    List<String> knownHosts = new ArrayList<>();
    try {
      Files.writeString(authorized, publicKey.strip() + "\n", StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(authorized, PosixFilePermissions.fromString("rw-r--r--"));
      for (InfraNode node : c.logins()) {
        Path sshDir = p.infra(node.name()).resolve("ssh");
        Files.createDirectories(sshDir);
        Files.setPosixFilePermissions(sshDir, PosixFilePermissions.fromString("rwx------"));
        Path hostKey = sshDir.resolve("ssh_host_ed25519_key");
        if (!Files.exists(hostKey)) {
          c.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", node.name(), "-f", hostKey.toString()));
        }
        Files.writeString(sshDir.resolve("sshd_config"), sshdConfig(c, node, hostKey), StandardCharsets.UTF_8);
        String[] pub = Files.readString(Path.of(hostKey + ".pub"), StandardCharsets.UTF_8).strip().split("\\s+");
        knownHosts.add(c.address(node) + " " + pub[0] + " " + pub[1]);
      }
      Files.createDirectories(p.knownHosts().getParent());
      Files.writeString(p.knownHosts(), String.join("\n", knownHosts) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the login nodes' ssh files", e);
    }
  }

  private static String userPublicKey(ProvisionContext c) {
    SshSpec ssh = c.config.slurm().login().ssh();
    if (ssh.sshPublicKeyData().isPresent()) {
      return ssh.sshPublicKeyData().get();
    }
    try {
      if (ssh.sshPublicKey().isPresent()) {
        return Files.readString(ssh.sshPublicKey().get(), StandardCharsets.UTF_8);
      }
      Path key = c.paths.userPrivateKey();
      if (!Files.exists(key)) {
        c.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "slipway-" + c.clusterId(), "-f", key.toString()));
      }
      return Files.readString(Path.of(key + ".pub"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the cluster user's public key", e);
    }
  }

  /** The private key {@code slipway cluster ssh} uses: the configured one, else the generated one. */
  static Path userPrivateKey(ProvisionContext c) {
    return c.config.slurm().login().ssh().sshPrivateKey().orElse(c.paths.userPrivateKey());
  }

  static String sshdConfig(ProvisionContext c, InfraNode node, Path hostKey) {
    ClusterPaths p = c.paths;
    return String.join("\n",
        "# Written by slipway for " + node.name() + "; listens only on the node's address.",
        "ListenAddress " + c.address(node),
        "Port 22",
        "HostKey " + hostKey,
        "PidFile " + p.infraRun(node.name()).resolve("sshd.pid"),
        "AuthorizedKeysFile " + p.authorizedKeys() + "/%u",
        "AllowUsers " + user(c),
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "UsePAM no",
        // The cluster directory may live under a world-writable parent such as /tmp in tests.
        "StrictModes no",
        "X11Forwarding no",
        "SetEnv SLURM_CONF=" + p.slurmConf(),
        "Subsystem sftp internal-sftp",
        "");
  }
}
