package dev.slipway.engine;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.config.SlurmOptions;
import dev.slipway.model.HostList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Every elastic pool of a cluster as the engine sees it, built once from the configuration so
 * that the daemon, the hooks and the CLI agree on which host belongs to which pool.
 *
 * <p>A pool listed in several partitions (Slurm allows a node in many) appears once, with the
 * first partition that lists it; it must be described identically wherever it appears, and two
 * pools may not share a host prefix, since the host name is how a hook finds the pool. Host lookup
 * is by prefix and canonical index ({@link HostList#numericIndex}), never by pattern, so
 * {@code gpu-31} is found in {@code gpu-[0-31]} and {@code gpu-031} or {@code gpu-32} are not.
 */
public record ClusterTopology(List<PoolTopology> pools) {
  public ClusterTopology {
    pools = List.copyOf(pools);
    Map<String, String> prefixes = new LinkedHashMap<>();
    Map<String, PoolTopology> ids = new LinkedHashMap<>();
    for (PoolTopology p : pools) {
      if (ids.putIfAbsent(p.poolId(), p) != null) {
        throw new IllegalArgumentException("pool " + p.poolId() + " appears twice");
      }
      String owner = prefixes.putIfAbsent(p.hostPrefix(), p.poolId());
      if (owner != null) {
        throw new IllegalArgumentException("pools " + owner + " and " + p.poolId() + " share host prefix " + p.hostPrefix());
      }
    }
  }

  /** The topology of the configured elastic partitions, pools in first-seen order. */
  public static ClusterTopology fromConfig(SlurmOptions options) {
    return fromPartitions(options.elasticPartitions());
  }

  public static ClusterTopology fromPartitions(List<ElasticPartition> partitions) {
    Map<String, ElasticPool> seen = new LinkedHashMap<>();
    List<PoolTopology> pools = new ArrayList<>();
    for (ElasticPartition partition : partitions) {
      for (ElasticPool pool : partition.pools()) {
        ElasticPool earlier = seen.putIfAbsent(pool.id(), pool);
        if (earlier != null) {
          if (!earlier.equals(pool)) {
            throw new IllegalArgumentException("pool " + pool.id() + " is described differently in partition " + partition.name());
          }
          continue;
        }
        pools.add(PoolTopology.of(pool.id(), pool.hostPrefix(), pool.maxComputeNodes(), pool.computeNodeType(), partition.name(),
            pool.weight(), pool.reclaimExcludeNumNodes()));
      }
    }
    return new ClusterTopology(pools);
  }

  public Optional<PoolTopology> pool(String poolId) {
    return pools.stream().filter(p -> p.poolId().equals(poolId)).findFirst();
  }

  /** The pool whose host {@code host} is, if any. */
  public Optional<PoolTopology> poolOfHost(String host) {
    for (PoolTopology p : pools) {
      OptionalInt index = HostList.numericIndex(host, p.hostPrefix() + "-");
      if (index.isPresent() && index.getAsInt() < p.maxNodes()) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Every elastic host, pool by pool. */
  public List<String> hosts() {
    List<String> hosts = new ArrayList<>();
    pools.forEach(p -> hosts.addAll(p.hosts()));
    return hosts;
  }
}
