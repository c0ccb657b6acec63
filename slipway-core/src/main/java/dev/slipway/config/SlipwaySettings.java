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
 */
public record SlipwaySettings(
    Backend backend,
    Duration resumeTimeout,
    Duration suspendTimeout,
    boolean accounting,
    List<VmSize> vmSizes,
    int daemonPort,
    LocalSettings local) {
  public SlipwaySettings {
    Objects.requireNonNull(backend, "backend");
    vmSizes = List.copyOf(vmSizes);
  }

  /** Settings of the local (network namespace) backend. */
  public record LocalSettings(String subnet, Optional<String> stateDir, Duration bootDelay) {}
}
