package dev.slipway.simulate;

import java.util.List;

/** An elastic partition: its name and its pools in configuration order (Slurm's node order). */
public record PartitionModel(String name, List<PoolModel> pools) {
  public PartitionModel {
    pools = List.copyOf(pools);
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("partition " + name + " has no pools");
    }
  }
}
