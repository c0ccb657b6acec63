package dev.slipway.azure.pools;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.SshSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The cluster user on compute nodes: the login group's ssh username with the login group's public
 * key, and a fixed uid shared with the login nodes (cloud-init gives it the same), so a job
 * submitted on a login node runs as the same user on every node and files on shared volumes have
 * one owner. Public keys are not secret; they travel in the pool's environment settings.
 *
 * @param name the user name
 * @param uid the numeric user id on every node of the cluster
 * @param authorizedKeys OpenSSH public key lines (empty when the key is generated and not there yet)
 */
public record ClusterUser(String name, int uid, List<String> authorizedKeys) {
  /** The cluster user's uid on login and compute nodes: above the distributions' and Batch's first users. */
  public static final int UID = 2000;
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}");

  public ClusterUser {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("cluster user name '" + name + "' must be lower case letters, digits, '_', '.', '-', at most 32");
    }
    authorizedKeys = List.copyOf(authorizedKeys);
    for (String k : authorizedKeys) {
      if (k.isBlank() || k.contains("\n")) throw new IllegalArgumentException("an authorized key must be one non-empty line");
    }
  }

  /**
   * The login group's user and key as the ARM planner resolves it: {@code ssh_public_key_data},
   * else the {@code ssh_public_key} file, else the key {@code cluster create} generated
   * ({@code id_rsa_slipway_login.pub} in {@code generated_file_export_path} or the cluster's
   * {@code ssh} directory), when it exists.
   *
   * @throws UncheckedIOException when a configured public key file cannot be read
   */
  public static ClusterUser ofLogin(ClusterConfig config) {
    SshSpec ssh = config.slurm().login().ssh();
    Path base = config.sources().baseDir();
    if (ssh.sshPublicKeyData().isPresent()) {
      return new ClusterUser(ssh.username(), UID, List.of(ssh.sshPublicKeyData().get().strip()));
    }
    if (ssh.sshPublicKey().isPresent()) {
      return new ClusterUser(ssh.username(), UID, List.of(read(base.resolve(ssh.sshPublicKey().get()))));
    }
    // ClusterHome's directory, as CloudInit.slipwayHome and ArmSettings.defaults(ClusterHome.dir()) have it.
    Path dir = ssh.generatedFileExportPath().map(base::resolve).orElse(Path.of(config.slipway().local().stateDir()
        .orElse("/var/lib/slipway/" + config.slurm().clusterId())).resolve("ssh"));
    Path generated = dir.resolve("id_rsa_slipway_login.pub");
    return new ClusterUser(ssh.username(), UID, Files.isRegularFile(generated) ? List.of(read(generated)) : List.of());
  }

  private static String read(Path publicKey) {
    try {
      return Files.readString(publicKey, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the login group's public key " + publicKey, e);
    }
  }
}
