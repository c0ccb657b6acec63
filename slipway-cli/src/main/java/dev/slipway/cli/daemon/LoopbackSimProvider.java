package dev.slipway.cli.daemon;

import dev.slipway.sim.SimProvider;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderNode;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The simulator as the daemon's {@code sim} provider: nodes are child processes on this machine
 * ({@link SimNodeLauncher}), so their addresses are reported on the loopback network, where their
 * join requests come from. Everything else is the simulator's.
 */
public final class LoopbackSimProvider implements NodeProvider {
  private final SimProvider sim;
  private final AutoCloseable launcher;

  public LoopbackSimProvider(SimProvider sim, AutoCloseable launcher) {
    this.sim = sim;
    this.launcher = launcher;
  }

  public SimProvider sim() {
    return sim;
  }

  @Override
  public String name() {
    return "sim";
  }

  @Override
  public List<NodePool> pools() {
    return sim.pools().stream().map(p -> (NodePool) new Pool(p)).toList();
  }

  @Override
  public Optional<NodePool> pool(String id) {
    return sim.pool(id).map(Pool::new);
  }

  @Override
  public void close() {
    try {
      launcher.close();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the sim nodes' join scripts: " + e.getMessage(), e);
    }
  }

  private record Pool(NodePool pool) implements NodePool {
    @Override
    public String id() {
      return pool.id();
    }

    @Override
    public int maxSize() {
      return pool.maxSize();
    }

    @Override
    public PoolStatus status() {
      return pool.status();
    }

    @Override
    public List<ProviderNode> nodes() {
      return pool.nodes().stream().map(n -> new ProviderNode(n.id(), n.poolId(), n.state(), n.lowPriority(),
          n.address().map(SimNodeLauncher::loopback), n.createdAt(), n.error())).toList();
    }

    @Override
    public void resize(PoolTarget target) {
      pool.resize(target);
    }

    @Override
    public void remove(Collection<String> nodeIds) {
      pool.remove(nodeIds);
    }
  }
}
