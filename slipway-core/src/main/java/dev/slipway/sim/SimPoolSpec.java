package dev.slipway.sim;

import java.time.Duration;
import java.util.Objects;

/**
 * One simulated pool: its size limit and how long things take.
 *
 * @param resizeLatency from a resize call until the pool is steady again (nodes it allocated are
 *     listed from the start, in CREATING)
 * @param allocationLatency a node's time in CREATING before it starts booting (STARTING)
 * @param bootLatency a node's time in STARTING before its start task runs
 * @param removeLatency from a removal (by {@code remove} or a shrinking resize) until the nodes are
 *     gone; a {@code remove} keeps the pool resizing that long
 */
public record SimPoolSpec(
    String id,
    int maxSize,
    LatencyDistribution resizeLatency,
    LatencyDistribution allocationLatency,
    LatencyDistribution bootLatency,
    LatencyDistribution removeLatency,
    SimFaults faults) {
  public SimPoolSpec {
    Objects.requireNonNull(id, "id");
    if (maxSize < 0) {
      throw new IllegalArgumentException("pool " + id + ": maxSize must be >= 0, got " + maxSize);
    }
    Objects.requireNonNull(resizeLatency, "resizeLatency");
    Objects.requireNonNull(allocationLatency, "allocationLatency");
    Objects.requireNonNull(bootLatency, "bootLatency");
    Objects.requireNonNull(removeLatency, "removeLatency");
    Objects.requireNonNull(faults, "faults");
  }

  /**
   * A pool with latencies in the range Azure Batch shows for small VMs: resize accepted in 30 s,
   * allocation 45 s, boot log-normal around 2 min (capped at 10 min), removal 60 s; no faults.
   */
  public static SimPoolSpec typical(String id, int maxSize) {
    return new SimPoolSpec(id, maxSize,
        LatencyDistribution.fixed(Duration.ofSeconds(30)),
        LatencyDistribution.fixed(Duration.ofSeconds(45)),
        LatencyDistribution.lognormal(Duration.ofMinutes(2), 0.3, Duration.ofMinutes(10)),
        LatencyDistribution.fixed(Duration.ofSeconds(60)),
        SimFaults.NONE);
  }

  public SimPoolSpec withFaults(SimFaults newFaults) {
    return new SimPoolSpec(id, maxSize, resizeLatency, allocationLatency, bootLatency, removeLatency, newFaults);
  }

  public SimPoolSpec withLatencies(LatencyDistribution resize, LatencyDistribution allocation, LatencyDistribution boot,
      LatencyDistribution remove) {
    return new SimPoolSpec(id, maxSize, resize, allocation, boot, remove, faults);
  }
}
