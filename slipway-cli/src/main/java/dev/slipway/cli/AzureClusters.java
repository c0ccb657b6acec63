package dev.slipway.cli;

import dev.slipway.azure.arm.ArmConnection;
import dev.slipway.azure.arm.ArmCredentials;
import dev.slipway.azure.arm.ArmGateway;
import dev.slipway.azure.arm.ArmPlan;
import dev.slipway.azure.arm.ArmPlanner;
import dev.slipway.azure.arm.ArmProvisioner;
import dev.slipway.azure.arm.ArmSettings;
import dev.slipway.azure.arm.ImageReference;
import dev.slipway.azure.arm.UserDataSource;
import dev.slipway.azure.batch.AzureBatchNodeProvider;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.config.Credentials;
import dev.slipway.spi.NodeProvider;
import java.time.InstantSource;
import java.util.Optional;

/**
 * The azure backend's side of {@code slipway cluster}: the ARM plan from the configuration and
 * the provisioner that applies it with credentials.yaml's management credential.
 */
final class AzureClusters {
  /**
   * Custom data for controller and login VMs. Until the bootstrap (dev.slipway.azure.bootstrap)
   * is wired here, VMs get none and come up as plain Ubuntu: the ARM resources are complete, the
   * Slurm setup on them is not.
   */
  static final UserDataSource USER_DATA = (role, index) -> "";

  private AzureClusters() {}

  static ArmSettings settings(ClusterConfig config, Optional<String> image, Optional<String> srunPortRange) {
    ArmSettings s = ArmSettings.defaults(ClusterHome.of(config).dir());
    try {
      if (image.isPresent()) {
        s = s.withImage(ImageReference.parse(image.get()));
      }
      if (srunPortRange.isPresent()) {
        s = s.withSrunPortRange(srunPortRange.get());
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    return s;
  }

  static ArmPlan plan(ClusterConfig config, ArmSettings settings) {
    return ArmPlanner.plan(config, settings);
  }

  static ArmProvisioner provisioner(ClusterConfig config, ArmSettings settings, ArmProvisioner.DestroyOptions destroy) {
    ArmPlan plan = plan(config, settings);
    return new ArmProvisioner(plan, () -> ArmGateway.connect(connection(config, plan)), USER_DATA, InstantSource.system(),
        () -> pools(config), destroy);
  }

  private static ArmConnection connection(ClusterConfig config, ArmPlan plan) {
    Credentials.ManagementCredentials m = config.credentials().flatMap(Credentials::management)
        .orElseThrow(() -> new ConfigException(plan.problems()));
    return ArmConnection.of(ArmCredentials.endpoint(m), plan.subscriptionId(),
        m.aad().flatMap(Credentials.Aad::directoryId), ArmCredentials.from(m));
  }

  /** The Batch pools for status, when credentials.yaml lets us reach them. */
  private static Optional<NodeProvider> pools(ClusterConfig config) {
    try {
      return Optional.of(Backends.providers().create(AzureBatchNodeProvider.NAME,
          new Backends.ProviderContext(config, ClusterHome.of(config), InstantSource.system(), null)));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
