package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.local.provision.Procfs;
import dev.slipway.slurm.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
  private static final CommandRunner RUNNER = LocalTestCluster.RUNNER;
  private static final Duration SHORT = Duration.ofSeconds(30);

  private LocalTestCluster cluster;
  private Path shared;
  private String user;
  private String holdingJob;
  private String holdingHost;
  private final List<Long> sshdPids = new ArrayList<>();

  @BeforeAll
  void createCluster() throws Exception {
    LocalTestCluster.requireMachine(List.of("slurmctld", "slurmd", "munged", "sshd", "ssh", "scontrol", "sbatch", "nsenter", "unshare", "ip",
        "ssh-keygen", "curl", "runuser", "useradd"), "slurmctld slurmd slurm-client munge openssh-server openssh-client iproute2 util-linux curl");
    assumeThat(RUNNER.run(List.of("sh", "-c", "ls /lib/security/pam_slurm_adopt.so /lib/*/security/pam_slurm_adopt.so 2>/dev/null | grep -q ."),
        Duration.ofSeconds(10)).ok()).as("needs pam_slurm_adopt.so (Debian: libpam-slurm-adopt)").isTrue();

    cluster = LocalTestCluster.configure(getClass().getSimpleName(), "na", 220, names -> """
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
        """.formatted(userOf(names.id()), names.dir().resolve("shared")));
    user = userOf(cluster.id());
    shared = cluster.dir().resolve("shared");
    CommandRunner.Result created = cluster.create();
    assertThat(created.stdout()).contains("prepare sshd with pam_slurm_adopt for compute nodes");
  }

  /** The cluster's non-root user, created by cluster create and deleted by destroy. */
  private static String userOf(String clusterId) {
    return "sw" + clusterId;
  }

  @AfterAll
  void destroyCluster() throws Exception {
    if (cluster == null) {
      return;
    }
    try {
      CommandRunner.Result destroyed = cluster.destroy();
      assertThat(destroyed.exitCode()).as("cluster destroy: " + destroyed.stderr()).isZero();
      cluster.assertNothingLeft();
      assertThat(RUNNER.run(List.of("id", "-u", user), SHORT).ok()).as("the created cluster user is deleted").isFalse();
    } finally {
      cluster.close();
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

    CommandRunner.Result viaCli = cluster.cli(SHORT, "cluster", "ssh", "node", "--host", holdingHost, "--", "hostname; cat /proc/self/cgroup");
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
    String other = awaitCompleted(job);
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
    String host = awaitCompleted(job);

    CommandRunner.Result read = cluster.cli(SHORT, "cluster", "ssh", "login", "--", "cat " + shared + "/from-job");
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
    assertThat(cluster.slurm(SHORT, "scancel", holdingJob).ok()).isTrue();
    cluster.awaitValue(Duration.ofMinutes(3), () -> cluster.liveNodes().isEmpty() ? "gone" : null, "the idle nodes to be removed");
    for (long pid : sshdPids) {
      // A zombie counts as gone: this machine's init reaps late.
      assertThat(Procfs.REAL.alive(pid)).as("sshd " + pid + " of a removed node").isFalse();
    }
  }

  private String submit(String script) {
    return cluster.sbatch(Optional.of(user), "-N1", "-D", "/tmp", "-o", "/dev/null", "--wrap", script);
  }

  private String awaitRunning(String job) throws InterruptedException {
    return cluster.awaitValue(Duration.ofMinutes(3), () -> {
      String out = scontrol("show", "job", job);
      Matcher state = Pattern.compile("JobState=(\\S+)").matcher(out);
      Matcher nodes = Pattern.compile("\\bNodeList=(\\S+)").matcher(out);
      if (state.find() && !List.of("PENDING", "CONFIGURING", "RUNNING").contains(state.group(1))) {
        return fail("job " + job + " ended as " + state.group(1) + " before the test could use it");
      }
      return out.contains("JobState=RUNNING") && nodes.find() ? nodes.group(1) : null;
    }, "job " + job + " to run");
  }

  /** Waits until {@code job} completed; returns the host it ran on. */
  private String awaitCompleted(String job) throws InterruptedException {
    return cluster.awaitValue(Duration.ofMinutes(3), () -> {
      String out = scontrol("show", "job", job);
      Matcher state = Pattern.compile("JobState=(\\S+)").matcher(out);
      Matcher nodes = Pattern.compile("\\bNodeList=(\\S+)").matcher(out);
      return state.find() && state.group(1).equals("COMPLETED") && nodes.find() ? nodes.group(1) : null;
    }, "job " + job + " to complete");
  }

  /** NodeAddr: slurmd registers from its namespace's address (cloud_reg_addrs). */
  private String addressOf(String host) {
    Matcher m = Pattern.compile("NodeAddr=(\\S+)").matcher(scontrol("show", "node", host));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  /** ssh as the cluster user from the login node's namespace, with the cluster's key and pinned host keys. */
  private CommandRunner.Result sshFromLogin(String address, String command) {
    Path clusterDir = cluster.clusterDir();
    return RUNNER.run(List.of("nsenter", "--net=/run/netns/" + cluster.loginNamespace(), "ssh", "-i",
        clusterDir.resolve("secrets").resolve("ssh").resolve("id_ed25519").toString(), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
        "-o", "UserKnownHostsFile=" + clusterDir.resolve("ssh").resolve("known_hosts"), "-o", "StrictHostKeyChecking=yes",
        user + "@" + address, command), SHORT);
  }

  private String scontrol(String... args) {
    List<String> cmd = new ArrayList<>(List.of("scontrol"));
    cmd.addAll(List.of(args));
    return cluster.slurm(cmd.toArray(String[]::new));
  }

  private List<Long> liveSshdPids() throws IOException {
    List<Long> pids = new ArrayList<>();
    for (String node : cluster.liveNodes()) {
      Path pidFile = cluster.clusterDir().resolve("nodes").resolve(node).resolve("sshd.pid");
      if (Files.exists(pidFile)) {
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        assertThat(Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip()).isEqualTo("sshd");
        pids.add(pid);
      }
    }
    return pids;
  }

  private String sshdLogs() {
    StringBuilder b = new StringBuilder();
    for (String node : cluster.liveNodes()) {
      b.append(LocalTestCluster.tail(cluster.clusterDir().resolve("nodes").resolve(node).resolve("logs").resolve("sshd.log"), 40)).append('\n');
    }
    return b.toString();
  }
}
