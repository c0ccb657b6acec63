package dev.slipway.simulate;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One job to submit ({@code sbatch -p partition -N nodes [-C constraint] [--requeue]}): it runs for
 * {@code duration} once all its nodes are up. {@code requeue} says whether Slurm may requeue it when
 * a node fails under it while it runs; a job whose nodes fail to boot is requeued either way.
 */
public record JobSpec(
    Instant at, String partition, int nodes, Duration duration, Optional<String> constraint, boolean requeue) {
  public JobSpec {
    if (nodes < 1) {
      throw new IllegalArgumentException("a job needs at least one node, got " + nodes);
    }
    if (duration.isNegative()) {
      throw new IllegalArgumentException("job duration is negative: " + duration);
    }
  }
}
