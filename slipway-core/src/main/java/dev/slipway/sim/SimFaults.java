package dev.slipway.sim;

import java.util.Objects;

/**
 * Failures the simulator injects into one pool, each drawn per node or per call from the seeded
 * generator. Rates are probabilities in [0, 1].
 *
 * @param startTaskFailureRate a booted node's start task fails (START_FAILED, START_TASK error),
 *     before the start-task callback is even run
 * @param unusableRate a booting node becomes UNUSABLE instead of running its start task
 * @param apiFailureRate any API call (resize, remove, nodes, status) fails with a TRANSIENT error
 * @param callLatency virtual time each API call takes (reported to the simulator's latency sink)
 */
public record SimFaults(double startTaskFailureRate, double unusableRate, double apiFailureRate, LatencyDistribution callLatency) {
  public static final SimFaults NONE = new SimFaults(0, 0, 0, LatencyDistribution.fixed(java.time.Duration.ZERO));

  public SimFaults {
    requireRate(startTaskFailureRate, "startTaskFailureRate");
    requireRate(unusableRate, "unusableRate");
    requireRate(apiFailureRate, "apiFailureRate");
    Objects.requireNonNull(callLatency, "callLatency");
  }

  public SimFaults withStartTaskFailureRate(double rate) {
    return new SimFaults(rate, unusableRate, apiFailureRate, callLatency);
  }

  public SimFaults withUnusableRate(double rate) {
    return new SimFaults(startTaskFailureRate, rate, apiFailureRate, callLatency);
  }

  public SimFaults withApiFailureRate(double rate) {
    return new SimFaults(startTaskFailureRate, unusableRate, rate, callLatency);
  }

  public SimFaults withCallLatency(LatencyDistribution latency) {
    return new SimFaults(startTaskFailureRate, unusableRate, apiFailureRate, latency);
  }

  private static void requireRate(double rate, String name) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException(name + " must be a probability in [0, 1], got " + rate);
    }
  }
}
