package dev.slipway.local.provision;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.SharedVolume;
import dev.slipway.local.netns.Subnet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a compute node gets besides slurmd (docs/local-backend.md, "Compute nodes: sshd and shared
 * volumes"): the cluster's shared volumes bind-mounted at their mount_path, and its own sshd whose
 * PAM account phase is pam_slurm_adopt, so the cluster user gets in only while a job of theirs runs
 * on the node, and the session joins that job.
 *
 * <p>The provisioner writes the files once per cluster ({@link #prepare}); the netns provider passes
 * {@link #nodeEnvironment} to each node's start task, and slipway-node-slurmd (NodeSlurmd) does the
 * mounts and starts sshd inside the node's private mount namespace. Nothing on the host changes:
 * the PAM service is bind-mounted over /etc/pam.d/sshd only in the node's mount namespace.
 */
public final class ComputeNodeAccess {
  /** Where Debian's libpam-slurm-adopt (and other layouts) put the module; libpam's default directory is not among them on Debian. */
  static final List<String> PAM_MODULE_DIRS = List.of("/lib/security", "/usr/lib/security", "/lib", "/usr/lib");
  static final String PAM_MODULE = "pam_slurm_adopt.so";

  private ComputeNodeAccess() {}

  /**
   * The start task environment: {@code SLIPWAY_NODE_MOUNTS} (one {@code SOURCE<TAB>TARGET} line per
   * shared volume) always, the sshd variables only once {@link #prepare} wrote the files (a cluster
   * without them, or a machine without pam_slurm_adopt, gets nodes without sshd).
   */
  public static Map<String, String> nodeEnvironment(ClusterConfig config, Path clusterDir) {
    ClusterPaths p = new ClusterPaths(clusterDir);
    Map<String, String> env = new LinkedHashMap<>();
    List<String> mounts = new ArrayList<>();
    for (SharedVolume v : config.slurm().sharedDataVolumes()) {
      mounts.add(mountLine(p.shared(v.id()), Path.of(v.mountPath())));
    }
    if (!mounts.isEmpty()) {
      env.put("SLIPWAY_NODE_MOUNTS", String.join("\n", mounts));
    }
    if (Files.isRegularFile(sshdConfig(p)) && Files.isRegularFile(pamService(p))) {
      env.put("SLIPWAY_NODE_SSHD_CONFIG", sshdConfig(p).toString());
      env.put("SLIPWAY_NODE_SSHD_PAM", pamService(p).toString());
      env.put("SLIPWAY_NODE_SLURM_CONF", p.slurmConf().toString());
    }
    return env;
  }

  static String mountLine(Path source, Path target) {
    for (Path path : List.of(source, target)) {
      String s = path.toString();
      if (s.indexOf('\t') >= 0 || s.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("a shared volume path must not contain a tab or a line break: " + s.replace("\n", "\\n"));
      }
    }
    return source + "\t" + target;
  }

  static Path sshdConfig(ClusterPaths p) {
    return p.computeSsh().resolve("sshd_config");
  }

  static Path pamService(ClusterPaths p) {
    return p.computeSsh().resolve("pam-sshd");
  }

  /** The installed pam_slurm_adopt.so, by absolute path (libpam looks for a bare name in its own directory only). */
  static Optional<Path> pamModule(List<String> dirs) {
    for (String d : dirs) {
      Path direct = Path.of(d, PAM_MODULE);
      if (Files.isRegularFile(direct)) {
        return Optional.of(direct);
      }
      Path dir = Path.of(d);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      // Multiarch: /lib/x86_64-linux-gnu/security/pam_slurm_adopt.so
      try (DirectoryStream<Path> arch = Files.newDirectoryStream(dir, "*-linux-*")) {
        for (Path a : arch) {
          Path m = a.resolve("security").resolve(PAM_MODULE);
          if (Files.isRegularFile(m)) {
            return Optional.of(m);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot look for " + PAM_MODULE + " in " + dir, e);
      }
    }
    return Optional.empty();
  }

  /**
   * The PAM service of the nodes' sshd. Keys are the only way in (sshd does not ask PAM to
   * authenticate); the account phase asks pam_slurm_adopt, which refuses a user without a job on
   * the node and moves the session into the job's extern step (PrologFlags=Contain), so the job's
   * end ends the session too. pam_unix checks the account itself and opens the session.
   */
  static String pamText(Path module) {
    return String.join("\n",
        "# Written by slipway: sshd of the cluster's compute nodes, bind-mounted over /etc/pam.d/sshd",
        "# in each node's own mount namespace only.",
        "auth     required pam_deny.so",
        "account  required pam_unix.so",
        "account  required " + module + " action_no_jobs=deny action_unknown=newest action_adopt_failure=deny",
        "session  required pam_unix.so",
        "password required pam_deny.so",
        "");
  }

  /** sshd_config of every compute node: all of the node's addresses (its namespace has only them), keys only, PAM for accounts. */
  static String sshdText(ClusterPaths p, String user) {
    return String.join("\n",
        "# Written by slipway: sshd of the cluster's compute nodes; pam_slurm_adopt decides who gets in.",
        "Port 22",
        "HostKey " + p.computeHostKey(),
        "AuthorizedKeysFile " + p.authorizedKeys() + "/%u",
        "AllowUsers " + user,
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "UsePAM yes",
        // The cluster directory may live under a world-writable parent such as /tmp in tests.
        "StrictModes no",
        "X11Forwarding no",
        "SetEnv SLURM_CONF=" + p.slurmConf(),
        "Subsystem sftp internal-sftp",
        "");
  }

  /**
   * The known_hosts pattern for the compute addresses of {@code subnet}: its network address with the host
   * part as {@code *}, on whole octets (login nodes inside the same pattern keep their own keys,
   * which ssh accepts as well).
   */
  static String knownHostsPattern(Subnet subnet) {
    String[] octets = subnet.address(1).split("\\.");
    int keep = subnet.prefixLength() / 8;
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      b.append(i > 0 ? "." : "").append(i < keep ? octets[i] : "*");
      if (i >= keep) {
        break;
      }
    }
    return b.toString();
  }

  /**
   * Writes the compute nodes' sshd files: one host key, sshd_config, the PAM service, and a
   * known_hosts line pinning the key for the compute addresses. Without pam_slurm_adopt on this
   * machine it writes nothing and says so: nodes then run without sshd rather than with one that
   * would let the user in without a job.
   */
  static void prepare(ProvisionContext c) {
    ClusterPaths p = c.paths;
    Optional<Path> module = pamModule(PAM_MODULE_DIRS);
    if (module.isEmpty()) {
      c.emit("provision.warning", PAM_MODULE + " is not installed (Debian: libpam-slurm-adopt); compute nodes get no sshd", Map.of());
      return;
    }
    try {
      Files.createDirectories(p.computeSsh());
      if (!Files.exists(p.computeHostKey())) {
        c.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", c.clusterId() + "-compute", "-f", p.computeHostKey().toString()));
      }
      Files.writeString(sshdConfig(p), sshdText(p, PrepareLogin.user(c)), StandardCharsets.UTF_8);
      Files.writeString(pamService(p), pamText(module.get()), StandardCharsets.UTF_8);
      String[] pub = Files.readString(Path.of(p.computeHostKey() + ".pub"), StandardCharsets.UTF_8).strip().split("\\s+");
      Files.createDirectories(p.knownHosts().getParent());
      String line = knownHostsPattern(c.network.subnet()) + " " + pub[0] + " " + pub[1] + "\n";
      if (!Files.exists(p.knownHosts()) || !Files.readString(p.knownHosts(), StandardCharsets.UTF_8).contains(line)) {
        Files.writeString(p.knownHosts(), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the compute nodes' sshd files in " + p.computeSsh(), e);
    }
  }
}
