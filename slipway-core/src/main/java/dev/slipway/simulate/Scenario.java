package dev.slipway.simulate;

import dev.slipway.config.ConfigProblem;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed scenario file (see docs/simulate.md): which Slipway configuration it runs, the Slurm
 * timing, how each pool's nodes behave, the job trace (generators already expanded, in
 * submission order) and timed events. Times are absolute: {@code start} plus the file's offsets.
 * {@code burstFrom}: the report's burst intake counts resume calls from this instant on (earlier
 * jobs warm the daemon up, as a daemon that has run a while is when a burst comes).
 */
public record Scenario(
    Path file,
    Path configDir,
    Instant start,
    Instant end,
    Instant burstFrom,
    long seed,
    SlurmTiming timing,
    PoolBehaviour poolDefaults,
    Map<String, PoolBehaviour> pools,
    List<JobSpec> jobs,
    List<TimedEvent> events,
    List<Reference> references) {
  public Scenario {
    pools = Map.copyOf(pools);
    jobs = List.copyOf(jobs);
    events = List.copyOf(events);
    references = List.copyOf(references);
  }

  /** A name the file uses that the topology must define, and where the file uses it. */
  public record Reference(Kind kind, String name, String keyPath, int line, int column) {
    public enum Kind {
      PARTITION,
      POOL
    }
  }

  public PoolBehaviour behaviourOf(String poolId) {
    return pools.getOrDefault(poolId, poolDefaults);
  }

  /** Every partition or pool the file names that {@code topology} does not have. */
  public List<ConfigProblem> problemsAgainst(SimTopology topology) {
    List<ConfigProblem> problems = new ArrayList<>();
    String partitions = String.join(", ", topology.partitions().stream().map(PartitionModel::name).toList());
    String pools = String.join(", ", topology.pools().stream().map(PoolModel::poolId).toList());
    for (Reference r : references) {
      boolean known = r.kind() == Reference.Kind.PARTITION
          ? topology.partition(r.name()).isPresent()
          : topology.pool(r.name()).isPresent();
      if (!known) {
        String what = r.kind() == Reference.Kind.PARTITION ? "partition" : "pool";
        problems.add(ConfigProblem.error(Optional.of(file), r.line(), r.column(), r.keyPath(),
            what + " '" + r.name() + "' is not in the configuration at " + configDir,
            r.kind() == Reference.Kind.PARTITION ? partitions : pools));
      }
    }
    return problems;
  }
}
