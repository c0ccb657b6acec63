package dev.slipway.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardingStateStoreTest {
  @Test
  void everyMethodOfTheSpi_defaultsIncluded_isForwarded() {
    List<String> missing = new ArrayList<>();
    for (Method m : StateStore.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      try {
        Method own = ForwardingStateStore.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
        if (Modifier.isAbstract(own.getModifiers())) {
          missing.add(m.toGenericString());
        }
      } catch (NoSuchMethodException e) {
        missing.add(m.toGenericString());
      }
    }
    assertThat(missing).as("StateStore methods ForwardingStateStore does not forward").isEmpty();
  }

  @Test
  void eachForwardedCall_reachesTheDelegateWithItsArguments() throws Exception {
    List<String> calls = new ArrayList<>();
    StateStore recorder = (StateStore) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {StateStore.class},
        (proxy, method, args) -> {
          calls.add(method.getName() + Arrays.toString(args == null ? new Object[0] : args));
          return defaultValue(method.getReturnType());
        });
    ForwardingStateStore store = new ForwardingStateStore(recorder) {};
    for (Method m : StateStore.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      Object[] args = Arrays.stream(m.getParameterTypes()).map(ForwardingStateStoreTest::sample).toArray();
      calls.clear();
      m.invoke(store, args);
      assertThat(calls).as(m.toGenericString()).containsExactly(m.getName() + Arrays.toString(args));
    }
  }

  private static Object sample(Class<?> type) {
    if (type == long.class) {
      return 7L;
    }
    if (type == int.class) {
      return 3;
    }
    if (type == String.class) {
      return "h-1";
    }
    if (type == List.class || type == java.util.Collection.class) {
      return List.of();
    }
    if (type == java.time.Duration.class) {
      return java.time.Duration.ofSeconds(5);
    }
    if (type == java.time.Instant.class) {
      return java.time.Instant.EPOCH;
    }
    return null; // records (bindings, pools) and enums: identity is all the forwarding needs
  }

  private static Object defaultValue(Class<?> type) {
    if (type == boolean.class) {
      return false;
    }
    if (type == int.class) {
      return 0;
    }
    if (type == java.util.Optional.class) {
      return java.util.Optional.empty();
    }
    if (type == List.class) {
      return List.of();
    }
    if (type == java.util.Map.class) {
      return java.util.Map.of();
    }
    return null;
  }
}
