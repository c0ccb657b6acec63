package dev.slipway.testkit;

import dev.slipway.sim.LatencyDistribution;
import dev.slipway.sim.SimPoolSpec;
import dev.slipway.sim.SimProvider;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import java.time.Duration;
import java.time.Instant;

/** The provider contract, run against the simulator in virtual time. */
class SimProviderContractTest extends NodeProviderContract {
  private final FakeClock clock = new FakeClock();
  private SimProvider sim;

  @Override
  protected NodeProvider createProvider() {
    sim = SimProvider.builder(clock)
        .seed(42)
        .pool(SimPoolSpec.typical("gpu", 8).withLatencies(
            LatencyDistribution.fixed(Duration.ofSeconds(30)),
            LatencyDistribution.uniform(Duration.ofSeconds(20), Duration.ofSeconds(60)),
            LatencyDistribution.lognormal(Duration.ofSeconds(90), 0.4, Duration.ofMinutes(8)),
            LatencyDistribution.fixed(Duration.ofSeconds(45))))
        .build();
    return sim;
  }

  @Override
  protected String poolId() {
    return "gpu";
  }

  @Override
  protected void awaitSettled(NodePool pool) {
    Instant deadline = clock.instant().plus(Duration.ofHours(1));
    while (!isSettled(pool)) {
      Instant next = sim.nextEventAt()
          .orElseThrow(() -> new AssertionError("pool " + pool.id() + " is not settled and nothing is scheduled"));
      if (next.isAfter(deadline)) {
        throw new AssertionError("pool " + pool.id() + " did not settle within an hour of virtual time");
      }
      if (next.isAfter(clock.instant())) {
        clock.set(next);
      }
      sim.advanceTo(next);
    }
  }
}
