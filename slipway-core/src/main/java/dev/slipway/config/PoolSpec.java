package dev.slipway.config;

import java.util.Optional;

/**
 * What Slipway uses of a Batch Shipyard pool.yaml {@code pool_specification}: enough to create
 * a Batch pool for Slurm and to know its VM size.
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
    boolean interNodeCommunication) {}
