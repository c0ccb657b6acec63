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
 * a host Slurm shows powered down is then newer news than any UP intent in the same snapshot. Between
 * whole reads the reconciler reads Slurm only for hosts with news, but every host whose intent or
 * binding changed since its state was read is among them, so the rule holds for every host.
 *
 * <p>The per-host maps (intents, bindings, Slurm states) are {@link PersistentMap}s: immutable like
 * {@link Map#copyOf} but taken as they are when already persistent, so the reconciler's view is
 * shared instead of copied each pass (3 x 10,000 entries at 10,000 hosts), and two snapshots a few
 * changes apart can be compared in time proportional to the changes ({@link IncrementalPlanner}).
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
    intents = PersistentMap.copyOf(intents);
    bindings = PersistentMap.copyOf(bindings);
    pools = Map.copyOf(pools);
    observed = Map.copyOf(observed);
    slurm = slurm.map(PersistentMap::copyOf);
  }
}
