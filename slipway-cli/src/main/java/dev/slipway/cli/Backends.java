package dev.slipway.cli;

import dev.slipway.azure.store.AzureStorageStateStore;
import dev.slipway.config.Backend;
import dev.slipway.config.ClusterConfig;
import dev.slipway.spi.Registry;
import dev.slipway.spi.StateStore;
import dev.slipway.store.sqlite.SqliteStateStore;
import java.util.Map;
import java.util.function.Function;

/**
 * The explicit registries of what this build can run: state stores by name (and, as they are
 * wired, node providers). The CLI is the only module that knows every implementation.
 */
public final class Backends {
  /** What a store factory needs. */
  public record StoreContext(ClusterConfig config, ClusterHome home) {}

  private static final Registry<StoreContext, StateStore> STORES = Registry.of("state store",
      Map.<String, Function<StoreContext, StateStore>>of(
          "sqlite", ctx -> SqliteStateStore.open(ctx.home().stateDb()),
          "azure-storage", ctx -> AzureStorageStateStore.forCluster(ctx.config())));

  private Backends() {}

  public static Registry<StoreContext, StateStore> stores() {
    return STORES;
  }

  /** The store a backend uses: azure keeps shared state in Azure Storage, the others in SQLite. */
  public static String storeNameFor(Backend backend) {
    return backend == Backend.AZURE ? "azure-storage" : "sqlite";
  }

  /** Opens the configured backend's store (exit 4 through StoreUnavailableException when it cannot). */
  public static StateStore openStore(ClusterConfig config) {
    return STORES.create(storeNameFor(config.slipway().backend()), new StoreContext(config, ClusterHome.of(config)));
  }
}
