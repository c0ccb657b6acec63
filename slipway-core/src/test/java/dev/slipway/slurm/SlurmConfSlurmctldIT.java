package dev.slipway.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.slurm.SlurmLayout.ControllerHost;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves that the rendered configuration is what a real slurmctld (Slurm 22.05, Debian packages)
 * accepts and understands: renders the recipe cluster and the rich cluster, starts
 * {@code slurmctld -D} on each in a temporary directory with its own munged, and checks every
 * partition and node through {@code scontrol}. Daemons are killed by PID and the directory is
 * deleted even when a check fails. Skipped when not root or when slurmctld, scontrol or munged is
 * missing.
 */
class SlurmConfSlurmctldIT {
  private static Path work;
  private static PrivateMunged munged;
  private static Path mungeSocket;
  private static String scontrol;
  private static String slurmd;
  private static String hostname;
  /** The nodes scontrol showed for the last cluster verified. */
  private Map<String, Map<String, String>> lastNodes = Map.of();

  @BeforeAll
  static void startMunge() throws Exception {
    assumeTrue(uid() == 0, "needs root: slurmctld runs as root with SlurmUser=root");
    String slurmctld = find("slurmctld").orElse(null);
    scontrol = find("scontrol").orElse(null);
    slurmd = find("slurmd").orElse(null);
    String mungedBin = find("munged").orElse(null);
    assumeTrue(slurmctld != null && scontrol != null, "needs slurmctld and scontrol (apt-get install slurmctld slurm-client)");
    assumeTrue(mungedBin != null, "needs munged (apt-get install munge)");
    hostname = run(List.of("hostname", "-s"), Map.of(), Duration.ofSeconds(10)).stdout.strip();

    work = Files.createTempDirectory("slipway-slurmctld-it");
    // Our own munged on our own socket and key: independent of whatever else runs on the machine.
    munged = PrivateMunged.start(work.resolve("munge"));
    mungeSocket = munged.socket();
  }

  @AfterAll
  static void stopMunge() throws IOException {
    try {
      if (munged != null) {
        munged.close();
      }
    } finally {
      if (work != null) {
        try (Stream<Path> paths = Files.walk(work)) {
          paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  @Test
  void recipeCluster_isAcceptedBySlurmctld_withEveryNodeAndPartition() throws Exception {
    verifyWithSlurmctld("recipe", TestClusters.recipe());
    // The same facts as literals, independent of PoolNodeSpec's arithmetic.
    assertThat(lastNodes.get("slurmpool-31")).containsEntry("CPUTot", "2").containsEntry("RealMemory", "3584")
        .containsEntry("AvailableFeatures", "dedicated,standard_f2");
  }

  @Test
  void richCluster_isAcceptedBySlurmctld_withGpusFeaturesAndUnmanagedPartition() throws Exception {
    // Accounting off: a slurmdbd is not part of this test and another one may run on this machine.
    ClusterConfig config = TestClusters.richBuilder().accounting(false).build();
    RenderedSlurmConf rendered = verifyWithSlurmctld("rich", config);
    assertThat(rendered.gresConf()).isPresent();
    assertThat(lastNodes.get("gpu-7")).containsEntry("CPUTot", "24").containsEntry("RealMemory", "435814")
        .containsEntry("Gres", "gpu:tesla_v100:4")
        .containsEntry("AvailableFeatures", "dedicated,standard_nc24rs_v3,gpu,tesla_v100,rdma,fdr_ib");
    assertThat(lastNodes.get("cpulow-63")).containsEntry("AvailableFeatures", "intel,low_priority,standard_d8s_v3");
    if (slurmd != null) {
      // slurmd reads gres.conf, slurmctld does not: let slurmd parse it for a GPU node and exit.
      Path conf = work.resolve("rich/etc/slurm.conf");
      Result r = run(List.of(slurmd, "-f", conf.toString(), "-N", "gpu-0", "-G"), Map.of("SLURM_CONF", conf.toString()), Duration.ofSeconds(30));
      assertThat(r.exitCode).as("slurmd -G: %s", r.stderr).isZero();
      assertThat(r.stderr.lines().filter(l -> l.toLowerCase().contains("gres"))
          .filter(l -> l.contains("error") || l.contains("fatal") || l.contains("WARNING")).toList())
          .as("gres complaints of slurmd").isEmpty();
    }
  }

  private RenderedSlurmConf verifyWithSlurmctld(String name, ClusterConfig config) throws Exception {
    Path dir = Files.createDirectories(work.resolve(name));
    Path etc = Files.createDirectories(dir.resolve("etc"));
    // Only the first controller runs; it is this machine, the second is a backup that never starts.
    SlurmLayout layout = SlurmLayout.forLocal(config, dir, List.of("127.0.0.1", "127.0.0.2"))
        .withControllers(List.of(ControllerHost.of(hostname, "127.0.0.1"), ControllerHost.of(name + "-backup", "127.0.0.2")))
        .withSlurmctldPort(freePort())
        .withMungeSocket(mungeSocket);
    RenderedSlurmConf rendered = new SlurmConfRenderer(VmSizeCatalog.shipped()).render(config, layout);
    for (var file : rendered.files().entrySet()) {
      Files.writeString(etc.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
    }
    Files.createDirectories(layout.stateSaveLocation());
    Files.createDirectories(layout.logDir());
    Files.createDirectories(layout.pidDir());
    Path conf = etc.resolve(RenderedSlurmConf.SLURM_CONF);
    Map<String, String> env = Map.of("SLURM_CONF", conf.toString());

    try (PrivateSlurmctld ctld = PrivateSlurmctld.start(conf, layout.pidDir().resolve("slurmctld.pid"),
        layout.logDir().resolve("slurmctld.log"))) {
      verifyNodes(config, rendered, env);
      verifyPartitions(config, env);
      // Slurm takes cred_expire only from 5 s up; below, it logs "invalid" and keeps 120 s.
      assertThat(run(List.of(scontrol, "show", "config"), env, Duration.ofSeconds(30)).stdout)
          .containsPattern("AuthInfo\\s*=\\s*socket=\\S+,cred_expire=" + SlurmConfRenderer.LOCAL_CRED_EXPIRE_SECONDS + "\\b");
      assertThat(Files.readString(layout.logDir().resolve("slurmctld.log"))).doesNotContain("cred_expire");
    }
    return rendered;
  }

  private void verifyNodes(ClusterConfig config, RenderedSlurmConf rendered, Map<String, String> env) throws Exception {
    Map<String, Map<String, String>> nodes = records(run(List.of(scontrol, "-o", "show", "node"), env, Duration.ofSeconds(30)), "NodeName");
    lastNodes = nodes;
    VmSizeCatalog sizes = VmSizeCatalog.shipped().withDeclared(config.slipway().vmSizes());
    for (ElasticPartition partition : config.slurm().options().elasticPartitions()) {
      for (ElasticPool pool : partition.pools()) {
        PoolNodeSpec spec = new PoolNodeSpec(partition, pool, sizes.find(pool.vmSize().orElseThrow()).orElseThrow(), true);
        for (int i = 0; i < pool.maxComputeNodes(); i++) {
          String host = pool.hostName(i);
          Map<String, String> node = nodes.get(host);
          assertThat(node).as("node %s in scontrol show node", host).isNotNull();
          assertThat(node.get("CPUTot")).as("%s CPUs", host).isEqualTo(String.valueOf(spec.cpus()));
          assertThat(node.get("RealMemory")).as("%s RealMemory", host).isEqualTo(String.valueOf(spec.realMemoryMiB()));
          assertThat(node.get("AvailableFeatures")).as("%s features", host).isEqualTo(String.join(",", spec.features()));
          assertThat(node.get("Gres")).as("%s Gres", host).isEqualTo(spec.gres().orElse("(null)"));
          assertThat(node.get("Weight")).as("%s Weight", host).isEqualTo(String.valueOf(pool.weight()));
          assertThat(node.get("State")).as("%s State", host).contains("CLOUD");
          assertThat(node.get("Partitions")).as("%s partitions", host).isEqualTo(partition.name());
        }
      }
    }
    if (!config.slurm().options().unmanagedPartitions().isEmpty()) {
      assertThat(nodes).as("unmanaged nodes").containsKeys("onprem-0", "onprem-1");
    }
    int expected = config.slurm().options().elasticPartitions().stream().flatMap(p -> p.pools().stream())
        .mapToInt(ElasticPool::maxComputeNodes).sum() + (config.slurm().options().unmanagedPartitions().isEmpty() ? 0 : 2);
    assertThat(nodes).as("every node and no other").hasSize(expected);
  }

  private void verifyPartitions(ClusterConfig config, Map<String, String> env) throws Exception {
    Map<String, Map<String, String>> parts = records(run(List.of(scontrol, "-o", "show", "partition"), env, Duration.ofSeconds(30)), "PartitionName");
    List<String> expectedNames = new ArrayList<>();
    for (ElasticPartition partition : config.slurm().options().elasticPartitions()) {
      expectedNames.add(partition.name());
      Map<String, String> p = parts.get(partition.name());
      assertThat(p).as("partition %s", partition.name()).isNotNull();
      assertThat(p.get("Nodes")).isEqualTo(partition.pools().stream().map(ElasticPool::hostListExpression).collect(Collectors.joining(",")));
      assertThat(p.get("Default")).isEqualTo(partition.isDefault() ? "YES" : "NO");
      assertThat(p.get("State")).isEqualTo("UP");
      assertThat(p.get("TotalNodes")).isEqualTo(String.valueOf(partition.pools().stream().mapToInt(ElasticPool::maxComputeNodes).sum()));
      String maxTime = partition.maxRuntimeLimit().equals("UNLIMITED") ? "UNLIMITED" : partition.maxRuntimeLimit();
      assertThat(p.get("MaxTime")).isEqualTo(maxTime);
      partition.priorityTier().ifPresent(t -> assertThat(p.get("PriorityTier")).isEqualTo(String.valueOf(t)));
      partition.preemptMode().ifPresent(m -> assertThat(p.get("PreemptMode")).isEqualTo(m));
      assertThat(p.get("DefMemPerCPU")).as("DefMemPerCPU of %s", partition.name()).isNotNull();
    }
    if (!config.slurm().options().unmanagedPartitions().isEmpty()) {
      expectedNames.add("onprem");
      assertThat(parts.get("onprem").get("Nodes")).isEqualTo("onprem-[0-1]");
    }
    assertThat(parts.keySet()).containsExactlyInAnyOrderElementsOf(expectedNames);
  }

  /** Parses {@code scontrol -o} output: one record per line, {@code Key=Value} separated by spaces. */
  private static Map<String, Map<String, String>> records(Result r, String idKey) {
    assertThat(r.exitCode).as("scontrol: %s", r.stderr).isZero();
    Map<String, Map<String, String>> out = new HashMap<>();
    for (String line : r.stdout.lines().filter(l -> !l.isBlank()).toList()) {
      Map<String, String> rec = new HashMap<>();
      for (String field : line.trim().split("\\s+")) {
        int eq = field.indexOf('=');
        if (eq > 0) {
          rec.putIfAbsent(field.substring(0, eq), field.substring(eq + 1));
        }
      }
      out.put(rec.get(idKey), rec);
    }
    return out;
  }

  // ---- processes

  private record Result(int exitCode, String stdout, String stderr) {}

  private static Result run(List<String> cmd, Map<String, String> env, Duration timeout) throws IOException, InterruptedException {
    Path out = Files.createTempFile("slipway-it", ".out");
    Path err = Files.createTempFile("slipway-it", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        stop(p);
        return new Result(-1, Files.readString(out), "timed out after " + timeout + ": " + Files.readString(err));
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** SIGTERM, then SIGKILL after 10 s; only this process (by its PID). */
  private static void stop(Process p) {
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static int uid() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue();
    } catch (IOException | UnsupportedOperationException e) {
      return -1;
    }
  }

  private static Optional<String> find(String program) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, program)).filter(Files::isExecutable).map(Path::toString).findFirst();
  }
}
