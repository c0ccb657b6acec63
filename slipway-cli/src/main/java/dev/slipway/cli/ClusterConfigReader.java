package dev.slipway.cli;

import dev.slipway.config.ClusterConfig;
import java.nio.file.Path;

/**
 * Reads and validates a cluster's configuration directory: the seam between commands that need a
 * {@link ClusterConfig} and the YAML loader. Commands take one in their constructor so tests can
 * hand them a configuration built in code.
 */
@FunctionalInterface
public interface ClusterConfigReader {
  /**
   * @throws dev.slipway.config.ConfigException when the configuration is invalid
   */
  ClusterConfig read(Path configDir);

  /**
   * The reader used until the YAML loader ({@code dev.slipway.config.ConfigLoader}) is wired in:
   * it refuses with a message instead of pretending to read anything.
   */
  ClusterConfigReader NOT_WIRED = dir -> {
    throw new UsageException("reading configuration directories is not available in this build (no configuration loader is wired in)");
  };
}
