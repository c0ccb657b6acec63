package dev.slipway.azure.batch;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link BatchClient#addPool} creates: a fixed-size (no autoscale) virtual machine
 * configuration pool. The image is a marketplace reference or, with {@code imageId}, an Azure
 * Compute Gallery / managed image id. {@code containerType} ({@code dockerCompatible} or
 * {@code criCompatible}) makes Batch install a container runtime; {@code extensions} are VM
 * extensions Batch installs on every node (the NVIDIA GPU driver).
 */
public record BatchPoolSpec(
    String id,
    String vmSize,
    Optional<String> imagePublisher,
    Optional<String> imageOffer,
    Optional<String> imageSku,
    Optional<String> imageVersion,
    Optional<String> imageId,
    String nodeAgentSkuId,
    int targetDedicatedNodes,
    int targetLowPriorityNodes,
    Duration resizeTimeout,
    int taskSlotsPerNode,
    boolean interNodeCommunication,
    Optional<String> subnetId,
    Optional<BatchStartTask> startTask,
    Map<String, String> metadata,
    Optional<String> containerType,
    List<BatchVmExtension> extensions) {
  /** Container runtimes Batch installs ({@code ContainerType} in the REST description). */
  public static final List<String> CONTAINER_TYPES = List.of("dockerCompatible", "criCompatible");

  /** A pool without a container runtime or VM extensions. */
  public BatchPoolSpec(String id, String vmSize, Optional<String> imagePublisher, Optional<String> imageOffer,
      Optional<String> imageSku, Optional<String> imageVersion, Optional<String> imageId, String nodeAgentSkuId,
      int targetDedicatedNodes, int targetLowPriorityNodes, Duration resizeTimeout, int taskSlotsPerNode,
      boolean interNodeCommunication, Optional<String> subnetId, Optional<BatchStartTask> startTask, Map<String, String> metadata) {
    this(id, vmSize, imagePublisher, imageOffer, imageSku, imageVersion, imageId, nodeAgentSkuId, targetDedicatedNodes,
        targetLowPriorityNodes, resizeTimeout, taskSlotsPerNode, interNodeCommunication, subnetId, startTask, metadata,
        Optional.empty(), List.of());
  }

  public BatchPoolSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(vmSize, "vmSize");
    Objects.requireNonNull(nodeAgentSkuId, "nodeAgentSkuId");
    Objects.requireNonNull(resizeTimeout, "resizeTimeout");
    metadata = Map.copyOf(metadata);
    extensions = List.copyOf(extensions);
    if (containerType.isPresent() && !CONTAINER_TYPES.contains(containerType.get())) {
      throw new IllegalArgumentException("pool " + id + ": container type must be one of " + CONTAINER_TYPES + ", got " + containerType.get());
    }
    if (imageId.isEmpty() && (imagePublisher.isEmpty() || imageOffer.isEmpty() || imageSku.isEmpty())) {
      throw new IllegalArgumentException("pool " + id + ": an image needs publisher, offer and sku, or an image id");
    }
  }
}
