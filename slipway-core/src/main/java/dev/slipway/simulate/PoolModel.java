package dev.slipway.simulate;

import dev.slipway.model.NodeType;
import java.util.List;

/**
 * One pool as the Slurm model sees it: its hosts {@code <hostPrefix>-<i>}, their Slurm node
 * {@code Weight} and {@code Feature} list, and how many of its first hosts are in
 * {@code SuspendExcNodes} ({@code reclaim_exclude_num_nodes}).
 */
public record PoolModel(
    String poolId,
    String hostPrefix,
    int maxNodes,
    int weight,
    List<String> features,
    NodeType nodeType,
    int suspendExcludeCount) {
  public PoolModel {
    features = List.copyOf(features);
    if (maxNodes < 1) {
      throw new IllegalArgumentException("pool " + poolId + " needs at least one host, got max nodes " + maxNodes);
    }
    if (suspendExcludeCount < 0 || suspendExcludeCount > maxNodes) {
      throw new IllegalArgumentException(
          "pool " + poolId + " excludes " + suspendExcludeCount + " hosts from suspend but has " + maxNodes);
    }
  }

  public String hostName(int i) {
    if (i < 0 || i >= maxNodes) {
      throw new IndexOutOfBoundsException("host index " + i + " outside 0.." + (maxNodes - 1) + " of pool " + poolId);
    }
    return hostPrefix + "-" + i;
  }
}
