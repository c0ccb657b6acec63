package dev.slipway.simulate;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A read of one job: its state, current hosts, and its history so far. */
public record JobView(
    String id,
    JobSpec spec,
    JobState state,
    List<String> hosts,
    int requeues,
    Optional<Instant> startedAt,
    Optional<Instant> endedAt,
    Optional<String> reason) {
  public JobView {
    hosts = List.copyOf(hosts);
  }
}
