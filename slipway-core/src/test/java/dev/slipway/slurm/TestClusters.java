package dev.slipway.slurm;

import dev.slipway.config.Backend;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigSources;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.config.NetworkSecuritySpec;
import dev.slipway.config.NodeGroupSpec;
import dev.slipway.config.PublicIpSpec;
import dev.slipway.config.SharedVolume;
import dev.slipway.config.SlipwaySettings;
import dev.slipway.config.SlurmClusterSpec;
import dev.slipway.config.SlurmOptions;
import dev.slipway.config.SshSpec;
import dev.slipway.config.UnmanagedPartition;
import dev.slipway.model.NodeType;
import dev.slipway.model.VmSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Builds {@link ClusterConfig}s for tests without YAML: {@link #recipe()} is Batch Shipyard's
 * Slurm+NFS recipe, {@link #rich()} exercises every rendering rule.
 */
public final class TestClusters {
  private String clusterId = "myslurmcluster";
  private Backend backend = Backend.AZURE;
  private int controllers = 1;
  private Duration idleReclaim = Duration.ofMinutes(30);
  private boolean accounting;
  private Optional<Duration> slurmctldTimeout = Optional.empty();
  private Optional<Duration> credExpire = Optional.empty();
  private final List<VmSize> vmSizes = new ArrayList<>();
  private final List<ElasticPartition> partitions = new ArrayList<>();
  private final List<UnmanagedPartition> unmanaged = new ArrayList<>();
  private final List<SharedVolume> volumes = new ArrayList<>(List.of(new SharedVolume("nfs", "/shared", true)));

  public static TestClusters builder() {
    return new TestClusters();
  }

  /** recipes/Slurm+NFS: one default partition, pool slurmpool of 32 STANDARD_F2 nodes, 4 never reclaimed. */
  public static ClusterConfig recipe() {
    return builder()
        .partition(partition("mypart1", true, pool("slurmpool", NodeType.DEDICATED, 32, 0, 4, "STANDARD_F2")))
        .build();
  }

  /**
   * Two elastic partitions (one of a dedicated and a low-priority pool, one of V100 GPU nodes with
   * InfiniBand), an unmanaged on-premises partition, two controllers and accounting.
   */
  public static ClusterConfig rich() {
    return richBuilder().build();
  }

  /** {@link #rich()} before {@link #build()}, to vary it. */
  public static TestClusters richBuilder() {
    ElasticPartition cpu = new ElasticPartition("cpu",
        List.of(
            new ElasticPool("cpuded", "cpuded", Optional.empty(), NodeType.DEDICATED, 40, 10, List.of("intel", "fast"), 2, Optional.of("Standard_D8s_v3")),
            new ElasticPool("cpulow", "cpulow", Optional.empty(), NodeType.LOW_PRIORITY, 64, 20, List.of("intel"), 0, Optional.of("standard_d8s_v3"))),
        "1-12:00:00", true, Optional.of("preempt/partition_prio"), Optional.of("REQUEUE"), Optional.of("NO"), OptionalInt.of(5),
        List.of("ExclusiveUser=NO"));
    ElasticPartition gpu = new ElasticPartition("gpu",
        List.of(new ElasticPool("gpupool", "gpu", Optional.empty(), NodeType.DEDICATED, 8, 100, List.of(), 1, Optional.of("STANDARD_NC24RS_V3"))),
        "UNLIMITED", false, Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.of(10), List.of());
    return builder()
        .clusterId("Rich-Cluster")
        .controllers(2)
        .accounting(true)
        .idleReclaim(Duration.ofMinutes(15))
        .partition(cpu)
        .partition(gpu)
        .unmanaged(new UnmanagedPartition("PartitionName=onprem Nodes=onprem-[0-1] Default=NO MaxTime=UNLIMITED State=UP",
            List.of("NodeName=onprem-[0-1] NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN")));
  }

  public static ElasticPartition partition(String name, boolean isDefault, ElasticPool... pools) {
    return new ElasticPartition(name, List.of(pools), "UNLIMITED", isDefault, Optional.empty(), Optional.empty(),
        Optional.empty(), OptionalInt.empty(), List.of());
  }

  public static ElasticPool pool(String id, NodeType type, int max, int weight, int reclaimExclude, String vmSize) {
    return new ElasticPool(id, id, Optional.empty(), type, max, weight, List.of(), reclaimExclude, Optional.ofNullable(vmSize));
  }

  public TestClusters clusterId(String id) {
    this.clusterId = id;
    return this;
  }

  public TestClusters backend(Backend b) {
    this.backend = b;
    return this;
  }

  public TestClusters controllers(int n) {
    this.controllers = n;
    return this;
  }

  public TestClusters idleReclaim(Duration d) {
    this.idleReclaim = d;
    return this;
  }

  public TestClusters credExpire(Duration lifetime) {
    this.credExpire = Optional.of(lifetime);
    return this;
  }

  public TestClusters slurmctldTimeout(Duration timeout) {
    this.slurmctldTimeout = Optional.of(timeout);
    return this;
  }

  public TestClusters accounting(boolean on) {
    this.accounting = on;
    return this;
  }

  public TestClusters vmSize(VmSize size) {
    vmSizes.add(size);
    return this;
  }

  public TestClusters partition(ElasticPartition p) {
    partitions.add(p);
    return this;
  }

  public TestClusters unmanaged(UnmanagedPartition u) {
    unmanaged.add(u);
    return this;
  }

  public TestClusters volumes(SharedVolume... v) {
    volumes.clear();
    volumes.addAll(List.of(v));
    return this;
  }

  public ClusterConfig build() {
    NodeGroupSpec controller = group("shipyardadmin", controllers);
    NodeGroupSpec login = group("shipyard", 1);
    SlurmClusterSpec slurm = new SlurmClusterSpec(clusterId, Optional.of("mystorageaccount"), Optional.of("eastus"),
        Optional.of("my-resource-group"), controller, login, volumes, new SlurmOptions(idleReclaim, partitions, unmanaged));
    SlipwaySettings slipway = new SlipwaySettings(backend, Duration.ofMinutes(10), Duration.ofMinutes(5), accounting, vmSizes, 8443,
        new SlipwaySettings.LocalSettings("10.99.0.0/24", Optional.empty(), Duration.ZERO), slurmctldTimeout, credExpire);
    return new ClusterConfig(new ConfigSources(Path.of("/config/slurm.yaml"), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()),
        slurm, slipway, Optional.empty(), Optional.empty(), Map.of(), Optional.empty());
  }

  private static NodeGroupSpec group(String user, int count) {
    return new NodeGroupSpec(new SshSpec(user, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()),
        PublicIpSpec.DEFAULT, Optional.empty(), new NetworkSecuritySpec(List.of("*"), List.of()), "STANDARD_D2_V2", count, false,
        Optional.empty());
  }
}
