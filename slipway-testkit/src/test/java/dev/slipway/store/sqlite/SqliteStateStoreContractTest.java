package dev.slipway.store.sqlite;

import dev.slipway.spi.StateStore;
import dev.slipway.testkit.StateStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite store passes the store contract, with races between two connections on one file. */
class SqliteStateStoreContractTest extends StateStoreContract {
  @TempDir Path dir;

  @Override
  protected StateStore newStore() {
    return SqliteStateStore.open(dir.resolve("state.db"));
  }

  @Override
  protected StateStore anotherHandle(StateStore store) {
    return SqliteStateStore.open(((SqliteStateStore) store).file());
  }

  @Override
  protected boolean tracksChanges() {
    return true;
  }
}
