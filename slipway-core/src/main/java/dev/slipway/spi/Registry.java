package dev.slipway.spi;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * An explicit, closed registry of named implementations (providers, stores): no classpath
 * scanning, so what a build can run is visible in one place. Asking for an unknown name fails
 * with a message that lists the known ones.
 *
 * @param <C> what a factory needs to build one (configuration, paths)
 * @param <T> what it builds
 */
public final class Registry<C, T> {
  private final String kind;
  private final Map<String, Function<C, T>> factories;

  private Registry(String kind, Map<String, Function<C, T>> factories) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.factories = Collections.unmodifiableMap(new TreeMap<>(factories));
  }

  public static <C, T> Registry<C, T> of(String kind, Map<String, Function<C, T>> factories) {
    return new Registry<>(kind, factories);
  }

  /** Builds the named implementation; an unknown name is an {@link IllegalArgumentException} listing the known ones. */
  public T create(String name, C context) {
    Function<C, T> factory = Optional.ofNullable(factories.get(name)).orElseThrow(() ->
        new IllegalArgumentException("unknown " + kind + " '" + name + "'; known: " + String.join(", ", factories.keySet())));
    return factory.apply(context);
  }

  public java.util.Set<String> names() {
    return factories.keySet();
  }

  public String kind() {
    return kind;
  }
}
