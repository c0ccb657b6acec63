package dev.slipway.spi;

import java.util.List;
import java.util.Optional;

/** A source of elastic node pools: the simulator, network namespaces, or Azure Batch. */
public interface NodeProvider extends AutoCloseable {
  /** The registry name: {@code sim}, {@code netns}, {@code azure-batch}. */
  String name();

  List<NodePool> pools();

  default Optional<NodePool> pool(String id) {
    return pools().stream().filter(p -> p.id().equals(id)).findFirst();
  }

  @Override
  default void close() {}
}
