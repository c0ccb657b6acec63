package dev.slipway.cli.daemon;

import dev.slipway.spi.StateStore;
import dev.slipway.spi.StoreUnavailableException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/** A store that can be cut off: while {@code down}, every call fails as an unreachable store does. */
final class FailingStore {
  private FailingStore() {}

  static StateStore cutOff(StateStore delegate, java.util.function.BooleanSupplier down) {
    return (StateStore) Proxy.newProxyInstance(StateStore.class.getClassLoader(), new Class<?>[] {StateStore.class}, (proxy, method, args) -> {
      if (down.getAsBoolean() && !method.getName().equals("close")) {
        throw new StoreUnavailableException("state store test.db: unreachable (test)", null);
      }
      try {
        return method.invoke(delegate, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    });
  }
}
