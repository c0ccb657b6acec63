package dev.slipway.simulate;

import dev.slipway.sim.SimProvider;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.ProviderNode;
import java.time.InstantSource;

/**
 * What the engine talks to instead of the simulated cloud itself: a provider in front of the
 * {@link SimProvider} (the azure-batch provider over a Batch emulator whose nodes are the
 * simulator's, built in slipway-cli, which this module cannot see). The harness keeps driving and
 * observing the simulated cloud; only the engine's reconciler and join service go through the
 * front.
 *
 * <p>A front answers over threads of its own (HTTP), so the harness never calls it while it holds
 * the simulator: a booted node's join runs after the cloud's step, not inside it.
 */
public interface EngineFront extends AutoCloseable {
  /** Builds a front over the simulation's cloud, on the simulation's clock. */
  @FunctionalInterface
  interface Factory {
    EngineFront open(SimProvider cloud, InstantSource clock);
  }

  /** The provider the engine uses. */
  NodeProvider provider();

  /** The id under which the engine's provider lists a node of the simulated cloud. */
  String engineNodeId(ProviderNode cloudNode);

  /** The harness moved the cloud to the clock's instant: let the front catch up (an emulator update). */
  void cloudAdvanced();

  @Override
  void close();
}
