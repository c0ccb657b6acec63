package dev.slipway.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class RegistryTest {
  private final Registry<String, String> registry = Registry.of("store",
      Map.<String, Function<String, String>>of("sqlite", ctx -> "sqlite@" + ctx, "azure-storage", ctx -> "azure@" + ctx));

  @Test
  void create_knownName_buildsWithTheContext() {
    assertThat(registry.create("sqlite", "/tmp/x")).isEqualTo("sqlite@/tmp/x");
  }

  @Test
  void create_unknownName_failsListingTheKnownNamesInOrder() {
    assertThatThrownBy(() -> registry.create("sqllite", "/tmp/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown store 'sqllite'; known: azure-storage, sqlite");
  }
}
