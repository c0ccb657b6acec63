package dev.slipway.testkit;

import dev.slipway.spi.StateStore;

/** The in-memory store used by engine tests keeps the same contract as the real stores. */
class InMemoryStateStoreContractTest extends StateStoreContract {
  @Override
  protected StateStore newStore() {
    return new InMemoryStateStore();
  }

  @Override
  protected boolean tracksChanges() {
    return true;
  }
}
