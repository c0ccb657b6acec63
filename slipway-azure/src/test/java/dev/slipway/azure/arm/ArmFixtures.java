package dev.slipway.azure.arm;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigLoader;
import dev.slipway.config.KnownVmSizes;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The configuration fixtures under src/test/resources/arm/fixtures, loaded as the CLI would. */
final class ArmFixtures {
  private ArmFixtures() {}

  static Path dir(String name) {
    try {
      return Path.of(ArmFixtures.class.getResource("/arm/fixtures/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static ClusterConfig load(String name) {
    return new ConfigLoader(KnownVmSizes.none()).loadDirectory(dir(name)).config();
  }

  static ArmSettings settings(String clusterId) {
    return ArmSettings.defaults(Path.of("/var/lib/slipway", clusterId));
  }
}
