package dev.slipway.cli;

import dev.slipway.config.ClusterConfig;

/**
 * Supplies a command with its validated {@link ClusterConfig}: commands load it through
 * {@link ConfigOptions}; tests hand them a configuration built in code through this seam.
 */
@FunctionalInterface
public interface ClusterConfigReader {
  /**
   * @throws dev.slipway.config.ConfigException when the configuration is invalid
   */
  ClusterConfig read();
}
