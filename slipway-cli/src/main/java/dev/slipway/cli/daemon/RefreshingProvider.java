package dev.slipway.cli.daemon;

import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A provider whose instance is built again from its factory when this daemon becomes leader. The
 * {@code netns} provider knows the nodes it adopted when it was built and those it made since; a
 * standby built at start-up knows none that the old leader made later. Built afresh, it adopts
 * every node on disk, so the new leader sees the nodes that run the jobs (instead of hosts whose
 * nodes vanished). Providers that ask a service each time (Azure Batch) or that live only in the
 * process (the simulator) are not wrapped.
 */
final class RefreshingProvider implements NodeProvider {
  private static final Logger log = LoggerFactory.getLogger(RefreshingProvider.class);

  private final Supplier<NodeProvider> factory;
  private volatile NodeProvider current;

  RefreshingProvider(Supplier<NodeProvider> factory) {
    this.factory = Objects.requireNonNull(factory, "factory");
    this.current = factory.get();
  }

  /** Builds the provider again (it adopts what exists), then closes the old instance. */
  void refresh() {
    NodeProvider old = current;
    current = factory.get();
    log.info("provider {} rebuilt on taking the lead: {} pools adopted from what exists", current.name(), current.pools().size());
    old.close();
  }

  @Override
  public String name() {
    return current.name();
  }

  @Override
  public List<NodePool> pools() {
    return current.pools();
  }

  @Override
  public Optional<NodePool> pool(String id) {
    return current.pool(id);
  }

  @Override
  public void close() {
    current.close();
  }
}
