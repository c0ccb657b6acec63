package dev.slipway.azure.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchVmExtension;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import dev.slipway.model.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchPoolTemplateTest {
  static final Secret TOKEN = Secret.of("tok-123");
  /** A pin in curl's format: public, it goes into the pool's environment. */
  static final String PIN = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

  @TempDir Path dir;

  static BatchPoolSpec template(ClusterConfig c) {
    return ClusterPools.template(c, c.poolSpecs().values().iterator().next(), TOKEN, PIN, Optional.empty());
  }

  @Test
  void recipePool_becomesAnEmptyFixedPool_withTheUbuntuAgentSubnetAndOwnership() {
    BatchPoolSpec spec = template(PoolFixtures.recipeConfig());

    assertThat(spec.id()).isEqualTo("slurmpool");
    assertThat(spec.vmSize()).isEqualTo("STANDARD_F2");
    assertThat(spec.imagePublisher()).contains("Canonical");
    assertThat(spec.imageOffer()).contains("UbuntuServer");
    assertThat(spec.imageSku()).contains("18.04-LTS");
    assertThat(spec.nodeAgentSkuId()).isEqualTo("batch.node.ubuntu 18.04");
    assertThat(spec.targetDedicatedNodes()).isZero();
    assertThat(spec.targetLowPriorityNodes()).isZero();
    assertThat(spec.resizeTimeout()).isEqualTo(Duration.ofMinutes(15));
    assertThat(spec.taskSlotsPerNode()).isEqualTo(1);
    assertThat(spec.subnetId()).contains("/subscriptions/<subscription id>/resourceGroups/my-resource-group"
        + "/providers/Microsoft.Network/virtualNetworks/myvnet/subnets/batch-nodes");
    assertThat(spec.metadata()).containsEntry(PoolOwnership.CLUSTER, "myslurmcluster").containsEntry(PoolOwnership.MANAGED_BY, "slipway");
    assertThat(spec.containerType()).isEmpty();
    assertThat(spec.extensions()).isEmpty();
    assertThat(spec.startTask().orElseThrow().environment())
        .containsEntry("SLIPWAY_JOIN_URLS", "https://myslurmcluster-controller-vm000:6820")
        .containsEntry("SLIPWAY_JOIN_PIN", PIN)
        .containsEntry("SLIPWAY_CLUSTER_ID", "myslurmcluster")
        .containsEntry("SLIPWAY_POOL_ID", "slurmpool")
        .containsEntry("SLIPWAY_JOIN_TOKEN", "tok-123");
  }

  @Test
  void startTask_keepsTheTokenOffTheCommandLine_andCarriesNoMungeKey() {
    BatchPoolSpec spec = template(PoolFixtures.recipeConfig());

    assertThat(spec.startTask().orElseThrow().commandLine()).isEqualTo(NodeStartTask.COMMAND_LINE).doesNotContain("tok-123");
    assertThat(spec.startTask().orElseThrow().environment().keySet()).noneMatch(k -> k.contains("MUNGE"));
    assertThat(spec.startTask().orElseThrow().elevated()).isTrue();
    assertThat(spec.startTask().orElseThrow().waitForSuccess()).isTrue();
  }

  @Test
  void poolYamlNodeSettings_mapToCustomImageResizeTimeoutContainerRuntimeGpuDriverAndInterNode() {
    ClusterConfig c = PoolFixtures.recipeWithPoolYaml(dir, """
        pool_specification:
          id: slurmpool
          vm_size: STANDARD_NC24RS_V3
          vm_count: {dedicated: 0, low_priority: 0}
          inter_node_communication_enabled: true
          resize_timeout: 00:20:00
          task_slots_per_node: 2
          vm_configuration:
            custom_image:
              arm_image_id: /subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/images/slurm
              node_agent: batch.node.ubuntu 22.04
          virtual_network:
            arm_subnet_id: /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/n
          container_runtimes:
            default: runc
          gpu:
            nvidia_driver:
              source: https://example.invalid/driver.run
          additional_node_prep:
            commands:
              pre: [echo pre]
              post: [echo post]
            environment_variables:
              MY_VAR: x
        """);

    BatchPoolSpec spec = template(c);

    assertThat(spec.imageId()).contains("/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/images/slurm");
    assertThat(spec.imagePublisher()).isEmpty();
    assertThat(spec.nodeAgentSkuId()).isEqualTo("batch.node.ubuntu 22.04");
    assertThat(spec.resizeTimeout()).isEqualTo(Duration.ofMinutes(20));
    assertThat(spec.taskSlotsPerNode()).isEqualTo(2);
    assertThat(spec.interNodeCommunication()).isTrue();
    assertThat(spec.subnetId()).contains("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/n");
    assertThat(spec.containerType()).contains("dockerCompatible");
    assertThat(spec.extensions()).containsExactly(BatchVmExtension.NVIDIA_GPU_DRIVER_LINUX);
    assertThat(spec.startTask().orElseThrow().environment()).containsEntry("MY_VAR", "x");
    String script = NodeStartTask.script(c.poolSpecs().get("slurmpool").nodeSetup(), false);
    assertThat(script).contains("\necho pre\n").contains("\necho post\n");
  }

  @Test
  void gpuVmSize_getsTheNvidiaDriverExtension_withoutAskingForIt() {
    ClusterConfig c = PoolFixtures.recipeWithPoolYaml(dir, """
        pool_specification:
          id: slurmpool
          vm_size: STANDARD_NC24RS_V3
          vm_configuration: {platform_image: {publisher: Canonical, offer: 0001-com-ubuntu-server-jammy, sku: 22_04-lts-gen2}}
          virtual_network: {arm_subnet_id: /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/n}
        """);

    BatchPoolSpec spec = template(c);

    assertThat(spec.nodeAgentSkuId()).isEqualTo("batch.node.ubuntu 22.04");
    assertThat(spec.extensions()).containsExactly(BatchVmExtension.NVIDIA_GPU_DRIVER_LINUX);
  }

  @Test
  void everyUnusableSetting_isReportedAtOnce_withItsPoolYamlKey() {
    ClusterConfig c = PoolFixtures.recipeWithPoolYaml(dir, """
        pool_specification:
          id: slurmpool
          vm_size: STANDARD_F2
          vm_count: {dedicated: 2, low_priority: 0}
          resize_timeout: 00:01:00
          vm_configuration:
            custom_image: {arm_image_id: /subscriptions/s/images/x}
          container_runtimes: {install: [kata_containers]}
          additional_node_prep:
            environment_variables: {SLIPWAY_JOIN_URLS: http://evil}
        """);

    assertThatThrownBy(() -> template(c)).isInstanceOfSatisfying(ConfigException.class, e ->
        assertThat(e.problems()).extracting(ConfigProblem::keyPath).containsExactlyInAnyOrder(
            "pool_specification.vm_count",
            "pool_specification.vm_configuration.custom_image.node_agent",
            "pool_specification.virtual_network",
            "pool_specification.resize_timeout",
            "pool_specification.container_runtimes.install",
            "pool_specification.additional_node_prep"));
  }

  @Test
  void unknownPlatformImage_asksForACustomImageWithNodeAgent() {
    ClusterConfig c = PoolFixtures.recipeWithPoolYaml(dir, """
        pool_specification:
          id: slurmpool
          vm_size: STANDARD_F2
          vm_configuration: {platform_image: {publisher: SomeVendor, offer: hpc, sku: "1"}}
          virtual_network: {arm_subnet_id: /s}
        """);

    assertThatThrownBy(() -> template(c)).isInstanceOfSatisfying(ConfigException.class, e ->
        assertThat(e.problems()).singleElement().satisfies(p -> {
          assertThat(p.keyPath()).isEqualTo("pool_specification.vm_configuration.platform_image");
          assertThat(p.format()).contains("SomeVendor/hpc/1").contains("node_agent");
        }));
  }

  @Test
  void nodeAgent_isDerivedForUbuntuDebianAndEl() {
    assertThat(NodeAgentSkus.forPlatformImage("Canonical", "ubuntu-24_04-lts", "server")).contains("batch.node.ubuntu 24.04");
    assertThat(NodeAgentSkus.forPlatformImage("Canonical", "UbuntuServer", "18.04-LTS")).contains("batch.node.ubuntu 18.04");
    assertThat(NodeAgentSkus.forPlatformImage("Debian", "debian-12", "12-gen2")).contains("batch.node.debian 12");
    assertThat(NodeAgentSkus.forPlatformImage("almalinux", "almalinux-x86_64", "9-gen2")).contains("batch.node.el 9");
    assertThat(NodeAgentSkus.forPlatformImage("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter")).isEmpty();
  }

  @Test
  void joinEndpoint_refusesAPinNotInCurlsFormat() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new JoinEndpoint("c1", java.util.List.of("https://h:1"), TOKEN, "abc"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sha256//");
  }

  @Test
  void joinEndpoint_namesEveryControllerInOrder_andMasksTheToken() {
    JoinEndpoint j = JoinEndpoint.forControllers("MyCluster", 2, 6820, TOKEN, PIN);

    assertThat(j.joinUrls()).containsExactly("https://mycluster-controller-vm000:6820", "https://mycluster-controller-vm001:6820");
    assertThat(j.daemonPin()).isEqualTo(PIN);
    assertThat(j.toString()).doesNotContain("tok-123");
  }
}
