package dev.slipway.azure.store;

import dev.slipway.spi.StateStore;
import dev.slipway.testkit.StateStoreContract;
import java.util.UUID;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store contract against Azurite: every test gets its own cluster (its own table and lease
 * container), and the race tests use a second client on the same table and container.
 */
class AzureStorageStateStoreIT extends StateStoreContract {
  @RegisterExtension
  static final Azurite AZURITE = new Azurite();

  @Override
  protected StateStore newStore() {
    String cluster = "it" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    return AzureStorageStateStore.open(new AzureStorageStateStore.Settings(
        StorageAccount.connectionString(AZURITE.connectionString()), StoreNames.forCluster("slipway", cluster)));
  }

  @Override
  protected StateStore anotherHandle(StateStore store) {
    return ((AzureStorageStateStore) store).reopen();
  }
}
