package dev.slipway.config;

import java.util.List;
import java.util.Objects;

/**
 * A configuration that loaded without errors, and the warnings found on the way (unknown VM sizes,
 * no shared volume for slurmctld state, misspellings that were accepted...). Front ends print the
 * warnings; the core never does.
 */
public record LoadedConfig(ClusterConfig config, List<ConfigProblem> warnings) {
  public LoadedConfig {
    Objects.requireNonNull(config, "config");
    warnings = List.copyOf(warnings);
  }
}
