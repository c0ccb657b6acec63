package dev.slipway.cli.emulator;

import dev.slipway.azure.batch.AzureBatchNodeProvider;
import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchClientOptions;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchRetryPolicy;
import dev.slipway.azure.batch.BatchSharedKeyCredential;
import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.azure.batch.emulator.SimNodeBackend;
import dev.slipway.model.Secret;
import dev.slipway.sim.SimProvider;
import dev.slipway.simulate.EngineFront;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.ProviderNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code slipway simulate --provider azure-batch}: the engine talks to the azure-batch provider,
 * which talks HTTP to a {@link BatchEmulator} on loopback, whose nodes are the simulation's own
 * ({@link SimNodeBackend}); everything on the simulation's virtual clock. One Batch pool per
 * simulated pool, created at the start. The emulator has no thread of its own: after each step of
 * the simulated cloud the harness calls {@link #cloudAdvanced()}, which brings the emulator up to
 * date, so a resize that the simulator grants one node at a time completes within the same virtual
 * instant. Closing stops the emulator.
 */
public final class SimulatedBatchFront implements EngineFront {
  private static final String ACCOUNT = "simulated";

  private final BatchEmulator emulator;
  private final SimNodeBackend backend;
  private final AzureBatchNodeProvider provider;

  private SimulatedBatchFront(BatchEmulator emulator, SimNodeBackend backend, AzureBatchNodeProvider provider) {
    this.emulator = emulator;
    this.backend = backend;
    this.provider = provider;
  }

  /** A factory for {@code Simulation.withEngineFront}. */
  public static EngineFront open(SimProvider cloud, InstantSource clock) {
    SimNodeBackend backend = new SimNodeBackend(cloud, clock);
    BatchEmulator emulator;
    try {
      emulator = BatchEmulator.start(BatchEmulator.Settings.of(ACCOUNT, clock, backend));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the Batch emulator on loopback: " + e.getMessage(), e);
    }
    try {
      // The emulator runs without authentication; the client signs anyway, as against Azure.
      BatchClient client = BatchClient.withSharedKey(emulator.url(), new BatchSharedKeyCredential(ACCOUNT, Secret.of("c2ltdWxhdGVk")),
          BatchClientOptions.defaults().withClock(clock).withRetry(BatchRetryPolicy.NONE, d -> { }));
      List<AzureBatchNodeProvider.PoolBinding> bindings = new ArrayList<>();
      for (NodePool pool : cloud.pools()) {
        client.addPool(new BatchPoolSpec(pool.id(), "standard_d2s_v3", Optional.of("canonical"), Optional.of("ubuntu-24_04-lts"),
            Optional.of("server"), Optional.of("latest"), Optional.empty(), "batch.node.ubuntu 24.04", 0, 0, Duration.ofMinutes(15), 1,
            false, Optional.empty(), Optional.empty(), Map.of()));
        bindings.add(new AzureBatchNodeProvider.PoolBinding(pool.id(), emulator.url(), pool.maxSize()));
      }
      AzureBatchNodeProvider provider = new AzureBatchNodeProvider(bindings, url -> client, Duration.ofMinutes(15), clock);
      return new SimulatedBatchFront(emulator, backend, provider);
    } catch (RuntimeException e) {
      emulator.close();
      throw e;
    }
  }

  @Override
  public NodeProvider provider() {
    return provider;
  }

  @Override
  public String engineNodeId(ProviderNode cloudNode) {
    return backend.emulatedNodeId(cloudNode.poolId(), cloudNode.id()).orElse(cloudNode.id());
  }

  @Override
  public void cloudAdvanced() {
    emulator.tick();
  }

  /** Every REST request the engine made, for counting calls by operation. */
  public List<BatchEmulator.RecordedRequest> requests() {
    return emulator.requests();
  }

  @Override
  public void close() {
    emulator.close();
  }
}
