package dev.slipway.config;

import dev.slipway.model.NodeType;
import java.util.List;
import java.util.Optional;

/**
 * A {@code batch_pools} entry: one node pool of an elastic partition. Host names are
 * {@code <hostPrefix>-<i>} for i in 0..maxComputeNodes-1, where the prefix is the pool id unless
 * {@code host_prefix} is set. {@code vmSize} is resolved at load time: the entry's own
 * {@code vm_size}, else pool.yaml's for the same id; empty only when neither says (azure backend
 * then asks the Batch service at create time).
 */
public record ElasticPool(
    String id,
    String hostPrefix,
    Optional<String> accountServiceUrl,
    NodeType computeNodeType,
    int maxComputeNodes,
    int weight,
    List<String> features,
    int reclaimExcludeNumNodes,
    Optional<String> vmSize) {
  public ElasticPool {
    features = List.copyOf(features);
  }

  /** The i-th host name of this pool. */
  public String hostName(int i) {
    if (i < 0 || i >= maxComputeNodes) {
      throw new IndexOutOfBoundsException("host index " + i + " outside 0.." + (maxComputeNodes - 1) + " of pool " + id);
    }
    return hostPrefix + "-" + i;
  }

  /** The pool's hosts as one Slurm hostlist expression, e.g. {@code gpu-[0-31]}. */
  public String hostListExpression() {
    return maxComputeNodes == 1 ? hostPrefix + "-0" : hostPrefix + "-[0-" + (maxComputeNodes - 1) + "]";
  }
}
