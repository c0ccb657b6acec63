package dev.slipway.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.config.Backend;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.config.SharedVolume;
import dev.slipway.config.UnmanagedPartition;
import dev.slipway.model.NodeType;
import dev.slipway.model.VmSize;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class SlurmConfRendererTest {
  private static final Path LOCAL_DIR = Path.of("/var/lib/slipway/clusters/myslurmcluster");
  private final SlurmConfRenderer renderer = new SlurmConfRenderer(VmSizeCatalog.shipped());

  private RenderedSlurmConf renderAzure(ClusterConfig config) {
    return renderer.render(config, SlurmLayout.forAzure(config));
  }

  private RenderedSlurmConf renderLocal(ClusterConfig config) {
    return renderer.render(config, SlurmLayout.forLocal(config, LOCAL_DIR, List.of("10.99.0.2", "10.99.0.3")));
  }

  private static List<String> lines(String text, String prefix) {
    return text.lines().filter(l -> l.startsWith(prefix)).toList();
  }

  // ---- golden files: the whole output, so any change to it is a reviewed change

  @Test
  void recipe_onAzure_matchesGoldenFiles() throws IOException {
    RenderedSlurmConf r = renderAzure(TestClusters.recipe());
    Golden.assertMatches("recipe-azure/slurm.conf", r.slurmConf());
    Golden.assertMatches("recipe-azure/cgroup.conf", r.cgroupConf());
    assertThat(r.gresConf()).isEmpty();
  }

  @Test
  void rich_onAzure_matchesGoldenFiles() throws IOException {
    RenderedSlurmConf r = renderAzure(TestClusters.rich());
    Golden.assertMatches("rich-azure/slurm.conf", r.slurmConf());
    Golden.assertMatches("rich-azure/gres.conf", r.gresConf().orElseThrow());
    Golden.assertMatches("rich-azure/cgroup.conf", r.cgroupConf());
  }

  @Test
  void rich_onLocal_matchesGoldenFiles() throws IOException {
    RenderedSlurmConf r = renderLocal(TestClusters.rich());
    Golden.assertMatches("rich-local/slurm.conf", r.slurmConf());
    Golden.assertMatches("rich-local/gres.conf", r.gresConf().orElseThrow());
    Golden.assertMatches("rich-local/cgroup.conf", r.cgroupConf());
  }

  @Test
  void render_isDeterministic() {
    assertThat(renderAzure(TestClusters.rich())).isEqualTo(renderAzure(TestClusters.rich()));
  }

  // ---- node lines

  @Test
  void nodeLine_carriesCpusMemoryGresAndFeaturesInBatchShipyardOrder() {
    String conf = renderAzure(TestClusters.rich()).slurmConf();
    assertThat(lines(conf, "NodeName=gpu-")).containsExactly(
        "NodeName=gpu-[0-7] CPUs=24 RealMemory=435814 Gres=gpu:tesla_v100:4 Weight=100 "
            + "Feature=dedicated,standard_nc24rs_v3,gpu,tesla_v100,rdma,fdr_ib State=CLOUD");
    assertThat(lines(conf, "NodeName=cpuded-")).singleElement().asString()
        .contains("Feature=intel,fast,dedicated,standard_d8s_v3 ");
    assertThat(lines(conf, "NodeName=cpulow-")).singleElement().asString()
        .contains("Feature=intel,low_priority,standard_d8s_v3 ");
  }

  @Test
  void realMemory_keepsMax512MiBOr5PercentForTheSystem() {
    assertThat(PoolNodeSpec.realMemoryMiB(4096)).isEqualTo(4096 - 512);
    assertThat(PoolNodeSpec.realMemoryMiB(10240)).isEqualTo(10240 - 512);
    assertThat(PoolNodeSpec.realMemoryMiB(10260)).isEqualTo(10260 - 513);
    assertThat(PoolNodeSpec.realMemoryMiB(458752)).isEqualTo(458752 - 22938);
  }

  @Test
  void treeWidth_isSlurmsMaximum_notTheLargestPool() {
    assertThat(lines(renderAzure(TestClusters.recipe()).slurmConf(), "TreeWidth=")).containsExactly("TreeWidth=65533");
  }

  @Test
  void suspendExcNodes_listsTheFirstHostsOfEachPool() {
    assertThat(lines(renderAzure(TestClusters.recipe()).slurmConf(), "SuspendExcNodes=")).containsExactly("SuspendExcNodes=slurmpool-[0-3]");
    assertThat(lines(renderAzure(TestClusters.rich()).slurmConf(), "SuspendExcNodes=")).containsExactly("SuspendExcNodes=cpuded-[0-1],gpu-0");
  }

  @Test
  void suspendExcNodes_isOmittedWhenNoPoolKeepsHosts() {
    ClusterConfig config = TestClusters.builder()
        .partition(TestClusters.partition("p", true, TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "standard_f2")))
        .build();
    assertThat(lines(renderAzure(config).slurmConf(), "SuspendExcNodes")).isEmpty();
  }

  @Test
  void slurmctldTimeout_ofALocalPair_isShortSoTheBackupTakesOverInSeconds() {
    ClusterConfig pair = TestClusters.builder().controllers(2).backend(Backend.LOCAL).build();
    assertThat(lines(renderLocal(pair).slurmConf(), "SlurmctldTimeout=")).containsExactly("SlurmctldTimeout=10");
  }

  @Test
  void slurmctldTimeout_isOmittedForOneControllerAndForAnAzurePair_unlessConfigured() {
    assertThat(lines(renderAzure(TestClusters.builder().controllers(2).build()).slurmConf(), "SlurmctldTimeout")).isEmpty();
    ClusterConfig single = TestClusters.builder().controllers(1).backend(Backend.LOCAL).build();
    assertThat(lines(renderer.render(single, SlurmLayout.forLocal(single, LOCAL_DIR, List.of("10.99.0.2"))).slurmConf(), "SlurmctldTimeout"))
        .isEmpty();
    ClusterConfig configured = TestClusters.builder().controllers(2).slurmctldTimeout(Duration.ofSeconds(45)).build();
    assertThat(lines(renderAzure(configured).slurmConf(), "SlurmctldTimeout=")).containsExactly("SlurmctldTimeout=45");
    assertThat(lines(renderLocal(configured).slurmConf(), "SlurmctldTimeout=")).containsExactly("SlurmctldTimeout=45");
  }

  @Test
  void credExpire_isShortOnTheLocalLayout_soARequeuedJobRestartsSoon() {
    ClusterConfig config = TestClusters.builder().backend(Backend.LOCAL).build();
    assertThat(lines(renderLocal(config).slurmConf(), "AuthInfo=")).containsExactly("AuthInfo=cred_expire=30");
    Path socket = Path.of("/c/munge/munged.socket");
    SlurmLayout withSocket = SlurmLayout.forLocal(config, LOCAL_DIR, List.of("10.99.0.2")).withMungeSocket(socket);
    assertThat(lines(renderer.render(config, withSocket).slurmConf(), "AuthInfo="))
        .containsExactly("AuthInfo=socket=" + socket + ",cred_expire=30");
  }

  @Test
  void credExpire_keepsSlurmsDefaultOnAzure_unlessConfigured() {
    assertThat(lines(renderAzure(TestClusters.builder().build()).slurmConf(), "AuthInfo")).isEmpty();
    ClusterConfig configured = TestClusters.builder().credExpire(Duration.ofSeconds(45)).build();
    assertThat(lines(renderAzure(configured).slurmConf(), "AuthInfo=")).containsExactly("AuthInfo=cred_expire=45");
    assertThat(lines(renderLocal(configured).slurmConf(), "AuthInfo=")).containsExactly("AuthInfo=cred_expire=45");
  }

  @Test
  void timers_comeFromIdleReclaimTimeAndSlipwaySettings() {
    String conf = renderAzure(TestClusters.recipe()).slurmConf();
    assertThat(conf).contains("\nSuspendTime=1800\n", "\nSuspendTimeout=300\n", "\nResumeTimeout=600\n", "\nResumeRate=0\n", "\nSuspendRate=0\n");
  }

  @Test
  void idleReclaimTime_ofZero_isRejected() {
    ClusterConfig config = TestClusters.builder().idleReclaim(Duration.ZERO)
        .partition(TestClusters.partition("p", true, TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "standard_f2")))
        .build();
    assertThatThrownBy(() -> renderAzure(config)).isInstanceOf(ConfigException.class).hasMessageContaining("idle_reclaim_time");
  }

  // ---- VM sizes

  @Test
  void unknownVmSize_isAConfigErrorThatSaysHowToDeclareIt() {
    ClusterConfig config = TestClusters.builder()
        .partition(TestClusters.partition("p", true, TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "Standard_Future_v9")))
        .build();
    assertThatThrownBy(() -> renderAzure(config)).isInstanceOfSatisfying(ConfigException.class, e -> {
      ConfigProblem p = e.problems().get(0);
      assertThat(p.keyPath()).isEqualTo("slurm.slurm_options.elastic_partitions.p.batch_pools.a.vm_size");
      assertThat(p.format()).contains("Standard_Future_v9", "slipway: vm_sizes: - {name: Standard_Future_v9, vcpus: <n>, memory_mib: <n>");
    });
  }

  @Test
  void declaredVmSize_isUsedForAnUnknownSize() {
    ClusterConfig config = TestClusters.builder()
        .vmSize(new VmSize("Standard_Future_v9", 16, 65536, 2, Optional.of("h200"), Optional.of("ndr_ib")))
        .partition(TestClusters.partition("p", true, TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "STANDARD_FUTURE_V9")))
        .build();
    assertThat(lines(renderAzure(config).slurmConf(), "NodeName=")).containsExactly(
        "NodeName=a-[0-3] CPUs=16 RealMemory=62259 Gres=gpu:h200:2 Weight=0 Feature=dedicated,standard_future_v9,gpu,h200,rdma,ndr_ib State=CLOUD");
  }

  @Test
  void absentVmSize_onAzure_isAConfigError() {
    ClusterConfig config = TestClusters.builder()
        .partition(TestClusters.partition("p", true, TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, null)))
        .build();
    assertThatThrownBy(() -> renderAzure(config)).isInstanceOf(ConfigException.class).hasMessageContaining("has no VM size");
  }

  @Test
  void absentVmSize_onLocal_usesTheSmallDefaultWithoutASizeFeature() {
    ClusterConfig config = TestClusters.builder().backend(Backend.LOCAL)
        .partition(TestClusters.partition("p", true, TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, null)))
        .build();
    assertThat(lines(renderLocal(config).slurmConf(), "NodeName=")).containsExactly(
        "NodeName=a-[0-3] CPUs=1 RealMemory=1536 Weight=0 Feature=dedicated State=CLOUD");
  }

  @Test
  void allProblems_areReportedAtOnce() {
    ClusterConfig config = TestClusters.builder()
        .partition(TestClusters.partition("p", true,
            TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "standard_nope"),
            TestClusters.pool("b", NodeType.DEDICATED, 4, 0, 0, "standard_nope2")))
        .unmanaged(new UnmanagedPartition("Partition=x", List.of("Node=y")))
        .build();
    assertThatThrownBy(() -> renderAzure(config)).isInstanceOfSatisfying(ConfigException.class,
        e -> assertThat(e.problems()).hasSize(4));
  }

  // ---- partitions

  @Test
  void partitionLine_hasNodesDefaultLimitsAndUserOptions() {
    String conf = renderAzure(TestClusters.rich()).slurmConf();
    assertThat(lines(conf, "PartitionName=")).containsExactly(
        "PartitionName=cpu Nodes=cpuded-[0-39],cpulow-[0-63] Default=YES MaxTime=1-12:00:00 DefMemPerCPU=3891 PreemptMode=REQUEUE "
            + "OverSubscribe=NO PriorityTier=5 ExclusiveUser=NO State=UP",
        "PartitionName=gpu Nodes=gpu-[0-7] Default=NO MaxTime=UNLIMITED DefMemPerCPU=18158 PriorityTier=10 State=UP",
        "PartitionName=onprem Nodes=onprem-[0-1] Default=NO MaxTime=UNLIMITED State=UP");
  }

  @Test
  void preemptType_isClusterWide_becauseSlurmctldRejectsItOnPartitionLines() {
    String conf = renderAzure(TestClusters.rich()).slurmConf();
    assertThat(lines(conf, "PreemptType=")).containsExactly("PreemptType=preempt/partition_prio");
    assertThat(lines(conf, "PreemptMode=")).containsExactly("PreemptMode=REQUEUE");
    assertThat(lines(conf, "PartitionName=")).noneMatch(l -> l.contains("PreemptType"));
  }

  @Test
  void conflictingPreemptTypes_areRejected() {
    ClusterConfig config = TestClusters.builder()
        .partition(withPreempt(TestClusters.partition("p", true, TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "standard_f2")), "preempt/partition_prio"))
        .partition(withPreempt(TestClusters.partition("q", false, TestClusters.pool("b", NodeType.DEDICATED, 4, 0, 0, "standard_f2")), "preempt/qos"))
        .build();
    assertThatThrownBy(() -> renderAzure(config)).isInstanceOf(ConfigException.class).hasMessageContaining("one PreemptType per cluster");
  }

  private static ElasticPartition withPreempt(ElasticPartition p, String type) {
    return new ElasticPartition(p.name(), p.pools(), p.maxRuntimeLimit(), p.isDefault(), Optional.of(type), p.preemptMode(),
        p.overSubscribe(), p.priorityTier(), p.otherOptions());
  }

  @Test
  void otherOptions_thatSetWhatSlipwayWrites_areRejected() {
    ElasticPartition p = new ElasticPartition("p", List.of(TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "standard_f2")),
        "UNLIMITED", true, Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), List.of("Nodes=x-[0-3]", "Shared YES"));
    assertThatThrownBy(() -> renderAzure(TestClusters.builder().partition(p).build()))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(2));
  }

  @Test
  void otherOptions_withOwnStateAndDefMem_replaceSlipwaysDefaults() {
    ElasticPartition p = new ElasticPartition("p", List.of(TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "standard_f2")),
        "UNLIMITED", true, Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), List.of("DefMemPerNode=1000", "State=DOWN"));
    assertThat(lines(renderAzure(TestClusters.builder().partition(p).build()).slurmConf(), "PartitionName=")).containsExactly(
        "PartitionName=p Nodes=a-[0-3] Default=YES MaxTime=UNLIMITED DefMemPerNode=1000 State=DOWN");
  }

  @Test
  void samePoolInTwoPartitions_isRejected_insteadOfDefiningNodesTwice() {
    ElasticPool pool = TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "standard_f2");
    ClusterConfig config = TestClusters.builder()
        .partition(TestClusters.partition("p", true, pool))
        .partition(TestClusters.partition("q", false, pool))
        .build();
    assertThatThrownBy(() -> renderAzure(config)).isInstanceOf(ConfigException.class).hasMessageContaining("host prefix 'a'");
  }

  @Test
  void unmanagedLines_mustBeCompleteSlurmLines() {
    ClusterConfig config = TestClusters.builder()
        .partition(TestClusters.partition("p", true, TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "standard_f2")))
        .unmanaged(new UnmanagedPartition("PartitionName=x Nodes=y\nNodeName=evil", List.of("NodeName=y CPUs=1")))
        .build();
    assertThatThrownBy(() -> renderAzure(config)).isInstanceOf(ConfigException.class).hasMessageContaining("more than one line");
  }

  // ---- cluster-wide settings

  @Test
  void clusterName_isTheSanitizedClusterId() {
    assertThat(SlurmConfRenderer.clusterName("My-Slurm.Cluster")).isEqualTo("my_slurm_cluster");
    assertThat(lines(renderAzure(TestClusters.rich()).slurmConf(), "ClusterName=")).containsExactly("ClusterName=rich_cluster");
  }

  @Test
  void azureLayout_hasOneSlurmctldHostPerControllerAndStateOnTheSharedVolume() {
    String conf = renderAzure(TestClusters.rich()).slurmConf();
    assertThat(lines(conf, "SlurmctldHost=")).containsExactly(
        "SlurmctldHost=rich-cluster-controller-vm000", "SlurmctldHost=rich-cluster-controller-vm001");
    assertThat(lines(conf, "StateSaveLocation=")).containsExactly("StateSaveLocation=/shared/.slurmctld_state");
  }

  @Test
  void azureLayout_withoutAStateVolume_isAConfigError() {
    ClusterConfig config = TestClusters.builder().volumes(new SharedVolume("nfs", "/shared", false))
        .partition(TestClusters.partition("p", true, TestClusters.pool("a", NodeType.DEDICATED, 4, 0, 0, "standard_f2")))
        .build();
    assertThatThrownBy(() -> SlurmLayout.forAzure(config)).isInstanceOf(ConfigException.class).hasMessageContaining("store_slurmctld_state");
  }

  @Test
  void accounting_addsSlurmdbdSettings_onlyWhenEnabled() {
    assertThat(renderAzure(TestClusters.rich()).slurmConf()).contains(
        "AccountingStorageType=accounting_storage/slurmdbd\nAccountingStorageHost=rich-cluster-controller-vm000\nAccountingStoragePort=6819\n");
    assertThat(renderAzure(TestClusters.recipe()).slurmConf()).doesNotContain("AccountingStorage").contains("JobAcctGatherType=jobacct_gather/none");
  }

  @Test
  void accounting_withOwnMungeSocket_authenticatesToSlurmdbdThroughIt() {
    ClusterConfig config = TestClusters.rich();
    Path socket = Path.of("/var/lib/slipway/rich/munge/munged.socket");
    SlurmLayout layout = SlurmLayout.forLocal(config, LOCAL_DIR, List.of("10.99.0.2")).withMungeSocket(socket);
    String conf = renderer.render(config, layout).slurmConf();
    assertThat(conf).contains("\nAuthInfo=socket=" + socket + ",cred_expire=30\n", "\nAccountingStoragePass=" + socket + "\n");
    String withoutAccounting = renderer.render(TestClusters.richBuilder().accounting(false).build(), layout).slurmConf();
    assertThat(withoutAccounting).contains("AuthInfo=socket=").doesNotContain("AccountingStoragePass");
  }

  @Test
  void gresConf_namesDevicesOnAzure_andCountsOnSharedMachines() {
    assertThat(lines(renderAzure(TestClusters.rich()).gresConf().orElseThrow(), "NodeName="))
        .containsExactly("NodeName=gpu-[0-7] Name=gpu Type=tesla_v100 File=/dev/nvidia[0-3]");
    assertThat(lines(renderLocal(TestClusters.rich()).gresConf().orElseThrow(), "NodeName="))
        .containsExactly("NodeName=gpu-[0-7] Name=gpu Type=tesla_v100 Count=4");
  }

  @Test
  void localLayout_letsNodesPresentResourcesTheMachineLacks() {
    String conf = renderLocal(TestClusters.rich()).slurmConf();
    assertThat(conf).contains("\nSlurmdParameters=config_overrides\n", "\nTaskPlugin=task/none\n",
        "\nSlurmctldHost=rich-cluster-controller-vm000(10.99.0.2)\nSlurmctldHost=rich-cluster-controller-vm001(10.99.0.3)\n",
        "\nPrologSlurmctld=" + LOCAL_DIR + "/libexec/slipway-prolog-slurmctld\n");
    assertThat(renderAzure(TestClusters.rich()).slurmConf()).doesNotContain("config_overrides", "PrologSlurmctld");
  }

  /** Compares with files under src/test/resources/dev/slipway/slurm/golden; -Dslipway.golden.update=true rewrites them. */
  static final class Golden {
    static void assertMatches(String name, String actual) throws IOException {
      if (Boolean.getBoolean("slipway.golden.update")) {
        Path file = Path.of("src/test/resources/dev/slipway/slurm/golden").resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, actual, StandardCharsets.UTF_8);
        return;
      }
      try (InputStream in = SlurmConfRendererTest.class.getResourceAsStream("golden/" + name)) {
        assertThat(in).as("golden file golden/%s (create it with -Dslipway.golden.update=true)", name).isNotNull();
        assertThat(actual).isEqualTo(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }
}
