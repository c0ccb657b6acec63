package dev.slipway.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The durable desired state of one host. {@code seq} increases monotonically across the whole
 * cluster, so "assign in intent order" and "is this intent newer than that binding" are integer
 * comparisons. {@code jobIds} are the Slurm jobs that caused a resume (from SLURM_RESUME_FILE).
 */
public record HostIntent(
    String host, String poolId, Intent intent, IntentSource source, long seq, Instant at, List<String> jobIds) {
  public HostIntent {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(poolId, "poolId");
    Objects.requireNonNull(intent, "intent");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(at, "at");
    jobIds = List.copyOf(jobIds);
  }
}
