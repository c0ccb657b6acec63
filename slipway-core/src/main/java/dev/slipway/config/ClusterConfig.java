package dev.slipway.config;

import java.util.Objects;
import java.util.Optional;

/**
 * A whole cluster as configured: Batch Shipyard's files (slurm.yaml, config.yaml,
 * credentials.yaml, pool.yaml, fs.yaml) plus Slipway's own {@code slipway:} section, validated and
 * with defaults filled in. Immutable; absent values are {@link Optional}.
 */
public record ClusterConfig(
    ConfigSources sources,
    SlurmClusterSpec slurm,
    SlipwaySettings slipway,
    Optional<GlobalSettings> global,
    Optional<Credentials> credentials,
    java.util.Map<String, PoolSpec> poolSpecs,
    Optional<RemoteFsSpec> remoteFs) {
  public ClusterConfig {
    Objects.requireNonNull(sources, "sources");
    Objects.requireNonNull(slurm, "slurm");
    Objects.requireNonNull(slipway, "slipway");
    Objects.requireNonNull(global, "global");
    Objects.requireNonNull(credentials, "credentials");
    poolSpecs = java.util.Map.copyOf(poolSpecs);
    Objects.requireNonNull(remoteFs, "remoteFs");
  }
}
