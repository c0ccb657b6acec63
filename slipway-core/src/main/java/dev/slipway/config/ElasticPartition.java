package dev.slipway.config;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An elastic partition. {@code maxRuntimeLimit} is already in Slurm's form ({@code 1-12:00:00} or
 * {@code UNLIMITED}). Optional strings are emitted only when present.
 */
public record ElasticPartition(
    String name,
    List<ElasticPool> pools,
    String maxRuntimeLimit,
    boolean isDefault,
    Optional<String> preemptType,
    Optional<String> preemptMode,
    Optional<String> overSubscribe,
    OptionalInt priorityTier,
    List<String> otherOptions) {
  public ElasticPartition {
    pools = List.copyOf(pools);
    otherOptions = List.copyOf(otherOptions);
  }
}
