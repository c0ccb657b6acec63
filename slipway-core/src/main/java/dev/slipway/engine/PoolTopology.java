package dev.slipway.engine;

import dev.slipway.model.NodeType;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * One elastic pool as the engine sees it: its hosts {@code <hostPrefix>-<i>} for i below
 * {@code maxNodes}, the node type it grows, its partition, and the hosts Slurm never suspends
 * ({@code reclaim_exclude_num_nodes}). Built from the YAML config by the daemon; the engine does
 * not know YAML.
 */
public record PoolTopology(
    String poolId, String hostPrefix, int maxNodes, NodeType nodeType, String partition, int weight, Set<String> reclaimExcluded) {
  public PoolTopology {
    Objects.requireNonNull(poolId, "poolId");
    Objects.requireNonNull(hostPrefix, "hostPrefix");
    Objects.requireNonNull(nodeType, "nodeType");
    Objects.requireNonNull(partition, "partition");
    if (maxNodes < 0) {
      throw new IllegalArgumentException("pool " + poolId + ": maxNodes " + maxNodes + " is negative");
    }
    reclaimExcluded = Set.copyOf(reclaimExcluded);
  }

  /**
   * The topology of a pool whose first {@code reclaimExcludeNumNodes} hosts are in SuspendExcNodes,
   * as {@code reclaim_exclude_num_nodes} means in Batch Shipyard.
   */
  public static PoolTopology of(String poolId, String hostPrefix, int maxNodes, NodeType nodeType, String partition, int weight,
      int reclaimExcludeNumNodes) {
    if (reclaimExcludeNumNodes < 0 || reclaimExcludeNumNodes > maxNodes) {
      throw new IllegalArgumentException("pool " + poolId + ": reclaim_exclude_num_nodes " + reclaimExcludeNumNodes + " outside 0.." + maxNodes);
    }
    Set<String> excluded = IntStream.range(0, reclaimExcludeNumNodes).mapToObj(i -> hostPrefix + "-" + i).collect(Collectors.toSet());
    return new PoolTopology(poolId, hostPrefix, maxNodes, nodeType, partition, weight, excluded);
  }

  public List<String> hosts() {
    return IntStream.range(0, maxNodes).mapToObj(i -> hostPrefix + "-" + i).toList();
  }

  public boolean lowPriority() {
    return nodeType == NodeType.LOW_PRIORITY;
  }
}
