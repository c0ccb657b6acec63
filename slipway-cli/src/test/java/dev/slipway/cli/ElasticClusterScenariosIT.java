package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.local.netns.FaultRequests;
import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
  private static final CommandRunner RUNNER = new ProcessCommandRunner();
  private static final Path JAR = Path.of("target", "slipway.jar").toAbsolutePath();
  private static final List<String> ENDED = List.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
      "BOOT_FAIL", "DEADLINE", "PREEMPTED");

  private Path tmp;
  private Path conf;
  private Path clusterDir;
  private Path slurmConf;
  private String id;
  private LocalNetwork network;
  private String login;
  private boolean created;
  private final Instant classStarted = Instant.now();
  /** Jobs that completed, by scenario, for the accounting check. */
  private final Map<String, String> completedJobs = new LinkedHashMap<>();

  @BeforeAll
  void createCluster() throws Exception {
    assumeThat(System.getProperty("user.name")).as("local clusters need root (namespaces, mounts)").isEqualTo("root");
    for (String tool : List.of("slurmctld", "slurmd", "slurmdbd", "mariadbd", "munged", "sshd", "scontrol", "sinfo", "sbatch", "srun",
        "sacct", "sacctmgr", "nsenter", "unshare", "ip", "ssh-keygen", "curl")) {
      assumeThat(RUNNER.run(List.of("sh", "-c", "command -v " + tool + " || test -x /usr/sbin/" + tool), Duration.ofSeconds(10)).ok())
          .as("the elastic scenarios need " + tool + " (Debian: slurmctld slurmd slurm-client slurmdbd mariadb-server munge"
              + " openssh-server openssh-client iproute2 util-linux curl)")
          .isTrue();
    }
    assertThat(JAR).as("run through 'mvn verify', which builds the shaded jar first").isRegularFile();
    tmp = Files.createTempDirectory("slipway-scenarios");
    // munged wants every directory above its socket searchable by all.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    id = "sc" + Long.toHexString(System.nanoTime() & 0xffffff);
    String subnet = "10.221." + ThreadLocalRandom.current().nextInt(256) + ".0/24";
    int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
    conf = tmp.resolve("conf");
    clusterDir = tmp.resolve("cluster");
    slurmConf = clusterDir.resolve("etc").resolve("slurm.conf");
    Files.createDirectories(conf);
    // batch: cpu (dedicated, preferred by weight) and spot (low priority); wide: small (preferred)
    // and big (feature bigmem, big-0 never reclaimed). 1-CPU hosts so that -N2 means two hosts.
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
          daemon_port: %d
          vm_sizes:
            - name: local_small
              vcpus: 1
              memory_mib: 1024
          local:
            subnet: %s
            state_dir: %s
        """.formatted(id, port, subnet, clusterDir), StandardCharsets.UTF_8);
    network = new LocalNetwork(id, Subnet.parse(subnet), RUNNER, InstantSource.system(), Pause.REAL);
    login = network.namespaceName(id + "-login-vm000");
    created = true;
    CommandRunner.Result r = slipway(Duration.ofMinutes(4), "cluster", "create", "-c", conf.toString());
    assertThat(r.exitCode()).as("cluster create: " + r.stdout() + r.stderr()).isZero();
    assertThat(r.stdout()).contains("start MariaDB and slurmdbd", "install the power-save hooks", "start slipway daemon");
    System.out.printf("ElasticClusterScenariosIT: cluster %s created in %d s%n", id, secondsSince(classStarted));
  }

  @AfterAll
  void destroyCluster() throws Exception {
    if (!created) {
      return;
    }
    try {
      if (Files.exists(clusterDir)) {
        keepLogs();
        slipway(Duration.ofMinutes(2), "cluster", "destroy", "-c", conf.toString());
      }
    } finally {
      network.teardown(Duration.ofSeconds(5));
      System.out.printf("ElasticClusterScenariosIT: whole class took %d s%n", secondsSince(classStarted));
    }
  }

  @Test
  @Order(1)
  void jobsRunOnElasticHostsOfBothPartitions_aConstraintPicksTheFeaturePool_andSrunSpansTwoHosts() throws Exception {
    String wide = sbatch("-p", "wide", "--wrap", "hostname");
    String bigmem = sbatch("-p", "wide", "--constraint=bigmem", "--wrap", "hostname");
    // Interactive srun from the login node: Slurm powers up the two preferred hosts of batch.
    CommandRunner.Result srun = RUNNER.run(login("srun", "-J", "e2e-srun", "-p", "batch", "-N2", "-l", "hostname"), Duration.ofMinutes(3));
    assertThat(srun.exitCode()).as("srun -N2: " + srun.stdout() + srun.stderr() + daemonLog()).isZero();
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
    awaitValue(Duration.ofMinutes(3), () -> {
      Map<String, String> states = hostStates();
      boolean othersDown = Stream.of("cpu-0", "cpu-1", "small-0").allMatch(h -> states.getOrDefault(h, "?").equals("idle~"));
      return othersDown && nodesOf("cpu").isEmpty() && nodesOf("small").isEmpty() ? "down" : null;
    }, "cpu-0, cpu-1 and small-0 to be powered down and their nodes removed");
    assertThat(hostStates().get("big-0")).as("big-0 is in SuspendExcNodes (reclaim_exclude_num_nodes: 1)").isEqualTo("idle");
    assertThat(nodesOf("big")).as("big-0's node keeps running").hasSize(1);
    String infra = network.namespacePrefix() + id.toLowerCase(Locale.ROOT) + "-";
    assertThat(network.namespaces().stream().filter(ns -> !ns.startsWith(infra)).toList())
        .as("only big-0's node namespace is left besides controller and login").containsExactly(network.namespaceName(nodesOf("big").get(0)));
    assertThat(slurm("scontrol", "show", "config")).containsPattern("SuspendExcNodes\\s*=\\s*big-0");
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
    awaitValue(Duration.ofMinutes(2), () -> slurm("scontrol", "show", "node", "cpu-0")
        .contains("Reason=slipway: CAPACITY AllocationFailed in pool cpu") ? "down" : null, "cpu-0 to be DOWN for capacity");
    String why = slipway(Duration.ofSeconds(60), "nodes", "why", "cpu-0", "-c", conf.toString()).stdout();
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
    awaitValue(Duration.ofMinutes(3), () -> jobField(job, "JobState").equals("RUNNING") && outputFile(job).toFile().length() > 0
        ? "running" : null, "job " + job + " to run and print its host");
    String first = jobField(job, "NodeList");
    String preempted = fault("preempt spot 2");
    assertThat(preempted).as("the provider preempted the node under the job").startsWith("ok preempted spot-");

    assertThat(awaitEnd(job, Duration.ofMinutes(4))).as("job " + job + "\n" + slurm("scontrol", "show", "job", job) + daemonLog())
        .isEqualTo("COMPLETED");
    assertThat(jobField(job, "Restarts")).as("the job was requeued once").isEqualTo("1");
    List<String> lines = Files.readAllLines(outputFile(job));
    assertThat(lines).as("the first run was cut short on " + first + ", the second ran to the end").hasSizeGreaterThanOrEqualTo(3)
        .startsWith(first).endsWith("done");
    String why = slipway(Duration.ofSeconds(60), "nodes", "why", first, "-c", conf.toString()).stdout();
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
    assertThat(Integer.parseInt(jobField(requeuedForCapacity, "Restarts"))).isPositive();
    assertThat(output(requeuedForCapacity)).matches("(cpu|spot)-[01]");
    String ids = String.join(",", completedJobs.keySet());
    String listing = awaitValue(Duration.ofSeconds(60), () -> {
      String out = slurm("sacct", "-n", "-X", "-P", "-j", ids, "-o", "JobID,State,NodeList");
      long completed = out.lines().filter(l -> l.split("\\|").length >= 2 && l.split("\\|")[1].equals("COMPLETED")).count();
      return completed == completedJobs.size() ? out : null;
    }, "sacct to list jobs " + ids + " COMPLETED");
    assertThat(listing.lines().toList()).as(listing).hasSize(completedJobs.size());
    String srun = awaitValue(Duration.ofSeconds(60), () -> {
      String out = slurm("sacct", "-n", "-X", "-P", "--name", "e2e-srun", "-o", "JobID,State,NodeList");
      return out.contains("COMPLETED") ? out : null;
    }, "sacct to list the srun -N2 of scenario 1");
    assertThat(srun).contains("|COMPLETED|cpu-[0-1]");
    String requeued = completedJobs.entrySet().stream().filter(e -> e.getValue().equals("preempted")).map(Map.Entry::getKey).findFirst()
        .orElseThrow();
    assertThat(slurm("sacct", "-n", "-X", "-P", "-D", "-j", requeued, "-o", "JobID,State"))
        .as("sacct -D shows the preempted run as REQUEUED or NODE_FAIL besides the completed one").containsPattern("REQUEUED|NODE_FAIL");
  }

  @Test
  @Order(6)
  void destroy_leavesNoNamespaceBridgeProcessOrDirectory() throws Exception {
    keepLogs();
    CommandRunner.Result destroyed = slipway(Duration.ofMinutes(2), "cluster", "destroy", "-c", conf.toString());
    assertThat(destroyed.exitCode()).as("cluster destroy: " + destroyed.stderr()).isZero();
    assertThat(network.namespaces()).as("no namespace of the cluster is left").isEmpty();
    assertThat(RUNNER.run(List.of("ip", "-o", "link", "show"), Duration.ofSeconds(10)).stdout())
        .as("no link of the cluster is left").doesNotContain(network.bridgeName());
    assertThat(RUNNER.run(List.of("sh", "-c", "ps -eo args | grep -F '" + clusterDir + "' | grep -v grep"), Duration.ofSeconds(10)).stdout())
        .as("no process of the cluster (daemon, slurmctld, slurmdbd, mariadbd, slurmd, munged, sshd) is left").isEmpty();
    assertThat(clusterDir).doesNotExist();
  }

  // ---- helpers ----

  /** Copies the cluster's logs (daemon, slurmctld, slurmdbd, nodes) to target/e2e-logs/ for a failed CI run. */
  private void keepLogs() {
    Path target = Path.of("target", "e2e-logs", getClass().getSimpleName()).toAbsolutePath();
    try (Stream<Path> files = Files.walk(clusterDir)) {
      for (Path f : files.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
        Path copy = target.resolve(clusterDir.relativize(f).toString());
        Files.createDirectories(copy.getParent());
        Files.copy(f, copy, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | UncheckedIOException e) {
      System.out.println("ElasticClusterScenariosIT: cannot keep the logs: " + e);
    }
  }

  private List<String> login(String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + login, "env", "SLURM_CONF=" + slurmConf));
    c.addAll(Arrays.asList(command));
    return c;
  }

  private String slurm(String... command) {
    return RUNNER.run(login(command), Duration.ofSeconds(30)).stdout();
  }

  private String sbatch(String... args) {
    List<String> c = new ArrayList<>(List.of("sbatch", "-o", tmp.resolve("job-%j.out").toString()));
    c.addAll(Arrays.asList(args));
    CommandRunner.Result r = RUNNER.run(login(c.toArray(String[]::new)), Duration.ofSeconds(30));
    Matcher m = Pattern.compile("Submitted batch job (\\d+)").matcher(r.stdout());
    assertThat(m.find()).as("sbatch " + c + ": " + r.stdout() + r.stderr()).isTrue();
    return m.group(1);
  }

  private Path outputFile(String job) {
    return tmp.resolve("job-" + job + ".out");
  }

  private String output(String job) throws IOException {
    return Files.readString(outputFile(job)).strip();
  }

  private String jobField(String job, String field) {
    Matcher m = Pattern.compile("\\b" + field + "=(\\S+)").matcher(slurm("scontrol", "show", "job", job));
    return m.find() ? m.group(1) : "";
  }

  private String awaitEnd(String job) throws InterruptedException {
    return awaitEnd(job, Duration.ofMinutes(3));
  }

  private String awaitEnd(String job, Duration timeout) throws InterruptedException {
    try {
      return awaitValue(timeout, () -> {
        String state = jobField(job, "JobState");
        return ENDED.contains(state) ? state : null;
      }, "job " + job + " to end");
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + slurm("scontrol", "show", "job", job), e);
    }
  }

  /** Host -> sinfo's compact state (e.g. {@code idle~}, {@code down~}, {@code alloc#}). */
  private Map<String, String> hostStates() {
    Map<String, String> states = new LinkedHashMap<>();
    slurm("sinfo", "-h", "-N", "-o", "%N %t").lines().map(l -> l.strip().split("\\s+")).filter(f -> f.length == 2)
        .forEach(f -> states.put(f[0], f[1]));
    return states;
  }

  /** The provider's live nodes of a pool (node directories with node.properties). */
  private List<String> nodesOf(String pool) {
    Path nodes = clusterDir.resolve("nodes");
    if (!Files.isDirectory(nodes)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(nodes)) {
      return s.filter(d -> Files.isRegularFile(d.resolve("node.properties")))
          .map(d -> d.getFileName().toString()).filter(n -> n.startsWith(pool + "-")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Drops a fault request for the daemon's provider and waits until it was applied; returns its result line. */
  private String fault(String request) throws Exception {
    Path dir = clusterDir.resolve(FaultRequests.DIR_NAME);
    Files.createDirectories(dir);
    String name = "req-" + System.nanoTime();
    Path tmpFile = dir.resolve(name + ".tmp");
    Files.writeString(tmpFile, request + "\n");
    Files.move(tmpFile, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    Path applied = dir.resolve("applied").resolve(name);
    String result = awaitValue(Duration.ofSeconds(30), () -> {
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

  private CommandRunner.Result slipway(Duration timeout, String... args) {
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
      Thread.sleep(1000); // polling real state with a deadline
    }
    return fail("timed out after " + timeout.toSeconds() + " s waiting for " + what + "; sinfo: " + hostStates() + daemonLog());
  }

  private String daemonLog() {
    Path file = clusterDir.resolve("log").resolve("daemon.log");
    try {
      List<String> lines = Files.readAllLines(file);
      return "\ndaemon log:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "\n(no " + file + ")";
    }
  }

  private static long secondsSince(Instant start) {
    return Duration.between(start, Instant.now()).toSeconds();
  }

}
