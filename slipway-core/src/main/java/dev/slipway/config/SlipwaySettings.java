package dev.slipway.config;

import dev.slipway.model.VmSize;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Slipway's own additions, under the top-level {@code slipway:} key of slurm.yaml. Every key is
 * documented in docs/configuration.md.
 *
 * @param backend where nodes come from ({@code local} by default)
 * @param resumeTimeout Slurm's ResumeTimeout: how long a host may take from resume to registered
 * @param suspendTimeout Slurm's SuspendTimeout
 * @param accounting whether slurmdbd accounting is configured
 * @param vmSizes VM sizes declared by the user, added to (or overriding) the shipped catalog
 * @param daemonPort the daemon's HTTP port (node join, metrics, health)
 * @param local settings of the local backend
 * @param slurmctldTimeout Slurm's SlurmctldTimeout: how long a backup controller waits for the primary
 *     before it takes control; empty renders the layout's default (see docs/slurm-conf.md)
 * @param credExpire Slurm's {@code AuthInfo=cred_expire}: job step credential lifetime, which is also
 *     how long a requeued job waits before it may start again; empty renders the layout's default
 * @param eventRetention how long the daemon keeps host and pool events before it deletes them
 *     (docs/state-store.md, "Event retention")
 */
public record SlipwaySettings(
    Backend backend,
    Duration resumeTimeout,
    Duration suspendTimeout,
    boolean accounting,
    List<VmSize> vmSizes,
    int daemonPort,
    LocalSettings local,
    Optional<Duration> slurmctldTimeout,
    Optional<Duration> credExpire,
    Duration eventRetention) {
  /** Two weeks: long enough for {@code slipway nodes why} to explain last week's failures. */
  public static final Duration DEFAULT_EVENT_RETENTION = Duration.ofDays(14);

  public SlipwaySettings {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(eventRetention, "eventRetention");
    vmSizes = List.copyOf(vmSizes);
    Objects.requireNonNull(slurmctldTimeout, "slurmctldTimeout");
    Objects.requireNonNull(credExpire, "credExpire");
  }

  /** Settings that keep events for {@link #DEFAULT_EVENT_RETENTION}. */
  public SlipwaySettings(Backend backend, Duration resumeTimeout, Duration suspendTimeout, boolean accounting,
      List<VmSize> vmSizes, int daemonPort, LocalSettings local, Optional<Duration> slurmctldTimeout, Optional<Duration> credExpire) {
    this(backend, resumeTimeout, suspendTimeout, accounting, vmSizes, daemonPort, local, slurmctldTimeout, credExpire,
        DEFAULT_EVENT_RETENTION);
  }

  /** Settings without a credential lifetime of their own. */
  public SlipwaySettings(Backend backend, Duration resumeTimeout, Duration suspendTimeout, boolean accounting,
      List<VmSize> vmSizes, int daemonPort, LocalSettings local, Optional<Duration> slurmctldTimeout) {
    this(backend, resumeTimeout, suspendTimeout, accounting, vmSizes, daemonPort, local, slurmctldTimeout, Optional.empty());
  }

  /** Settings without a SlurmctldTimeout or credential lifetime of their own. */
  public SlipwaySettings(Backend backend, Duration resumeTimeout, Duration suspendTimeout, boolean accounting,
      List<VmSize> vmSizes, int daemonPort, LocalSettings local) {
    this(backend, resumeTimeout, suspendTimeout, accounting, vmSizes, daemonPort, local, Optional.empty(), Optional.empty());
  }

  /** Settings of the local (network namespace) backend. */
  public record LocalSettings(String subnet, Optional<String> stateDir, Duration bootDelay) {}
}
