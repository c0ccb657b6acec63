package dev.slipway.engine;

import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.PoolRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one reconcile pass decides from, read in this order: the store (intents, bindings,
 * pool records), then the provider (per pool; a pool missing from {@code observed} could not be
 * read), then Slurm ({@code slurm} empty when Slurm could not be read). Reading Slurm last matters:
 * a host Slurm shows powered down is then newer news than any UP intent in the same snapshot.
 */
public record Snapshot(
    List<PoolTopology> topology,
    Map<String, HostIntent> intents,
    Map<String, HostBinding> bindings,
    Map<String, PoolRecord> pools,
    Map<String, PoolObservation> observed,
    Optional<Map<String, SlurmHostState>> slurm) {
  public Snapshot {
    topology = List.copyOf(topology);
    intents = Map.copyOf(intents);
    bindings = Map.copyOf(bindings);
    pools = Map.copyOf(pools);
    observed = Map.copyOf(observed);
    slurm = slurm.map(Map::copyOf);
  }
}
