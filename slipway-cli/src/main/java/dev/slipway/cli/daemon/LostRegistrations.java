package dev.slipway.cli.daemon;

import dev.slipway.engine.SlurmHostState;
import dev.slipway.engine.SlurmPort;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.StateStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registrations Slurm lost when its controller changed, asked for again.
 *
 * <p>slurmctld writes node state to {@code StateSaveLocation} a moment after a slurmd registers. A
 * primary that dies in that moment leaves the backup a state in which the host is still powering
 * up; Slurm 22.05 never pings a powering-up host, and slurmd registers on its own only when it
 * starts, so the backup fails the host at ResumeTimeout although it runs jobs (LocalHaClusterIT,
 * primary killed about one second after four hosts registered: all four failed 90 s later). The
 * store remembers that the host registered, so the leader sees the contradiction (binding
 * REGISTERED, Slurm powering up) and asks that host's slurmd to register again.
 */
public final class LostRegistrations {
  private static final Logger log = LoggerFactory.getLogger(LostRegistrations.class);

  /** Makes the slurmd of {@code host} on {@code nodeId} register again; false when it found none. */
  @FunctionalInterface
  public interface Slurmds {
    boolean reRegister(String host, String nodeId);
  }

  private final StateStore store;
  private final SlurmPort slurm;
  private final Slurmds slurmds;
  private final InstantSource clock;
  private final Duration every;
  private final Map<String, Instant> askedAt = new HashMap<>();
  private Instant nextCheck = Instant.MIN;

  /** Looks at most once per {@code every}, and asks one host again at most once per {@code every}. */
  LostRegistrations(StateStore store, SlurmPort slurm, Slurmds slurmds, InstantSource clock, Duration every) {
    this.store = Objects.requireNonNull(store, "store");
    this.slurm = Objects.requireNonNull(slurm, "slurm");
    this.slurmds = Objects.requireNonNull(slurmds, "slurmds");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.every = Objects.requireNonNull(every, "every");
  }

  /** Called by the leader after a pass; returns the hosts asked to register again. */
  List<String> check() {
    Instant now = clock.instant();
    if (now.isBefore(nextCheck)) {
      return List.of();
    }
    nextCheck = now.plus(every);
    Map<String, String> nodeOfHost = new HashMap<>();
    for (HostBinding b : store.bindings().values()) {
      if (b.phase() == BindingPhase.REGISTERED) {
        b.nodeId().ifPresent(n -> nodeOfHost.put(b.host(), n));
      }
    }
    askedAt.keySet().retainAll(nodeOfHost.keySet());
    if (nodeOfHost.isEmpty()) {
      return List.of();
    }
    Map<String, SlurmHostState> states = slurm.hostStates(nodeOfHost.keySet());
    return nodeOfHost.keySet().stream().sorted().filter(host -> {
      SlurmHostState s = states.get(host);
      if (s == null || s.power() != SlurmHostState.Power.POWERING_UP) {
        return false;
      }
      Instant last = askedAt.get(host);
      if (last != null && now.isBefore(last.plus(every))) {
        return false;
      }
      askedAt.put(host, now);
      boolean asked = slurmds.reRegister(host, nodeOfHost.get(host));
      log.warn("host {} registered (node {}) but Slurm says it is powering up: {}", host, nodeOfHost.get(host),
          asked ? "asked its slurmd to register again" : "no slurmd found to ask");
      return asked;
    }).toList();
  }
}
