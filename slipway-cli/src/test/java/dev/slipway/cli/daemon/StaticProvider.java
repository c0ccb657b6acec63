package dev.slipway.cli.daemon;

import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** A provider whose single pool lists exactly the nodes a test puts in it; it records resizes and removals. */
final class StaticProvider implements NodeProvider {
  final String poolId;
  final List<ProviderNode> nodes = new ArrayList<>();
  final List<PoolTarget> resizes = new ArrayList<>();
  final List<List<String>> removals = new ArrayList<>();
  volatile RuntimeException failure;

  StaticProvider(String poolId) {
    this.poolId = poolId;
  }

  synchronized void add(ProviderNode node) {
    nodes.add(node);
  }

  @Override
  public String name() {
    return "static";
  }

  @Override
  public List<NodePool> pools() {
    return List.of(pool);
  }

  private final NodePool pool = new NodePool() {
    @Override
    public String id() {
      return poolId;
    }

    @Override
    public int maxSize() {
      return 100;
    }

    @Override
    public PoolStatus status() {
      synchronized (StaticProvider.this) {
        check();
        return new PoolStatus(resizes.isEmpty() ? PoolTarget.ZERO : resizes.get(resizes.size() - 1), false, List.of());
      }
    }

    @Override
    public List<ProviderNode> nodes() {
      synchronized (StaticProvider.this) {
        check();
        return List.copyOf(nodes);
      }
    }

    @Override
    public void resize(PoolTarget target) {
      synchronized (StaticProvider.this) {
        resizes.add(target);
      }
    }

    @Override
    public void remove(Collection<String> nodeIds) {
      synchronized (StaticProvider.this) {
        removals.add(List.copyOf(nodeIds));
        nodes.removeIf(n -> nodeIds.contains(n.id()));
      }
    }
  };

  private void check() {
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public Optional<NodePool> pool(String id) {
    return id.equals(poolId) ? Optional.of(pool) : Optional.empty();
  }
}
