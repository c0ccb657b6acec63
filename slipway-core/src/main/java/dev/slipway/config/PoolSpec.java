package dev.slipway.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What Slipway uses of a Batch Shipyard pool.yaml {@code pool_specification}: enough to create
 * a Batch pool for Slurm and to know its VM size.
 *
 * @param nodeSetup how each node is prepared besides joining Slurm (custom image, prep commands,
 *     container runtime, GPU driver, resize timeout); {@link NodeSetup#NONE} when pool.yaml says nothing
 */
public record PoolSpec(
    String id,
    Optional<String> vmSize,
    int dedicatedCount,
    int lowPriorityCount,
    Optional<String> imagePublisher,
    Optional<String> imageOffer,
    Optional<String> imageSku,
    Optional<String> virtualNetworkName,
    Optional<String> subnetName,
    Optional<String> subnetAddressPrefix,
    Optional<String> armSubnetId,
    boolean interNodeCommunication,
    NodeSetup nodeSetup) {
  public PoolSpec {
    Objects.requireNonNull(nodeSetup, "nodeSetup");
  }

  /** The pool without node setup settings (kept so that callers written before nodeSetup still compile). */
  public PoolSpec(String id, Optional<String> vmSize, int dedicatedCount, int lowPriorityCount, Optional<String> imagePublisher,
      Optional<String> imageOffer, Optional<String> imageSku, Optional<String> virtualNetworkName, Optional<String> subnetName,
      Optional<String> subnetAddressPrefix, Optional<String> armSubnetId, boolean interNodeCommunication) {
    this(id, vmSize, dedicatedCount, lowPriorityCount, imagePublisher, imageOffer, imageSku, virtualNetworkName, subnetName,
        subnetAddressPrefix, armSubnetId, interNodeCommunication, NodeSetup.NONE);
  }

  /**
   * pool.yaml's node preparation settings as Batch Shipyard spells them.
   *
   * @param imageVersion {@code vm_configuration.platform_image.version}
   * @param customImageId {@code vm_configuration.custom_image.arm_image_id}
   * @param nodeAgent {@code vm_configuration.custom_image.node_agent} (Batch's nodeAgentSKUId)
   * @param resizeTimeout {@code resize_timeout}
   * @param prepCommandsPre {@code additional_node_prep.commands.pre}: run before the node joins
   * @param prepCommandsPost {@code additional_node_prep.commands.post}: run after it joined
   * @param prepEnvironment {@code additional_node_prep.environment_variables}
   * @param containerRuntimes {@code container_runtimes.install}
   * @param defaultContainerRuntime {@code container_runtimes.default}
   * @param gpuDriver whether {@code gpu.nvidia_driver} is given
   * @param taskSlotsPerNode {@code task_slots_per_node} (or Batch Shipyard's older {@code max_tasks_per_node})
   * @param virtualNetworkResourceGroup {@code virtual_network.resource_group}
   */
  public record NodeSetup(
      Optional<String> imageVersion,
      Optional<String> customImageId,
      Optional<String> nodeAgent,
      Optional<Duration> resizeTimeout,
      List<String> prepCommandsPre,
      List<String> prepCommandsPost,
      Map<String, String> prepEnvironment,
      List<String> containerRuntimes,
      Optional<String> defaultContainerRuntime,
      boolean gpuDriver,
      Optional<Integer> taskSlotsPerNode,
      Optional<String> virtualNetworkResourceGroup) {
    public static final NodeSetup NONE = new NodeSetup(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        List.of(), List.of(), Map.of(), List.of(), Optional.empty(), false, Optional.empty(), Optional.empty());

    public NodeSetup {
      prepCommandsPre = List.copyOf(prepCommandsPre);
      prepCommandsPost = List.copyOf(prepCommandsPost);
      prepEnvironment = Map.copyOf(prepEnvironment);
      containerRuntimes = List.copyOf(containerRuntimes);
    }
  }
}
