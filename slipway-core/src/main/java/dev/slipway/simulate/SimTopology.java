package dev.slipway.simulate;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The partitions and pools the simulated slurmctld knows, as the harness derives them from a
 * Slipway configuration directory. A pool may appear in several partitions (its hosts are then in
 * each, as a Slurm node may be); it must then be described identically.
 */
public record SimTopology(List<PartitionModel> partitions) {
  public SimTopology {
    partitions = List.copyOf(partitions);
    Set<String> names = new LinkedHashSet<>();
    Map<String, PoolModel> pools = new LinkedHashMap<>();
    Map<String, String> prefixes = new LinkedHashMap<>();
    for (PartitionModel p : partitions) {
      if (!names.add(p.name())) {
        throw new IllegalArgumentException("partition " + p.name() + " appears twice");
      }
      for (PoolModel pool : p.pools()) {
        PoolModel seen = pools.putIfAbsent(pool.poolId(), pool);
        if (seen != null && !seen.equals(pool)) {
          throw new IllegalArgumentException("pool " + pool.poolId() + " is described differently in two partitions");
        }
        String owner = prefixes.putIfAbsent(pool.hostPrefix(), pool.poolId());
        if (owner != null && !owner.equals(pool.poolId())) {
          throw new IllegalArgumentException(
              "pools " + owner + " and " + pool.poolId() + " share host prefix " + pool.hostPrefix());
        }
      }
    }
  }

  /**
   * The topology Slurm gets from Slipway's configuration: each pool's features are the user's
   * features, then the node type ({@code dedicated}/{@code low_priority}), then the lower-cased VM
   * size when known, in that order (as Batch Shipyard's NodeName lines).
   */
  public static SimTopology from(List<ElasticPartition> partitions) {
    List<PartitionModel> out = new ArrayList<>();
    for (ElasticPartition p : partitions) {
      List<PoolModel> pools = new ArrayList<>();
      for (ElasticPool pool : p.pools()) {
        List<String> features = new ArrayList<>(pool.features());
        features.add(pool.computeNodeType().configName());
        pool.vmSize().ifPresent(v -> features.add(v.toLowerCase(Locale.ROOT)));
        pools.add(new PoolModel(pool.id(), pool.hostPrefix(), pool.maxComputeNodes(), pool.weight(), features,
            pool.computeNodeType(), pool.reclaimExcludeNumNodes()));
      }
      out.add(new PartitionModel(p.name(), pools));
    }
    return new SimTopology(out);
  }

  public Optional<PartitionModel> partition(String name) {
    return partitions.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** Every distinct pool, in first-seen order. */
  public List<PoolModel> pools() {
    Map<String, PoolModel> pools = new LinkedHashMap<>();
    partitions.forEach(p -> p.pools().forEach(pool -> pools.putIfAbsent(pool.poolId(), pool)));
    return List.copyOf(pools.values());
  }

  public Optional<PoolModel> pool(String poolId) {
    return pools().stream().filter(p -> p.poolId().equals(poolId)).findFirst();
  }

  /** SuspendExcNodes: the first {@code suspendExcludeCount} hosts of every pool. */
  public Set<String> suspendExcludedHosts() {
    Set<String> hosts = new LinkedHashSet<>();
    for (PoolModel pool : pools()) {
      for (int i = 0; i < pool.suspendExcludeCount(); i++) {
        hosts.add(pool.hostName(i));
      }
    }
    return hosts;
  }
}
