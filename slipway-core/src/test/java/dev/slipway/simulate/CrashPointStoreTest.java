package dev.slipway.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.spi.StateStore;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CrashPointStoreTest {
  /**
   * A wrapper that inherits a default method reads through the slow generic path instead of the
   * wrapped store's indexed one: the burst benchmark spent minutes in bindingsOfNode's default.
   */
  @Test
  void everyStoreMethod_includingDefaults_isForwardedToTheWrappedStore() throws Exception {
    List<String> missing = Arrays.stream(StateStore.class.getMethods())
        .filter(m -> !m.isSynthetic() && !java.lang.reflect.Modifier.isStatic(m.getModifiers()))
        .filter(m -> !declares(m))
        .map(Method::getName)
        .toList();
    assertThat(missing).isEmpty();
  }

  private static boolean declares(Method m) {
    try {
      CrashPointStore.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
