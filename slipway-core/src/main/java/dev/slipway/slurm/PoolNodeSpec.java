package dev.slipway.slurm;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.model.VmSize;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What Slurm is told about every node of one pool: CPUs, usable memory, GPUs and features, derived
 * from the pool's VM size. Batch Shipyard told Slurm nothing but the GPU count (bug 37), so jobs
 * could not ask for memory or cores.
 *
 * @param partition the elastic partition the pool belongs to
 * @param pool the pool
 * @param size the pool's VM size, resolved from the catalog and the user's declared sizes
 * @param sizeNamed whether the user named the size; an implicit default size is not a feature
 */
public record PoolNodeSpec(ElasticPartition partition, ElasticPool pool, VmSize size, boolean sizeNamed) {

  /** Memory below which a node cannot run the OS, munged and slurmd next to a job. */
  public static final long MIN_HEADROOM_MIB = 512;

  /** Share of memory kept back on large sizes: the kernel's own reservation grows with memory. */
  public static final int HEADROOM_PERCENT = 5;

  /** The smallest VM size Slurm nodes may have: the headroom must leave room for jobs. */
  public static final long MIN_MEMORY_MIB = 2 * MIN_HEADROOM_MIB;

  public int cpus() {
    return size.vcpus();
  }

  /**
   * Slurm's RealMemory: the size's memory minus max(512 MiB, 5%). The guest sees less than the
   * published figure (firmware, kernel, hypervisor balloon) and slurmd drains a node whose
   * configured RealMemory exceeds what it finds, so the headroom must cover that gap plus the OS
   * and Slurm's own daemons; it also keeps jobs from pushing the node into the OOM killer.
   */
  public long realMemoryMiB() {
    return realMemoryMiB(size.memoryMiB());
  }

  /** See {@link #realMemoryMiB()}. */
  public static long realMemoryMiB(long memoryMiB) {
    long percent = (memoryMiB * HEADROOM_PERCENT + 99) / 100;
    return memoryMiB - Math.max(MIN_HEADROOM_MIB, percent);
  }

  /**
   * Features in Batch Shipyard's order, so existing {@code --constraint} expressions keep working:
   * the user's features, the node type ({@code dedicated}/{@code low_priority}), the VM size in
   * lower case, {@code gpu} and the GPU model, {@code rdma} and the InfiniBand class.
   */
  public List<String> features() {
    List<String> features = new ArrayList<>(pool.features());
    features.add(pool.computeNodeType().configName());
    if (sizeNamed) {
      features.add(size.name());
    }
    if (size.gpus() > 0) {
      features.add("gpu");
      size.gpuModel().ifPresent(features::add);
    }
    size.rdma().ifPresent(ib -> {
      features.add("rdma");
      features.add(ib);
    });
    return features;
  }

  /** {@code gpu:<model>:<n>} or {@code gpu:<n>}; empty for a size without GPUs. */
  public Optional<String> gres() {
    if (size.gpus() == 0) {
      return Optional.empty();
    }
    return Optional.of("gpu:" + size.gpuModel().map(m -> m + ":").orElse("") + size.gpus());
  }

  /** The hosts Slurm never suspends once up: the first {@code reclaim_exclude_num_nodes} of the pool. */
  public Optional<String> suspendExcludedHosts() {
    int k = pool.reclaimExcludeNumNodes();
    if (k <= 0) {
      return Optional.empty();
    }
    return Optional.of(k == 1 ? pool.hostName(0) : pool.hostPrefix() + "-[0-" + (k - 1) + "]");
  }
}
