package dev.slipway.azure.batch;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link BatchClient#addPool} creates: a fixed-size (no autoscale) virtual machine
 * configuration pool. The image is a marketplace reference or, with {@code imageId}, an Azure
 * Compute Gallery / managed image id.
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
    Map<String, String> metadata) {
  public BatchPoolSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(vmSize, "vmSize");
    Objects.requireNonNull(nodeAgentSkuId, "nodeAgentSkuId");
    Objects.requireNonNull(resizeTimeout, "resizeTimeout");
    metadata = Map.copyOf(metadata);
    if (imageId.isEmpty() && (imagePublisher.isEmpty() || imageOffer.isEmpty() || imageSku.isEmpty())) {
      throw new IllegalArgumentException("pool " + id + ": an image needs publisher, offer and sku, or an image id");
    }
  }
}
