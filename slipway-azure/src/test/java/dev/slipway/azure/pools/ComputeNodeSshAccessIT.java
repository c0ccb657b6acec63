package dev.slipway.azure.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Runs the compute node's {@value NodeStartTask#ACCESS_FILE_NAME} for real on this machine (as
 * root, with a random user, uid and adopt group, and a copy of /etc/pam.d/sshd), then starts a
 * real sshd with that PAM file in a private network and mount namespace (the host's file is never
 * touched) and checks the result the way a user meets it: the cluster user exists with its uid
 * and key, sshd refuses it in the PAM account phase because no job of theirs runs here
 * (pam_slurm_adopt; ComputeNodeAccessIT shows the same module admitting a user with a job on the
 * local backend), and a user outside the adopt group, standing in for Batch's admin and
 * remote-login users, gets in with the same sshd. Everything it made is removed afterwards.
 * Needs root, openssh-server, openssh-client, util-linux and libpam-slurm-adopt; skips otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ComputeNodeSshAccessIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong(0x100000, 0xffffff));
  private final String user = "swu" + suffix;
  private final String admin = "swb" + suffix;
  private final String group = "swg" + suffix;
  private final int uid = 61000 + ThreadLocalRandom.current().nextInt(3000);
  private final int port = 20000 + ThreadLocalRandom.current().nextInt(10000);
  private final List<String> createdUsers = new ArrayList<>();
  private boolean groupCreated;
  private Path tmp;
  private Process sshd;
  private String accessOutput;

  private record Result(int exit, String out) {}

  private static Result run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, "timed out: " + command);
    }
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  private static Result run(String... command) throws IOException, InterruptedException {
    return run(List.of(command), Map.of());
  }

  @BeforeAll
  void runTheAccessScriptAndStartSshd() throws Exception {
    assumeThat(System.getProperty("user.name")).as("creates users and namespaces: needs root").isEqualTo("root");
    for (String tool : List.of("/usr/sbin/sshd", "ssh", "ssh-keygen", "useradd", "userdel", "groupdel", "unshare", "nsenter", "ss")) {
      assumeThat(run("sh", "-c", "command -v " + tool).exit()).as("needs " + tool + " (Debian: openssh-server openssh-client util-linux iproute2)").isZero();
    }
    assumeThat(run("sh", "-c", "ls /lib/security/pam_slurm_adopt.so /lib/*/security/pam_slurm_adopt.so 2>/dev/null | grep -q .").exit())
        .as("needs pam_slurm_adopt.so (Debian: libpam-slurm-adopt)").isZero();
    assumeThat(run("getent", "passwd", Integer.toString(uid)).exit()).as("uid " + uid + " is free").isNotZero();

    tmp = Files.createTempDirectory("slipway-nodeaccess");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (String key : List.of("user", "admin", "host")) {
      assertThat(run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key + "@" + suffix, "-f", tmp.resolve(key).toString()).exit()).isZero();
    }
    // A copy of /etc/pam.d, bind-mounted over it for sshd only: the script replaces the file, so
    // a bind mount of the file alone would keep showing sshd the old one.
    Path pamd = Files.createDirectories(tmp.resolve("pam.d"));
    assertThat(run("cp", "-a", "/etc/pam.d/.", pamd.toString()).exit()).isZero();
    Path pam = pamd.resolve("sshd");
    Path script = tmp.resolve(NodeStartTask.ACCESS_FILE_NAME);
    Files.writeString(script, NodeStartTask.accessScript());

    createdUsers.add(user);
    groupCreated = true;
    accessOutput = access("");

    // Batch's own remote-login user: made by Batch, not in the adopt group.
    createdUsers.add(admin);
    assertThat(run("useradd", "-m", "-s", "/bin/sh", admin).exit()).isZero();
    String adminHome = run("sh", "-c", "getent passwd " + admin + " | cut -d: -f6").out().strip();
    assertThat(run("sh", "-c", "install -d -m 0700 -o " + admin + " " + adminHome + "/.ssh && install -m 0600 -o " + admin + " "
        + tmp.resolve("admin.pub") + " " + adminHome + "/.ssh/authorized_keys").exit()).isZero();

    // pam_slurm_adopt reads slurm.conf for SlurmdSpoolDir, where the steps of local jobs would be.
    Files.createDirectories(tmp.resolve("spool"));
    Files.writeString(tmp.resolve("slurm.conf"), "ClusterName=sw" + suffix + "\nSlurmctldHost=localhost\nSlurmdSpoolDir=" + tmp.resolve("spool") + "\n");
    // A private /run gives sshd its privilege separation directory without making one on the host.
    String start = "ip link set lo up && mount --bind " + pamd + " /etc/pam.d && mount -t tmpfs tmpfs /run && mkdir -m 0755 /run/sshd && exec /usr/sbin/sshd -D -e -p " + port
        + " -h " + tmp.resolve("host") + " -o ListenAddress=127.0.0.1 -o UsePAM=yes -o PidFile=" + tmp.resolve("sshd.pid")
        + " -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no";
    ProcessBuilder pb = new ProcessBuilder("unshare", "--net", "--mount", "--propagation", "private", "sh", "-c", start)
        .redirectErrorStream(true).redirectOutput(tmp.resolve("sshd.log").toFile());
    pb.environment().put("SLURM_CONF", tmp.resolve("slurm.conf").toString());
    sshd = pb.start();
    Instant deadline = Instant.now().plus(TIMEOUT);
    while (!run("nsenter", "--net=/proc/" + sshd.pid() + "/ns/net", "ss", "-ltn").out().contains("127.0.0.1:" + port)) {
      assertThat(sshd.isAlive()).as("sshd exited: " + Files.readString(tmp.resolve("sshd.log"))).isTrue();
      assertThat(Instant.now()).as("sshd listening on " + port).isBefore(deadline);
      sshd.waitFor(100, TimeUnit.MILLISECONDS);
    }
  }

  /** Runs the access script as the start task does: without the Slurm name before joining, with it after. */
  private String access(String host) throws Exception {
    Result access = run(List.of("/bin/sh", tmp.resolve(NodeStartTask.ACCESS_FILE_NAME).toString()), Map.of(
        "SLIPWAY_CLUSTER_USER", user, "SLIPWAY_CLUSTER_USER_UID", Integer.toString(uid),
        "SLIPWAY_CLUSTER_USER_KEYS", Base64.getEncoder().encodeToString(Files.readAllBytes(tmp.resolve("user.pub"))),
        "SLIPWAY_ADOPT_GROUP", group, "SLIPWAY_PAM_SSHD", tmp.resolve("pam.d").resolve("sshd").toString(), "SLIPWAY_HOST", host));
    assertThat(access.exit()).as(access.out()).isZero();
    return access.out();
  }

  private Result ssh(String login, String key) throws Exception {
    return run("nsenter", "--net=/proc/" + sshd.pid() + "/ns/net", "ssh", "-i", tmp.resolve(key).toString(), "-p", Integer.toString(port),
        "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10",
        login + "@127.0.0.1", "id -un");
  }

  @Test
  void clusterUser_existsWithTheUidTheLoginNodesUse_inTheAdoptGroup_withExactlyItsKey() throws Exception {
    assertThat(run("id", "-u", user).out().strip()).isEqualTo(Integer.toString(uid));
    assertThat(run("id", "-Gn", user).out().strip().split(" ")).contains(group);
    Path keys = Path.of(run("sh", "-c", "getent passwd " + user + " | cut -d: -f6").out().strip(), ".ssh", "authorized_keys");
    assertThat(Files.readString(keys)).isEqualTo(Files.readString(tmp.resolve("user.pub")));
    assertThat(Files.getPosixFilePermissions(keys)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getOwner(keys).getName()).isEqualTo(user);
    assertThat(accessOutput).contains("has 1 key(s)");
  }

  @Test
  void clusterUser_isRefused_beforeTheNodeKnowsItsSlurmName_andAfterwardsWithoutAJobHere() throws Exception {
    // Before joining pam_slurm_adopt cannot find this node's jobs; its default would let everyone in.
    Result early = ssh(user, "user");
    access("sw" + suffix + "-node1");
    Result joined = ssh(user, "user");

    assertThat(early.exit()).as(early.out()).isEqualTo(255);
    assertThat(joined.exit()).as(joined.out()).isEqualTo(255);
    assertThat(joined.out()).contains("Access denied by pam_slurm_adopt: you have no active jobs on this node");
    assertThat(Files.readString(tmp.resolve("sshd.log")).split("Access denied for user " + user + " by PAM account configuration", -1))
        .hasSize(3);
  }

  @Test
  void batchsOwnUser_outsideTheAdoptGroup_getsInThroughTheSameSshd() throws Exception {
    Result r = ssh(admin, "admin");

    assertThat(r.exit()).as(r.out() + Files.readString(tmp.resolve("sshd.log"))).isZero();
    assertThat(r.out().strip()).endsWith(admin);
  }

  @AfterAll
  void removeEverything() throws Exception {
    if (sshd != null) {
      sshd.destroy();
      if (!sshd.waitFor(5, TimeUnit.SECONDS)) sshd.destroyForcibly();
    }
    for (String u : createdUsers) {
      if (run("getent", "passwd", u).exit() == 0) run("userdel", "-r", u);
    }
    if (groupCreated && run("getent", "group", group).exit() == 0) run("groupdel", group);
    if (tmp != null) {
      try (Stream<Path> files = Files.walk(tmp)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
