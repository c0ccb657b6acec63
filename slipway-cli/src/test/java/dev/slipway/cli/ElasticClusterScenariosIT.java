package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.local.netns.FaultRequests;
import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.slurm.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One real local cluster (controllers, login node, slurmdbd + MariaDB, the daemon with its netns
 * provider, all through the shaded jar) and the elastic scenarios in order, each a test of its own:
 * jobs across two partitions and four pools (a feature constraint, a multi-node srun), idle reclaim
 * except the excluded host, a capacity failure injected in the preferred pool (the job completes in
 * the partition's other pool and {@code nodes why} says why), preemption of a low-priority node
 * under a requeueable job, accounting, and a destroy that leaves nothing behind.
 *
 * <p>Faults reach the daemon's provider through {@link FaultRequests} files in the cluster
 * directory. Waits poll real state (sinfo, scontrol, files) once a second with a deadline.
 * Needs root and the local backend's packages, accounting's included; skips otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ElasticClusterScenariosIT {
  private LocalTestCluster cluster;
  private final Instant classStarted = Instant.now();
  /** Jobs that completed, by scenario, for the accounting check. */
  private final Map<String, String> completedJobs = new LinkedHashMap<>();

  @BeforeAll
  void createCluster() throws Exception {
    LocalTestCluster.requireMachine(List.of("slurmctld", "slurmd", "slurmdbd", "mariadbd", "munged", "sshd", "scontrol", "sinfo", "sbatch",
        "srun", "sacct", "sacctmgr", "nsenter", "unshare", "ip", "ssh-keygen", "curl"),
        "slurmctld slurmd slurm-client slurmdbd mariadb-server munge openssh-server openssh-client iproute2 util-linux curl");
    // batch: cpu (dedicated, preferred by weight) and spot (low priority); wide: small (preferred)
    // and big (feature bigmem, big-0 never reclaimed). 1-CPU hosts so that -N2 means two hosts.
    cluster = LocalTestCluster.configure(getClass().getSimpleName(), "sc", 221, names -> """
          controller:
            ssh:
              username: root
            vm_size: standard_d2s_v3
            vm_count: 1
          login:
            ssh:
              username: root
            vm_size: standard_d2s_v3
            vm_count: 1
          slurm_options:
            idle_reclaim_time: 00:00:15
            elastic_partitions:
              batch:
                batch_pools:
                  cpu:
                    compute_node_type: dedicated
                    max_compute_nodes: 2
                    weight: 10
                    vm_size: local_small
                  spot:
                    compute_node_type: low_priority
                    max_compute_nodes: 2
                    weight: 20
                    vm_size: local_small
                default: true
                max_runtime_limit: 01:00:00
              wide:
                batch_pools:
                  small:
                    compute_node_type: dedicated
                    max_compute_nodes: 2
                    weight: 5
                    vm_size: local_small
                  big:
                    compute_node_type: dedicated
                    max_compute_nodes: 2
                    weight: 30
                    vm_size: local_small
                    features:
                      - bigmem
                    reclaim_exclude_num_nodes: 1
                default: false
                max_runtime_limit: 01:00:00
        slipway:
          backend: local
          accounting: true
          resume_timeout: 00:02:00
          suspend_timeout: 00:00:15
          vm_sizes:
            - name: local_small
              vcpus: 1
              memory_mib: 1024
        """);
    cluster.alsoReportOnTimeout(() -> "; sinfo: " + cluster.hostStates());
    CommandRunner.Result r = cluster.create();
    assertThat(r.stdout()).contains("start MariaDB and slurmdbd", "install the power-save hooks", "start slipway daemon");
    System.out.printf("ElasticClusterScenariosIT: cluster %s created in %d s%n", cluster.id(), secondsSince(classStarted));
  }

  @AfterAll
  void destroyCluster() throws Exception {
    if (cluster == null) {
      return;
    }
    try {
      cluster.close();
    } finally {
      System.out.printf("ElasticClusterScenariosIT: whole class took %d s%n", secondsSince(classStarted));
    }
  }

  @Test
  @Order(1)
  void jobsRunOnElasticHostsOfBothPartitions_aConstraintPicksTheFeaturePool_andSrunSpansTwoHosts() throws Exception {
    String wide = sbatch("-p", "wide", "--wrap", "hostname");
    String bigmem = sbatch("-p", "wide", "--constraint=bigmem", "--wrap", "hostname");
    // Interactive srun from the login node: Slurm powers up the two preferred hosts of batch.
    CommandRunner.Result srun = cluster.slurm(Duration.ofMinutes(3), "srun", "-J", "e2e-srun", "-p", "batch", "-N2", "-l", "hostname");
    assertThat(srun.exitCode()).as("srun -N2: " + srun.stdout() + srun.stderr() + "\n" + cluster.daemonLogs()).isZero();
    assertThat(srun.stdout().lines().map(String::strip).sorted().toList())
        .as("srun -N2 -l hostname prints the hosts of pool cpu (lower weight than spot)").containsExactly("0: cpu-0", "1: cpu-1");

    assertThat(awaitEnd(wide)).isEqualTo("COMPLETED");
    assertThat(awaitEnd(bigmem)).isEqualTo("COMPLETED");
    // Slurm may prefer big-0 (kept up: SuspendExcNodes) over powering up small-0 despite its weight.
    assertThat(output(wide)).as("an unconstrained job of wide runs on a host of the partition").matches("(small|big)-[01]");
    assertThat(output(bigmem)).as("--constraint=bigmem goes to pool big, the one with the feature").matches("big-[01]");
    completedJobs.put(wide, "wide");
    completedJobs.put(bigmem, "bigmem");
  }

  @Test
  @Order(2)
  void idleHostsAreReturnedAfterIdleReclaimTime_exceptTheExcludedOne() throws Exception {
    cluster.awaitValue(Duration.ofMinutes(3), () -> {
      Map<String, String> states = cluster.hostStates();
      boolean othersDown = Stream.of("cpu-0", "cpu-1", "small-0").allMatch(h -> states.getOrDefault(h, "?").equals("idle~"));
      return othersDown && nodesOf("cpu").isEmpty() && nodesOf("small").isEmpty() ? "down" : null;
    }, "cpu-0, cpu-1 and small-0 to be powered down and their nodes removed");
    assertThat(cluster.hostStates().get("big-0")).as("big-0 is in SuspendExcNodes (reclaim_exclude_num_nodes: 1)").isEqualTo("idle");
    assertThat(nodesOf("big")).as("big-0's node keeps running").hasSize(1);
    LocalNetwork network = cluster.network();
    String infra = network.namespacePrefix() + cluster.id().toLowerCase(Locale.ROOT) + "-";
    assertThat(network.namespaces().stream().filter(ns -> !ns.startsWith(infra)).toList())
        .as("only big-0's node namespace is left besides controller and login").containsExactly(network.namespaceName(nodesOf("big").get(0)));
    assertThat(cluster.slurm("scontrol", "show", "config")).containsPattern("SuspendExcNodes\\s*=\\s*big-0");
  }

  @Test
  @Order(3)
  void capacityFailureInThePreferredPool_jobsCompleteInTheOtherPool_andNodesWhySaysWhy() throws Exception {
    fault("limit cpu CAPACITY 0");
    // Slurm gives the first job cpu-0; the resize fails, the engine marks cpu-* DOWN (capacity
    // fallback) and Slurm requeues the job, which may start again only after AuthInfo's cred_expire
    // (slipway.cred_expire, 30 s on the local layout): it is checked in the accounting scenario, so
    // that the wait overlaps scenario 4.
    String requeued = sbatch("-p", "batch", "--wrap", "hostname");
    cluster.awaitValue(Duration.ofMinutes(2), () -> cluster.slurm("scontrol", "show", "node", "cpu-0")
        .contains("Reason=slipway: CAPACITY AllocationFailed in pool cpu") ? "down" : null, "cpu-0 to be DOWN for capacity");
    String why = cluster.cli(Duration.ofSeconds(60), "nodes", "why", "cpu-0").stdout();
    assertThat(why).as(why).contains("host cpu-0 (pool cpu, partition batch)", "last error: CAPACITY AllocationFailed",
        "cannot get a node: CAPACITY AllocationFailed");
    // A job submitted while the pool backs off goes straight to the partition's other pool.
    String job = sbatch("-p", "batch", "--wrap", "hostname");
    assertThat(awaitEnd(job)).isEqualTo("COMPLETED");
    assertThat(output(job)).as("the job ran in the partition's other pool").matches("spot-[01]");
    completedJobs.put(job, "capacity");
    completedJobs.put(requeued, "capacity-requeued");
    fault("clear cpu");
  }

  @Test
  @Order(4)
  void preemptedLowPriorityHost_requeuesTheRequeueableJob_whichThenCompletes() throws Exception {
    String job = sbatch("-p", "batch", "--constraint=low_priority", "--requeue", "--open-mode=append", "--wrap",
        "hostname; sleep 8; echo done");
    cluster.awaitValue(Duration.ofMinutes(3), () -> cluster.jobField(job, "JobState").equals("RUNNING") && outputFile(job).toFile().length() > 0
        ? "running" : null, "job " + job + " to run and print its host");
    String first = cluster.jobField(job, "NodeList");
    String preempted = fault("preempt spot 2");
    assertThat(preempted).as("the provider preempted the node under the job").startsWith("ok preempted spot-");

    assertThat(cluster.awaitEnd(job, Duration.ofMinutes(4)))
        .as("job " + job + "\n" + cluster.slurm("scontrol", "show", "job", job) + "\n" + cluster.daemonLogs())
        .isEqualTo("COMPLETED");
    assertThat(cluster.jobField(job, "Restarts")).as("the job was requeued once").isEqualTo("1");
    List<String> lines = Files.readAllLines(outputFile(job));
    assertThat(lines).as("the first run was cut short on " + first + ", the second ran to the end").hasSizeGreaterThanOrEqualTo(3)
        .startsWith(first).endsWith("done");
    String why = cluster.cli(Duration.ofSeconds(60), "nodes", "why", first).stdout();
    assertThat(why).as(why).contains("PREEMPTED NodePreempted");
    completedJobs.put(job, "preempted");
  }

  @Test
  @Order(5)
  void accounting_sacctListsTheCompletedJobs() throws Exception {
    assertThat(completedJobs).as("jobs of the earlier scenarios").isNotEmpty();
    String requeuedForCapacity = completedJobs.entrySet().stream().filter(e -> e.getValue().equals("capacity-requeued"))
        .map(Map.Entry::getKey).findFirst().orElseThrow();
    assertThat(awaitEnd(requeuedForCapacity)).as("the job requeued off the failed pool ran after all").isEqualTo("COMPLETED");
    assertThat(Integer.parseInt(cluster.jobField(requeuedForCapacity, "Restarts"))).isPositive();
    assertThat(output(requeuedForCapacity)).matches("(cpu|spot)-[01]");
    String ids = String.join(",", completedJobs.keySet());
    String listing = cluster.awaitValue(Duration.ofSeconds(60), () -> {
      String out = cluster.slurm("sacct", "-n", "-X", "-P", "-j", ids, "-o", "JobID,State,NodeList");
      long completed = out.lines().filter(l -> l.split("\\|").length >= 2 && l.split("\\|")[1].equals("COMPLETED")).count();
      return completed == completedJobs.size() ? out : null;
    }, "sacct to list jobs " + ids + " COMPLETED");
    assertThat(listing.lines().toList()).as(listing).hasSize(completedJobs.size());
    String srun = cluster.awaitValue(Duration.ofSeconds(60), () -> {
      String out = cluster.slurm("sacct", "-n", "-X", "-P", "--name", "e2e-srun", "-o", "JobID,State,NodeList");
      return out.contains("COMPLETED") ? out : null;
    }, "sacct to list the srun -N2 of scenario 1");
    assertThat(srun).contains("|COMPLETED|cpu-[0-1]");
    String requeued = completedJobs.entrySet().stream().filter(e -> e.getValue().equals("preempted")).map(Map.Entry::getKey).findFirst()
        .orElseThrow();
    assertThat(cluster.slurm("sacct", "-n", "-X", "-P", "-D", "-j", requeued, "-o", "JobID,State"))
        .as("sacct -D shows the preempted run as REQUEUED or NODE_FAIL besides the completed one").containsPattern("REQUEUED|NODE_FAIL");
  }

  @Test
  @Order(6)
  void destroy_leavesNoNamespaceBridgeProcessOrDirectory() throws Exception {
    CommandRunner.Result destroyed = cluster.destroy();
    assertThat(destroyed.exitCode()).as("cluster destroy: " + destroyed.stderr()).isZero();
    cluster.assertNothingLeft();
  }

  // ---- helpers ----

  /** Submits from the login node with the job's output in the test's directory. */
  private String sbatch(String... args) {
    List<String> c = new ArrayList<>(List.of("-o", cluster.dir().resolve("job-%j.out").toString()));
    c.addAll(Arrays.asList(args));
    return cluster.sbatch(Optional.empty(), c.toArray(String[]::new));
  }

  private Path outputFile(String job) {
    return cluster.dir().resolve("job-" + job + ".out");
  }

  private String output(String job) throws IOException {
    return Files.readString(outputFile(job)).strip();
  }

  private String awaitEnd(String job) throws InterruptedException {
    return cluster.awaitEnd(job, Duration.ofMinutes(3));
  }

  /** The provider's live nodes of a pool. */
  private List<String> nodesOf(String pool) {
    return cluster.liveNodes().stream().filter(n -> n.startsWith(pool + "-")).toList();
  }

  /** Drops a fault request for the daemon's provider and waits until it was applied; returns its result line. */
  private String fault(String request) throws Exception {
    Path dir = cluster.clusterDir().resolve(FaultRequests.DIR_NAME);
    Files.createDirectories(dir);
    String name = "req-" + System.nanoTime();
    Path tmpFile = dir.resolve(name + ".tmp");
    Files.writeString(tmpFile, request + "\n");
    Files.move(tmpFile, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    Path applied = dir.resolve("applied").resolve(name);
    String result = cluster.awaitValue(Duration.ofSeconds(30), () -> {
      try {
        List<String> lines = Files.exists(applied) ? Files.readAllLines(applied) : List.of();
        return lines.size() >= 2 ? lines.get(1) : null;
      } catch (IOException e) {
        return null;
      }
    }, "the daemon to apply fault request '" + request + "'");
    assertThat(result).as("fault request '" + request + "'").startsWith("ok");
    return result;
  }

  private static long secondsSince(Instant start) {
    return Duration.between(start, Instant.now()).toSeconds();
  }
}
