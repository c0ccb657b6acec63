package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.local.provision.Procfs;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What a compute node offers besides slurmd, on one real local cluster for the whole class (made
 * through the shaded jar as a user would, with a non-root cluster user): the node's own sshd lets
 * the cluster user in from the login node only while a job of theirs runs there (pam_slurm_adopt),
 * the session lands in that job, a node without such a job refuses the same key, a job's file in
 * the shared volume is read on the login node, and removing a node stops its sshd. Needs root and
 * the local backend's packages plus libpam-slurm-adopt; skips with the reason otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComputeNodeAccessIT {
  private static final CommandRunner RUNNER = new ProcessCommandRunner();
  private static final Path JAR = Path.of("target", "slipway.jar").toAbsolutePath();
  private static final Duration SHORT = Duration.ofSeconds(30);

  private Path tmp;
  private Path conf;
  private Path clusterDir;
  private Path shared;
  private String user;
  private String loginNs;
  private LocalNetwork network;
  private String holdingJob;
  private String holdingHost;
  private final List<Long> sshdPids = new ArrayList<>();

  @BeforeAll
  void createCluster() throws Exception {
    assumeThat(System.getProperty("user.name")).as("local clusters need root (namespaces, mounts)").isEqualTo("root");
    for (String tool : List.of("slurmctld", "slurmd", "munged", "sshd", "ssh", "scontrol", "sbatch", "nsenter", "unshare", "ip",
        "ssh-keygen", "curl", "runuser", "useradd")) {
      assumeThat(RUNNER.run(List.of("sh", "-c", "command -v " + tool + " || test -x /usr/sbin/" + tool), Duration.ofSeconds(10)).ok())
          .as("needs " + tool + " (Debian: slurmctld slurmd slurm-client munge openssh-server openssh-client iproute2 util-linux curl)")
          .isTrue();
    }
    assumeThat(RUNNER.run(List.of("sh", "-c", "ls /lib/security/pam_slurm_adopt.so /lib/*/security/pam_slurm_adopt.so 2>/dev/null | grep -q ."),
        Duration.ofSeconds(10)).ok()).as("needs pam_slurm_adopt.so (Debian: libpam-slurm-adopt)").isTrue();
    assertThat(JAR).as("run through 'mvn verify', which builds the shaded jar first").isRegularFile();

    // munged wants every directory above its socket searchable by all.
    tmp = Files.createTempDirectory("slipway-nodessh");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    String suffix = Long.toHexString(System.nanoTime() & 0xffffff);
    String id = "na" + suffix;
    user = "swna" + suffix;
    String subnet = "10.220." + ThreadLocalRandom.current().nextInt(256) + ".0/24";
    int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
    conf = tmp.resolve("conf");
    clusterDir = tmp.resolve("cluster");
    shared = tmp.resolve("shared");
    Files.createDirectories(conf);
    Files.writeString(conf.resolve("slurm.yaml"), """
        slurm:
          cluster_id: %s
          controller:
            ssh:
              username: root
            vm_size: standard_d2s_v3
            vm_count: 1
          login:
            ssh:
              username: %s
            vm_size: standard_d2s_v3
            vm_count: 1
          shared_data_volumes:
            scratch:
              mount_path: %s
          slurm_options:
            idle_reclaim_time: 00:00:15
            elastic_partitions:
              debug:
                batch_pools:
                  nspool:
                    compute_node_type: dedicated
                    max_compute_nodes: 3
                    weight: 10
                default: true
                max_runtime_limit: 01:00:00
        slipway:
          backend: local
          accounting: false
          resume_timeout: 00:02:00
          suspend_timeout: 00:00:15
          daemon_port: %d
          local:
            subnet: %s
            state_dir: %s
        """.formatted(id, user, shared, port, subnet, clusterDir), StandardCharsets.UTF_8);
    network = new LocalNetwork(id, Subnet.parse(subnet), RUNNER, InstantSource.system(), Pause.REAL);
    loginNs = network.namespaceName(id + "-login-vm000");
    CommandRunner.Result created = slipway(Duration.ofMinutes(4), "cluster", "create", "-c", conf.toString());
    assertThat(created.exitCode()).as("cluster create: " + created.stdout() + created.stderr()).isZero();
    assertThat(created.stdout()).contains("prepare sshd with pam_slurm_adopt for compute nodes");
  }

  @AfterAll
  void destroyCluster() throws Exception {
    if (conf == null) {
      return;
    }
    try {
      CommandRunner.Result destroyed = slipway(Duration.ofMinutes(2), "cluster", "destroy", "-c", conf.toString());
      assertThat(destroyed.exitCode()).as("cluster destroy: " + destroyed.stderr()).isZero();
      assertThat(network.namespaces()).as("no namespace of the cluster is left").isEmpty();
      assertThat(RUNNER.run(List.of("sh", "-c", "ps -eo args | grep -F '" + clusterDir + "' | grep -v grep"), SHORT).stdout())
          .as("no process of the cluster (daemon, slurmctld, slurmd, sshd) is left").isEmpty();
      assertThat(RUNNER.run(List.of("id", "-u", user), SHORT).ok()).as("the created cluster user is deleted").isFalse();
    } finally {
      network.teardown(Duration.ofSeconds(5));
      RUNNER.run(List.of("rm", "-rf", tmp.toString()), SHORT);
    }
  }

  @Test
  @Order(1)
  void ssh_fromTheLoginNode_toANodeRunningTheUsersJob_getsInAndTheSessionJoinsTheJob() throws Exception {
    holdingJob = submit("sleep 300");
    holdingHost = awaitRunning(holdingJob);

    CommandRunner.Result in = sshFromLogin(addressOf(holdingHost), "hostname; cat /proc/self/cgroup");
    assertThat(in.exitCode()).as("ssh to " + holdingHost + ": " + in.stderr() + "\nsshd log:\n" + sshdLogs()).isZero();
    assertThat(in.stdout().lines().findFirst()).contains(holdingHost);
    assertThat(in.stdout()).as("pam_slurm_adopt put the session into the job's extern step")
        .contains("/job_" + holdingJob + "/step_extern");

    CommandRunner.Result viaCli = slipway(SHORT, "cluster", "ssh", "node", "--host", holdingHost, "-c", conf.toString(), "--",
        "hostname; cat /proc/self/cgroup");
    assertThat(viaCli.exitCode()).as("slipway cluster ssh node --host " + holdingHost + ": " + viaCli.stderr()).isZero();
    assertThat(viaCli.stdout()).as("slipway cluster ssh node goes through the node's sshd into the job")
        .startsWith(holdingHost + "\n").contains("/job_" + holdingJob + "/step_extern");
  }

  @Test
  @Order(2)
  void ssh_toAnUpNodeWithoutAJobOfTheUser_isRefusedWithTheSameKey() throws Exception {
    assertThat(holdingHost).as("needs the holding job of the first test").isNotNull();
    // The holding job takes the first node's only CPU, so this one powers up a second node and ends there.
    String job = submit("true");
    String other = awaitValue(Duration.ofMinutes(3), () -> {
      String out = scontrol("show", "job", job);
      Matcher state = Pattern.compile("JobState=(\\S+)").matcher(out);
      Matcher nodes = Pattern.compile("\\bNodeList=(\\S+)").matcher(out);
      return state.find() && state.group(1).equals("COMPLETED") && nodes.find() ? nodes.group(1) : null;
    }, "job " + job + " to complete");
    assertThat(other).isNotEqualTo(holdingHost);
    assertThat(scontrol("show", "node", other)).as(other + " is still up").doesNotContain("POWER");

    CommandRunner.Result refused = sshFromLogin(addressOf(other), "hostname");
    assertThat(refused.exitCode()).as("ssh to " + other + " without a job: " + refused.stdout()).isEqualTo(255);
    assertThat(refused.stderr()).contains("pam_slurm_adopt").contains("no active jobs");
    assertThat(refused.stdout()).doesNotContain(other);
    assertThat(sshFromLogin(addressOf(holdingHost), "true").exitCode()).as("the same key still works where the job runs").isZero();
  }

  @Test
  @Order(3)
  void aFileWrittenByAJobOnAComputeNode_isReadOnTheLoginNode() throws Exception {
    String job = submit("echo \"written on $(hostname) by job $SLURM_JOB_ID\" > " + shared + "/from-job");
    String host = awaitValue(Duration.ofMinutes(3), () -> {
      String out = scontrol("show", "job", job);
      Matcher state = Pattern.compile("JobState=(\\S+)").matcher(out);
      Matcher nodes = Pattern.compile("\\bNodeList=(\\S+)").matcher(out);
      return state.find() && state.group(1).equals("COMPLETED") && nodes.find() ? nodes.group(1) : null;
    }, "job " + job + " to complete");

    CommandRunner.Result read = slipway(SHORT, "cluster", "ssh", "login", "-c", conf.toString(), "--", "cat " + shared + "/from-job");
    assertThat(read.exitCode()).as("cat on the login node: " + read.stderr()).isZero();
    assertThat(read.stdout()).as("the login node sees the job's file at the volume's mount_path")
        .isEqualTo("written on " + host + " by job " + job + "\n");
    assertThat(shared).as("the host's own mount_path stays empty: the volume is bind-mounted only in the nodes").isEmptyDirectory();
  }

  @Test
  @Order(4)
  void removingTheNodes_stopsTheirSshd() throws Exception {
    sshdPids.addAll(liveSshdPids());
    assertThat(sshdPids).as("each up node runs an sshd").isNotEmpty();
    assertThat(RUNNER.run(List.of("nsenter", "--net=/run/netns/" + loginNs, "env", "SLURM_CONF=" + slurmConf(), "scancel", holdingJob),
        SHORT).ok()).isTrue();
    awaitValue(Duration.ofMinutes(3), () -> computeNodes().isEmpty() ? "gone" : null, "the idle nodes to be removed");
    for (long pid : sshdPids) {
      // A zombie counts as gone: this machine's init reaps late.
      assertThat(Procfs.REAL.alive(pid)).as("sshd " + pid + " of a removed node").isFalse();
    }
  }

  private String submit(String script) {
    CommandRunner.Result r = RUNNER.run(List.of("nsenter", "--net=/run/netns/" + loginNs, "runuser", "-u", user, "--", "env",
        "SLURM_CONF=" + slurmConf(), "sbatch", "-N1", "-D", "/tmp", "-o", "/dev/null", "--wrap", script), SHORT);
    assertThat(r.exitCode()).as("sbatch: " + r.stderr()).isZero();
    Matcher m = Pattern.compile("Submitted batch job (\\d+)").matcher(r.stdout());
    assertThat(m.find()).as(r.stdout()).isTrue();
    return m.group(1);
  }

  private String awaitRunning(String job) throws InterruptedException {
    return awaitValue(Duration.ofMinutes(3), () -> {
      String out = scontrol("show", "job", job);
      Matcher state = Pattern.compile("JobState=(\\S+)").matcher(out);
      Matcher nodes = Pattern.compile("\\bNodeList=(\\S+)").matcher(out);
      if (state.find() && !List.of("PENDING", "CONFIGURING", "RUNNING").contains(state.group(1))) {
        return fail("job " + job + " ended as " + state.group(1) + " before the test could use it");
      }
      return out.contains("JobState=RUNNING") && nodes.find() ? nodes.group(1) : null;
    }, "job " + job + " to run");
  }

  /** NodeAddr: slurmd registers from its namespace's address (cloud_reg_addrs). */
  private String addressOf(String host) {
    Matcher m = Pattern.compile("NodeAddr=(\\S+)").matcher(scontrol("show", "node", host));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  /** ssh as the cluster user from the login node's namespace, with the cluster's key and pinned host keys. */
  private CommandRunner.Result sshFromLogin(String address, String command) {
    return RUNNER.run(List.of("nsenter", "--net=/run/netns/" + loginNs, "ssh", "-i",
        clusterDir.resolve("secrets").resolve("ssh").resolve("id_ed25519").toString(), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
        "-o", "UserKnownHostsFile=" + clusterDir.resolve("ssh").resolve("known_hosts"), "-o", "StrictHostKeyChecking=yes",
        user + "@" + address, command), SHORT);
  }

  private String scontrol(String... args) {
    List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + loginNs, "env", "SLURM_CONF=" + slurmConf(), "scontrol"));
    cmd.addAll(List.of(args));
    return RUNNER.run(cmd, SHORT).stdout();
  }

  private Path slurmConf() {
    return clusterDir.resolve("etc").resolve("slurm.conf");
  }

  private List<Long> liveSshdPids() throws IOException {
    List<Long> pids = new ArrayList<>();
    for (String node : computeNodes()) {
      Path pidFile = clusterDir.resolve("nodes").resolve(node).resolve("sshd.pid");
      if (Files.exists(pidFile)) {
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        assertThat(Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip()).isEqualTo("sshd");
        pids.add(pid);
      }
    }
    return pids;
  }

  private List<String> computeNodes() {
    Path nodes = clusterDir.resolve("nodes");
    if (!Files.isDirectory(nodes)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(nodes)) {
      return s.filter(d -> Files.isRegularFile(d.resolve("node.properties"))).map(d -> d.getFileName().toString()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String sshdLogs() {
    StringBuilder b = new StringBuilder();
    for (String node : computeNodes()) {
      b.append(tail(clusterDir.resolve("nodes").resolve(node).resolve("logs").resolve("sshd.log"))).append('\n');
    }
    return b.toString();
  }

  private static CommandRunner.Result slipway(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return RUNNER.run(command, timeout);
  }

  /** Polls {@code probe} once a second until it answers, or fails with the daemon's log after {@code timeout}. */
  private String awaitValue(Duration timeout, Supplier<String> probe, String what) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      String v = probe.get();
      if (v != null) {
        return v;
      }
      Thread.sleep(1000);
    }
    return fail("timed out after " + timeout.toSeconds() + " s waiting for " + what + "; daemon log:\n"
        + tail(clusterDir.resolve("log").resolve("daemon.log")));
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no " + file + ")";
    }
  }
}
