package dev.slipway.azure.pools;

import dev.slipway.azure.arm.ArmPlanner;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchVmExtension;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import dev.slipway.config.Credentials;
import dev.slipway.config.PoolSpec;
import dev.slipway.model.VmSize;
import dev.slipway.slurm.VmSizeCatalog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns pool.yaml's {@code pool_specification} into the Batch pool Slipway creates for Slurm:
 * fixed size with zero nodes (the daemon grows it), no autoscale, one task slot unless configured,
 * the join start task, ownership metadata, and the options of Batch Shipyard that still mean
 * something here (image, subnet, inter-node communication, resize timeout, container runtime,
 * NVIDIA driver). Every problem is reported at once, each naming the pool.yaml key to fix.
 */
public final class BatchPoolTemplate {
  /** Batch Shipyard's default {@code resize_timeout}. */
  public static final Duration DEFAULT_RESIZE_TIMEOUT = Duration.ofMinutes(15);
  /** The shortest resize timeout Batch accepts. */
  public static final Duration MIN_RESIZE_TIMEOUT = Duration.ofMinutes(5);
  private static final String KEY = "pool_specification.";

  private BatchPoolTemplate() {}

  /**
   * @throws ConfigException listing every pool.yaml setting that cannot become a Batch pool
   */
  public static BatchPoolSpec from(ClusterConfig config, PoolSpec pool, JoinEndpoint join) {
    List<ConfigProblem> problems = new ArrayList<>();
    Optional<Path> file = config.sources().pool();
    PoolSpec.NodeSetup setup = pool.nodeSetup();

    String vmSize = pool.vmSize().orElse("");
    if (vmSize.isBlank()) problems.add(error(file, "vm_size", "pool '" + pool.id() + "' has no VM size", "an Azure VM size, e.g. STANDARD_D2S_V5"));

    if (pool.dedicatedCount() != 0 || pool.lowPriorityCount() != 0) {
      problems.add(error(file, "vm_count", "is dedicated " + pool.dedicatedCount() + ", low_priority " + pool.lowPriorityCount()
          + "; Slurm's power saving decides how many nodes exist, so the pool starts empty", "dedicated: 0 and low_priority: 0"));
    }

    Optional<String> agent = Optional.empty();
    boolean platform = pool.imagePublisher().isPresent() || pool.imageOffer().isPresent() || pool.imageSku().isPresent();
    if (setup.customImageId().isPresent()) {
      if (platform) {
        problems.add(error(file, "vm_configuration", "has both platform_image and custom_image", "one of them"));
      }
      agent = setup.nodeAgent();
      if (agent.isEmpty()) {
        problems.add(error(file, "vm_configuration.custom_image.node_agent", "a custom image needs its Batch node agent SKU",
            "e.g. batch.node.ubuntu 22.04"));
      }
    } else if (pool.imagePublisher().isPresent() && pool.imageOffer().isPresent() && pool.imageSku().isPresent()) {
      agent = NodeAgentSkus.forPlatformImage(pool.imagePublisher().get(), pool.imageOffer().get(), pool.imageSku().get());
      if (agent.isEmpty()) {
        problems.add(error(file, "vm_configuration.platform_image", "Slipway cannot tell the Batch node agent of "
            + pool.imagePublisher().get() + "/" + pool.imageOffer().get() + "/" + pool.imageSku().get(),
            "an Ubuntu, Debian or EL (Alma, Rocky) image, or custom_image with node_agent"));
      }
    } else {
      problems.add(error(file, "vm_configuration", "names no complete image",
          "platform_image with publisher, offer and sku, or custom_image with arm_image_id and node_agent"));
    }

    Optional<String> subnetId = subnetId(config, pool, file, problems);

    Duration resizeTimeout = setup.resizeTimeout().orElse(DEFAULT_RESIZE_TIMEOUT);
    if (resizeTimeout.compareTo(MIN_RESIZE_TIMEOUT) < 0) {
      problems.add(error(file, "resize_timeout", "is " + resizeTimeout + ", shorter than Batch allows", "at least 00:05:00"));
    }

    Optional<String> containerType = Optional.empty();
    List<String> unsupported = setup.containerRuntimes().stream().filter(r -> !r.equals("runc") && !r.equals("docker")).toList();
    if (!unsupported.isEmpty()) {
      problems.add(error(file, "container_runtimes.install", "lists " + unsupported + ", which Batch does not install",
          "runc or docker (Batch installs a Docker-compatible runtime); install others with additional_node_prep.commands.pre"));
    }
    if (setup.defaultContainerRuntime().isPresent() && !List.of("runc", "docker").contains(setup.defaultContainerRuntime().get())) {
      problems.add(error(file, "container_runtimes.default", "is " + setup.defaultContainerRuntime().get()
          + ", which Batch does not install", "runc"));
    }
    if (!setup.containerRuntimes().isEmpty() || setup.defaultContainerRuntime().isPresent()) {
      containerType = Optional.of("dockerCompatible");
    }

    List<BatchVmExtension> extensions = new ArrayList<>();
    Optional<VmSize> size = VmSizeCatalog.shipped().withDeclared(config.slipway().vmSizes()).find(vmSize);
    boolean gpus = size.map(s -> s.gpus() > 0).orElse(false);
    if (setup.gpuDriver() || gpus) {
      extensions.add(BatchVmExtension.NVIDIA_GPU_DRIVER_LINUX);
    }

    int slots = setup.taskSlotsPerNode().orElse(1);
    if (slots < 1) problems.add(error(file, "task_slots_per_node", "is " + slots, "1 or more"));

    Optional<dev.slipway.azure.batch.BatchStartTask> startTask = Optional.empty();
    Optional<ClusterUser> user = Optional.empty();
    try {
      user = Optional.of(ClusterUser.ofLogin(config));
    } catch (IllegalArgumentException e) {
      problems.add(ConfigProblem.error(Optional.of(config.sources().slurm()), 0, 0, "slurm.login.ssh.username", e.getMessage(),
          "a Linux user name, e.g. shipyard"));
    } catch (java.io.UncheckedIOException e) {
      problems.add(ConfigProblem.error(Optional.of(config.sources().slurm()), 0, 0, "slurm.login.ssh.ssh_public_key", e.getMessage(),
          "a readable OpenSSH public key file"));
    }
    try {
      if (user.isPresent()) {
        startTask = Optional.of(NodeStartTask.of(pool.id(), join, setup, user.get(), ArmPlanner.logShareName(config).isPresent()));
      }
    } catch (IllegalArgumentException e) {
      problems.add(error(file, "additional_node_prep", e.getMessage(), "names that do not start with SLIPWAY_"));
    }

    if (!problems.isEmpty()) throw new ConfigException(problems);
    boolean custom = setup.customImageId().isPresent();
    return new BatchPoolSpec(pool.id(), vmSize,
        custom ? Optional.empty() : pool.imagePublisher(), custom ? Optional.empty() : pool.imageOffer(),
        custom ? Optional.empty() : pool.imageSku(), custom ? Optional.empty() : setup.imageVersion(), setup.customImageId(),
        agent.orElseThrow(), 0, 0, resizeTimeout, slots, pool.interNodeCommunication(), subnetId, startTask,
        PoolOwnership.metadata(join.clusterId()), containerType, extensions);
  }

  private static Optional<String> subnetId(ClusterConfig config, PoolSpec pool, Optional<Path> file, List<ConfigProblem> problems) {
    if (pool.armSubnetId().isPresent()) return pool.armSubnetId();
    if (pool.virtualNetworkName().isEmpty() || pool.subnetName().isEmpty()) {
      problems.add(error(file, "virtual_network", "is missing; nodes must reach the controllers' daemons and slurmctld",
          "arm_subnet_id, or name with subnet.name in the controllers' virtual network"));
      return Optional.empty();
    }
    Optional<String> subscription = config.credentials().flatMap(Credentials::management).flatMap(Credentials.ManagementCredentials::subscriptionId);
    Optional<String> group = pool.nodeSetup().virtualNetworkResourceGroup().or(() -> config.slurm().resourceGroup());
    if (subscription.isEmpty()) {
      problems.add(ConfigProblem.error(config.sources().credentials(), 0, 0, "credentials.management.subscription_id",
          "is needed to name the pool's subnet " + pool.virtualNetworkName().get() + "/" + pool.subnetName().get(),
          "the subscription id, or arm_subnet_id in pool.yaml"));
    }
    if (group.isEmpty()) {
      problems.add(error(file, "virtual_network.resource_group", "is needed to name the pool's subnet",
          "the virtual network's resource group (or slurm.resource_group)"));
    }
    if (subscription.isEmpty() || group.isEmpty()) return Optional.empty();
    return Optional.of("/subscriptions/" + subscription.get() + "/resourceGroups/" + group.get()
        + "/providers/Microsoft.Network/virtualNetworks/" + pool.virtualNetworkName().get() + "/subnets/" + pool.subnetName().get());
  }

  private static ConfigProblem error(Optional<Path> file, String key, String message, String allowed) {
    return ConfigProblem.error(file, 0, 0, KEY + key, message, allowed);
  }
}
