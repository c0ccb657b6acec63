package dev.slipway.azure.pools;

import dev.slipway.azure.batch.BatchClient;
import dev.slipway.config.ClusterConfig;
import dev.slipway.model.Secret;
import dev.slipway.spi.EngineEvent;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.Provisioner;
import java.net.URI;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The azure backend's {@code cluster orchestrate}: the fixed part through the ARM provisioner,
 * then every pool of the configuration in Batch (zero nodes, the join start task; pools this
 * cluster has already get the start task again). Pools come second because their start task
 * names the controllers, and a configuration error in pool.yaml is cheaper to find before the VMs
 * exist: so the templates are checked first, then the VMs made, then the pools.
 */
public final class ClusterOrchestration {
  private ClusterOrchestration() {}

  public static List<ClusterPools.EnsuredPool> run(Provisioner arm, ClusterConfig config, Function<URI, BatchClient> clients,
      Function<String, Secret> joinTokens, String daemonPin, InstantSource clock, EventSink events) throws InterruptedException {
    // Fails with ConfigException before anything is created when a pool cannot become a Batch pool.
    ClusterPools.check(config, joinTokens, daemonPin);
    arm.create(events);
    List<ClusterPools.EnsuredPool> pools = ClusterPools.orchestrate(config, clients, joinTokens, daemonPin);
    for (ClusterPools.EnsuredPool p : pools) {
      String what = switch (p.outcome()) {
        case CREATED -> "created with 0 nodes";
        case START_TASK_UPDATED -> "exists (this cluster's); start task updated";
        default -> "exists (this cluster's)";
      };
      events.accept(new EngineEvent(clock.instant(), "orchestrate.pool", "pool " + p.poolId() + " in " + p.accountUrl() + ": " + what, Map.of()));
    }
    return pools;
  }
}
