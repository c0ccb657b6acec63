package dev.slipway.hooks;

import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.PoolTopology;
import dev.slipway.model.HostList;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.StateStore;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a power-save hook does: turn slurmctld's hostlist into durable intents, nothing more.
 *
 * <p>Design. slurmctld runs ResumeProgram and SuspendProgram from its power-save thread and
 * expects them to return quickly; the cloud work happens later in the daemon, which reads the
 * intents. So the hook expands the hostlist, finds each host's pool, and writes every intent in
 * one {@link StateStore#recordIntents} call: all hosts of one call get consecutive sequence
 * numbers and either all are recorded or none is. Hosts that belong to no elastic pool are not
 * recorded (the daemon could do nothing with them) but do not stop the others: a typo in one
 * partition must not leave another partition's jobs waiting for ResumeTimeout. A host named twice
 * is recorded once.
 *
 * <p>History. After the intents, one event per host ({@code slurm-resume}, ...) is appended with
 * the jobs that caused the resume (from SLURM_RESUME_FILE), so "why did gpu-3 start?" has an
 * answer. The events are a second write: when it fails the intents stand, and the failure is
 * reported in the result rather than thrown, because the intent is what Slurm needed.
 *
 * <p>Time comes from the injected {@link InstantSource}; the store's failures
 * ({@code StoreUnavailableException}) propagate unchanged.
 */
public final class PowerSaveHook {
  private final ClusterTopology pools;
  private final StateStore store;
  private final InstantSource clock;

  public PowerSaveHook(ClusterTopology pools, StateStore store, InstantSource clock) {
    this.pools = Objects.requireNonNull(pools, "pools");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Records {@code kind}'s intent for every host of {@code hosts} that belongs to an elastic pool.
   *
   * @param resumeFile the job map of SLURM_RESUME_FILE, when Slurm gave one; its job ids are
   *     attached to the hosts they name
   */
  public HookResult run(HookKind kind, HostList hosts, Optional<ResumeFile> resumeFile) {
    Validated v = validate(kind, hosts, resumeFile);
    Instant now = clock.instant();
    List<HostIntent> recorded = v.requests().isEmpty() ? List.of() : store.recordIntents(v.requests(), now);
    Optional<String> historyFailure = Optional.empty();
    if (!recorded.isEmpty()) {
      try {
        store.appendEvents(recorded.stream().map(i -> event(kind, i, "")).toList());
      } catch (RuntimeException e) {
        historyFailure = Optional.of(firstLine(e));
      }
    }
    return new HookResult(kind, recorded, v.rejected(), pools.describe(), historyFailure);
  }

  /** The requests to record for a hook call, and the hosts of no elastic pool, both in hostlist order. */
  record Validated(List<IntentRequest> requests, List<String> rejected) {}

  /**
   * Maps each host of {@code hosts} (each once) to its pool and attaches the jobs of the resume
   * file; hosts of no elastic pool are rejected. Shared with {@link SpoolImporter}, so a spooled
   * call is validated exactly as a direct one.
   */
  Validated validate(HookKind kind, HostList hosts, Optional<ResumeFile> resumeFile) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(resumeFile, "resumeFile");
    Set<String> unique = new LinkedHashSet<>();
    hosts.forEach(unique::add);
    Map<String, List<String>> jobsByHost = resumeFile.map(ResumeFile::jobsByHost).orElse(Map.of());
    List<IntentRequest> requests = new ArrayList<>(unique.size());
    List<String> rejected = new ArrayList<>();
    for (String host : unique) {
      Optional<String> pool = pools.poolOfHost(host).map(PoolTopology::poolId);
      if (pool.isEmpty()) {
        rejected.add(host);
        continue;
      }
      List<String> jobs = jobsByHost.getOrDefault(host, List.of());
      requests.add(new IntentRequest(host, pool.get(), kind.intent(), kind.source(), jobs));
    }
    return new Validated(requests, rejected);
  }

  ClusterTopology pools() {
    return pools;
  }

  static String firstLine(RuntimeException e) {
    return String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
  }

  /** The history event of one recorded intent; {@code suffix} is appended to the message (the spool file, for spooled calls). */
  static HostEvent event(HookKind kind, HostIntent intent, String suffix) {
    String message = "Slurm " + kind.slurmParameter() + " asked for " + intent.host() + ": intent " + intent.intent()
        + " (seq " + intent.seq() + ")"
        + (intent.jobIds().isEmpty() ? "" : " for job" + (intent.jobIds().size() == 1 ? " " : "s ") + String.join(",", intent.jobIds()))
        + suffix;
    return HostEvent.ofHost(intent.at(), intent.host(), intent.poolId(), kind.eventKind(), message);
  }
}
