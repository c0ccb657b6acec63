package dev.slipway.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.slipway.model.NodeType;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batch Shipyard's own files (recipe, template) and the rich fixture load, with the values they mean. */
class ConfigLoaderFixturesTest {
  private final ConfigLoader loader = new ConfigLoader(ConfigFixture.CATALOG);

  static Path fixture(String name) {
    try {
      return Path.of(ConfigLoaderFixturesTest.class.getResource("/fixtures/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void recipe_loadsAsIs_withPlaceholdersAsPlainStrings() {
    LoadedConfig loaded = loader.loadDirectory(fixture("recipe-slurm-nfs"));
    ClusterConfig c = loaded.config();
    assertThat(loaded.warnings()).isEmpty();
    assertThat(c.slurm().clusterId()).isEqualTo("myslurmcluster");
    assertThat(c.slurm().location()).contains("<Azure region, e.g., eastus>");
    assertThat(c.slurm().controller().vmCount()).isEqualTo(1);
    assertThat(c.slurm().login().ssh().username()).isEqualTo("shipyard");
    assertThat(c.slurm().stateVolume()).contains(new SharedVolume("nfs", "/shared", true));
    SlurmOptions o = c.slurm().options();
    assertThat(o.idleReclaimTime()).isEqualTo(Duration.ofMinutes(30));
    ElasticPartition p = o.elasticPartitions().get(0);
    assertThat(p.name()).isEqualTo("mypart1");
    assertThat(p.isDefault()).isTrue();
    assertThat(p.maxRuntimeLimit()).isEqualTo("UNLIMITED");
    assertThat(p.pools()).containsExactly(new ElasticPool("slurmpool", "slurmpool",
        Optional.of("https://<myaccount>.<region>.batch.azure.com"), NodeType.DEDICATED, 32, 0, List.of(), 4,
        Optional.of("STANDARD_F2")));
    assertThat(c.poolSpecs().get("slurmpool").vmSize()).contains("STANDARD_F2");
    assertThat(c.credentials().orElseThrow().storage()).containsKey("mystorageaccount");
    assertThat(c.credentials().orElseThrow().slurmDbPassword().orElseThrow().reveal()).isEqualTo("<slurm db pass>");
    assertThat(c.global().orElseThrow().sharedDataVolumeDrivers()).containsEntry("nfs", "storage_cluster");
    assertThat(c.remoteFs().orElseThrow().storageClusters().get("nfs").mountpoint()).isEqualTo("/shared");
    assertThat(c.slipway()).isEqualTo(ConfigLoader.defaultSlipwaySettings());
  }

  @Test
  void template_loadsOnceFilled_withYaml11ValuesTranslatedForSlurm() {
    Path dir = fixture("template");
    LoadedConfig loaded = loader.loadDirectory(dir);
    ClusterConfig c = loaded.config();
    SlurmOptions o = c.slurm().options();
    ElasticPartition p1 = o.elasticPartitions().get(0);
    ElasticPartition p2 = o.elasticPartitions().get(1);
    assertThat(p1.overSubscribe()).contains("NO");
    assertThat(p1.maxRuntimeLimit()).isEqualTo("UNLIMITED");
    assertThat(p1.preemptType()).contains("preempt/partition_prio");
    assertThat(p1.preemptMode()).contains("requeue");
    assertThat(p1.priorityTier()).isEqualTo(OptionalInt.of(10));
    assertThat(p1.otherOptions()).isEmpty();
    assertThat(p1.pools()).extracting(ElasticPool::id).containsExactly("mypool1", "mypool2");
    assertThat(p1.pools().get(0).features()).containsExactly("arbitrary_constraint_1");
    assertThat(p1.pools().get(0).reclaimExcludeNumNodes()).isEqualTo(8);
    assertThat(p1.pools().get(1).computeNodeType()).isEqualTo(NodeType.LOW_PRIORITY);
    assertThat(p2.maxRuntimeLimit()).isEqualTo("1-12:00:00");
    assertThat(p2.isDefault()).isFalse();
    assertThat(c.slurm().stateVolume()).contains(new SharedVolume("nfs_server", "/shared", true));
    assertThat(c.slurm().controller().vmCount()).isEqualTo(2);
    assertThat(c.slurm().controller().networkSecurity().customInboundRules()).containsExactly(
        new NetworkSecuritySpec.InboundRule("myrule", "5000-5001", "*", List.of("1.2.3.4", "5.6.7.0/24")));
    assertThat(c.slurm().controller().ssh().generatedFileExportPath()).isEmpty();
    assertThat(o.unmanagedPartitions()).singleElement().satisfies(u -> {
      assertThat(u.partition()).startsWith("PartitionName=onprem ");
      assertThat(u.nodes()).singleElement().asString().startsWith("NodeName=onprem-[0-31] ");
    });
    // No pool says its VM size and there is no pool.yaml: the local backend warns once per pool.
    assertThat(loaded.warnings()).extracting(ConfigProblem::keyPath).containsExactly(
        "slurm.slurm_options.elastic_partitions.partition_1.batch_pools.mypool1",
        "slurm.slurm_options.elastic_partitions.partition_1.batch_pools.mypool2",
        "slurm.slurm_options.elastic_partitions.partition_2.batch_pools.mypool3");
  }

  @Test
  void rich_loadsEverySection() {
    LoadedConfig loaded = loader.loadDirectory(fixture("rich"));
    assertThat(loaded.warnings()).isEmpty();
    ClusterConfig c = loaded.config();
    assertThat(c.slurm().controller().vmCount()).isEqualTo(2);
    assertThat(c.slurm().controller().publicIp()).isEqualTo(new PublicIpSpec(false, false));
    List<ElasticPartition> parts = c.slurm().options().elasticPartitions();
    assertThat(parts).extracting(ElasticPartition::name).containsExactly("cpu", "gpu");
    ElasticPartition cpu = parts.get(0);
    assertThat(cpu.pools()).containsExactly(
        new ElasticPool("cpudedicated", "cpudedicated", Optional.empty(), NodeType.DEDICATED, 64, 10, List.of("avx512"), 2,
            Optional.of("standard_f16s_v2")),
        new ElasticPool("cpu_lowpri", "cpulp", Optional.empty(), NodeType.LOW_PRIORITY, 128, 20, List.of(), 0,
            Optional.of("standard_d64s_v5")));
    assertThat(cpu.maxRuntimeLimit()).isEqualTo("2-00:00:00");
    assertThat(cpu.overSubscribe()).contains("NO");
    assertThat(cpu.otherOptions()).containsExactly("State=UP", "DefMemPerCPU=1024");
    ElasticPartition gpu = parts.get(1);
    assertThat(gpu.pools().get(0).vmSize()).contains("standard_nc24rs_v3");
    assertThat(gpu.maxRuntimeLimit()).isEqualTo("12:00:00");
    assertThat(gpu.otherOptions()).containsExactly("State=UP");
    assertThat(c.slurm().options().unmanagedPartitions()).hasSize(1);
    SlipwaySettings s = c.slipway();
    assertThat(s.backend()).isEqualTo(Backend.LOCAL);
    assertThat(s.resumeTimeout()).isEqualTo(Duration.ofMinutes(15));
    assertThat(s.suspendTimeout()).isEqualTo(Duration.ofMinutes(3));
    assertThat(s.accounting()).isTrue();
    assertThat(s.daemonPort()).isEqualTo(6821);
    assertThat(s.vmSizes()).extracting(v -> v.name()).containsExactly("standard_d64s_v5");
    assertThat(s.local()).isEqualTo(new SlipwaySettings.LocalSettings("10.212.0.0/22", Optional.of("/var/lib/slipway/rich"),
        Duration.ofSeconds(5)));
    assertThat(c.credentials().orElseThrow().slurmDbPassword().orElseThrow().toString()).isEqualTo("********");
  }

  @Test
  void explicitFiles_overrideTheDirectory() {
    ConfigFiles files = ConfigFiles.inDirectory(fixture("recipe-slurm-nfs")).overriddenBy(
        ConfigFiles.none().withCredentials(fixture("rich").resolve("credentials.yaml")));
    ClusterConfig c = loader.load(files).config();
    assertThat(c.slurm().clusterId()).isEqualTo("myslurmcluster");
    assertThat(c.sources().pool()).contains(fixture("recipe-slurm-nfs").resolve("pool.yaml"));
    assertThat(c.sources().credentials()).contains(fixture("rich").resolve("credentials.yaml"));
    assertThat(c.credentials().orElseThrow().storage().get("mystorageaccount").account()).contains("richstorage");
  }
  @Test
  void jsonFiles_loadLikeYaml(@TempDir Path dir) throws IOException {
    Path yaml = fixture("rich").resolve("slurm.yaml");
    JsonNode tree = new YAMLMapper().readTree(yaml.toFile());
    Files.writeString(dir.resolve("slurm.json"), new ObjectMapper().writeValueAsString(tree));
    ClusterConfig fromJson = loader.loadDirectory(dir).config();
    ClusterConfig fromYaml = loader.load(ConfigFiles.none().withSlurm(yaml)).config();
    assertThat(fromJson.sources().slurm()).isEqualTo(dir.resolve("slurm.json"));
    assertThat(fromJson.slurm()).isEqualTo(fromYaml.slurm());
    assertThat(fromJson.slipway()).isEqualTo(fromYaml.slipway());
  }
}
