package dev.slipway.hooks;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.engine.ClusterTopology;
import dev.slipway.model.NodeType;
import dev.slipway.spi.StateStore;
import dev.slipway.testkit.InMemoryStateStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The store the hook tests hand to PowerSaveHook and SpoolImporter: an in-memory store behind a
 * proxy that records every StateStore method called, in order, and can be told to throw from one
 * method, so that a test sees how many store calls a hook makes and what it does when one fails.
 */
final class ObservedStore {
  private final InMemoryStateStore memory = new InMemoryStateStore();
  private final List<String> calls = new ArrayList<>();
  private Optional<String> failingMethod = Optional.empty();
  private Optional<RuntimeException> failure = Optional.empty();
  private final StateStore store = (StateStore) Proxy.newProxyInstance(StateStore.class.getClassLoader(),
      new Class<?>[] {StateStore.class}, (proxy, method, args) -> {
        calls.add(method.getName());
        if (failingMethod.filter(method.getName()::equals).isPresent()) {
          throw failure.orElseThrow();
        }
        try {
          return method.invoke(memory, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      });

  /** The store to hand to the code under test. */
  StateStore store() {
    return store;
  }

  /** What the store holds, read without being recorded as a call. */
  InMemoryStateStore memory() {
    return memory;
  }

  /** Every method called on {@link #store()}, in order (a live view). */
  List<String> calls() {
    return calls;
  }

  /** From now on {@code method} throws {@code e} (and writes nothing). */
  void failOn(String method, RuntimeException e) {
    failingMethod = Optional.of(method);
    failure = Optional.of(e);
  }

  /** The store works again. */
  void recover() {
    failingMethod = Optional.empty();
    failure = Optional.empty();
  }

  /** Partition cpu (default) with pools cpu (hosts cpu-[0-7]) and gpu (gpu-[0-1]), the hook tests' cluster. */
  static ClusterTopology cpuAndGpuPools() {
    return ClusterTopology.fromPartitions(List.of(
        new ElasticPartition("cpu", List.of(pool("cpu", 8), pool("gpu", 2)), "UNLIMITED", true, Optional.empty(),
            Optional.empty(), Optional.empty(), OptionalInt.empty(), List.of())));
  }

  private static ElasticPool pool(String id, int max) {
    return new ElasticPool(id, id, Optional.empty(), NodeType.DEDICATED, max, 0, List.of(), 0, Optional.empty());
  }
}
