package dev.slipway.config;

import java.time.Duration;
import java.util.List;

/** {@code slurm_options:}. Partitions keep the order they have in the file. */
public record SlurmOptions(
    Duration idleReclaimTime, List<ElasticPartition> elasticPartitions, List<UnmanagedPartition> unmanagedPartitions) {
  public SlurmOptions {
    elasticPartitions = List.copyOf(elasticPartitions);
    unmanagedPartitions = List.copyOf(unmanagedPartitions);
  }
}
