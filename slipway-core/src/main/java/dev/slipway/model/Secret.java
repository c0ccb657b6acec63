package dev.slipway.model;

import java.util.Objects;

/**
 * A secret value (key, token, password). Its {@link #toString()} is masked so that a secret never
 * reaches a log line, an exception message or {@code config show} output by accident; code that
 * really needs the value calls {@link #reveal()}, which is easy to search for.
 */
public final class Secret {
  private final String value;

  private Secret(String value) {
    this.value = Objects.requireNonNull(value, "value");
  }

  public static Secret of(String value) {
    return new Secret(value);
  }

  public String reveal() {
    return value;
  }

  public boolean isEmpty() {
    return value.isEmpty();
  }

  @Override
  public String toString() {
    return value.isEmpty() ? "" : "********";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret s && s.value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }
}
