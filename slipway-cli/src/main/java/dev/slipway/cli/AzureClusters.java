package dev.slipway.cli;

import dev.slipway.tls.DaemonIdentity;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.slipway.azure.arm.ArmConnection;
import dev.slipway.azure.arm.ArmCredentials;
import dev.slipway.azure.arm.ArmGateway;
import dev.slipway.azure.arm.ArmPlan;
import dev.slipway.azure.arm.ArmPlanner;
import dev.slipway.azure.arm.ArmProvisioner;
import dev.slipway.azure.arm.ArmResource;
import dev.slipway.azure.arm.ArmSettings;
import dev.slipway.azure.arm.ControllerShell;
import dev.slipway.azure.arm.ImageReference;
import dev.slipway.azure.arm.PlannedVm;
import dev.slipway.azure.arm.SshKeySource;
import dev.slipway.azure.arm.SshKeys;
import dev.slipway.azure.arm.UserDataSource;
import dev.slipway.azure.arm.VmRole;
import dev.slipway.azure.batch.AzureBatchNodeProvider;
import dev.slipway.azure.bootstrap.BootstrapInputs;
import dev.slipway.azure.bootstrap.ClusterUserData;
import dev.slipway.cli.daemon.JoinSecrets;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.config.Credentials;
import dev.slipway.config.ElasticPartition;
import dev.slipway.model.Secret;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import dev.slipway.spi.NodeProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The azure backend's side of {@code slipway cluster}: the ARM plan from the configuration, the
 * VMs' cloud-init from the cluster's secrets, and the provisioner that applies it with
 * credentials.yaml's management credential.
 */
final class AzureClusters {
  /** The environment variable read when {@code --slipway-jar-url} is not given (a SAS URL stays off the command line). */
  static final String JAR_URL_ENV = "SLIPWAY_JAR_URL";

  private AzureClusters() {}

  static ArmSettings settings(ClusterConfig config, Optional<String> image, Optional<String> srunPortRange, Optional<String> storageClusterId) {
    ArmSettings s = ArmSettings.defaults(ClusterHome.of(config).dir());
    try {
      if (image.isPresent()) {
        s = s.withImage(ImageReference.parse(image.get()));
      }
      if (srunPortRange.isPresent()) {
        s = s.withSrunPortRange(srunPortRange.get());
      }
      if (storageClusterId.isPresent()) {
        s = s.withStorageCluster(storageClusterId.get());
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    return s;
  }

  static ArmPlan plan(ClusterConfig config, ArmSettings settings) {
    return ArmPlanner.plan(config, settings);
  }

  /** How the VMs get their bootstrap: for a dry run nothing is written (secrets not made yet are throwaway). */
  enum Secrets {
    CREATE,
    PREVIEW
  }

  /**
   * The custom data of the plan's VMs. The munge key, join tokens and daemon TLS key are the cluster's (its
   * secrets directory, made once with mode 0400 and read thereafter), the same the pools' start
   * tasks carry and the daemon checks.
   */
  static ClusterUserData userData(ClusterConfig config, ArmPlan plan, Optional<String> jarUrl, Secrets mode) {
    Path secretsDir = ClusterHome.of(config).secrets();
    List<String> pools = poolIds(config);
    JoinSecrets secrets = mode == Secrets.CREATE || secretsExist(secretsDir, pools)
        ? JoinSecrets.loadOrCreate(secretsDir, pools, new SecureRandom())
        : throwaway(pools);
    // The daemons' TLS key goes to every controller; the pools pin it (ClusterOrchestration).
    DaemonIdentity daemonKey = mode == Secrets.CREATE || Files.exists(DaemonIdentity.keyFile(secretsDir))
        ? DaemonIdentity.loadOrCreate(secretsDir, config.slurm().clusterId(), new SecureRandom(), InstantSource.system())
        : DaemonIdentity.generate(config.slurm().clusterId(), new SecureRandom(), InstantSource.system());
    Set<String> keys = new LinkedHashSet<>();
    for (ArmResource r : plan.vms()) {
      PlannedVm vm = r.vm().orElseThrow();
      if (vm.role() != VmRole.STORAGE) {
        keys.add(publicKey(vm.sshKey(), vm.adminUsername() + "@" + plan.clusterId(), mode));
      }
    }
    String url = jarUrl.or(() -> Optional.ofNullable(System.getenv(JAR_URL_ENV))).filter(u -> !u.isBlank()).orElseGet(() -> {
      if (mode == Secrets.CREATE) {
        throw new UsageException("azure: the controllers download slipway from --slipway-jar-url URL (or " + JAR_URL_ENV
            + "), e.g. a blob SAS URL of this build's jar");
      }
      return "https://<slipway-jar-url>";
    });
    Optional<BootstrapInputs.AzureFilesShare> logShare = ArmPlanner.logShareName(config).flatMap(share ->
        config.slurm().storageAccountSettings().flatMap(a -> config.credentials().map(c -> c.storage().get(a)))
            .map(s -> new BootstrapInputs.AzureFilesShare(s.account().orElseThrow(), s.accountKey().orElseThrow(), share, s.endpoint())));
    BootstrapInputs in = new BootstrapInputs(config, secrets.mungeKey(), secrets.joinTokens(), daemonKey, slipwayFiles(config), List.copyOf(keys), url,
        fileServers(config, plan), logShare, config.slurm().controller().additionalPrepScript().map(p -> readPrep(config, p)),
        config.slurm().login().additionalPrepScript().map(p -> readPrep(config, p)));
    return new ClusterUserData(in, plan.fileServer());
  }

  /** VM name to size and hash of its custom data, for the dry run (the text holds the munge key). */
  static Map<String, String> fingerprints(ArmPlan plan, UserDataSource data) {
    Map<String, String> out = new LinkedHashMap<>();
    for (ArmResource r : plan.vms()) {
      PlannedVm vm = r.vm().orElseThrow();
      out.put(r.name(), ClusterUserData.fingerprint(data.forVm(vm.role(), vm.index())));
    }
    return out;
  }

  static ArmProvisioner provisioner(ClusterConfig config, ArmSettings settings, ArmProvisioner.DestroyOptions destroy, Optional<String> jarUrl,
      boolean needsUserData) {
    ArmPlan plan = plan(config, settings);
    // Only create writes custom data; the other verbs must not ask for a jar URL or make secrets.
    UserDataSource data = needsUserData && plan.problems().isEmpty() ? userData(config, plan, jarUrl, Secrets.CREATE) : (role, index) -> "";
    return new ArmProvisioner(plan, () -> ArmGateway.connect(connection(config, plan)), data, InstantSource.system(),
        () -> pools(config), destroy).withControllerShell(ssh(config, plan), elastic(config));
  }

  /**
   * {@code cluster ssh} and {@code cluster logs}: VM addresses through ARM, compute hosts'
   * addresses from the cluster's state store (opened only when a compute host is asked for).
   */
  static ClusterAccess access(ClusterConfig config) {
    ArmSettings settings = settings(config, Optional.empty(), Optional.empty(), Optional.empty());
    ArmProvisioner arm = provisioner(config, settings, ArmProvisioner.DestroyOptions.DEFAULT, Optional.empty(), false);
    return new AzureClusterAccess(config, arm.plan(), arm::address, host -> {
      try (dev.slipway.spi.StateStore store = Backends.openStore(config)) {
        return store.binding(host);
      }
    }, ClusterHome.of(config).dir().resolve("ssh"), logLayout(config));
  }

  /** Where the cluster's VMs write their logs: on the Azure Files share when the cluster has one (see userData). */
  static dev.slipway.azure.bootstrap.AzureLogLayout logLayout(ClusterConfig config) {
    return new dev.slipway.azure.bootstrap.AzureLogLayout(config.slurm().clusterId(), ArmPlanner.logShareName(config).isPresent());
  }

  /**
   * ssh to a VM as the controller group's admin user with its key: BatchMode (never a prompt), the
   * cluster's own known_hosts (first contact accepted, a changed key refused), 10 s to connect.
   */
  static ControllerShell ssh(ClusterConfig config, ArmPlan plan) {
    Optional<PlannedVm> primary = plan.vms(VmRole.CONTROLLER).stream().findFirst().flatMap(ArmResource::vm);
    CommandRunner runner = new ProcessCommandRunner();
    return (address, command, timeout) -> {
      if (primary.isEmpty()) {
        return new CommandRunner.Result(255, "", "the plan has no controller");
      }
      List<String> argv = new ArrayList<>(List.of("ssh"));
      primary.get().sshKey().privateKey().filter(Files::exists).ifPresent(k -> argv.addAll(List.of("-i", k.toString(), "-o", "IdentitiesOnly=yes")));
      argv.addAll(List.of("-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=accept-new",
          "-o", "UserKnownHostsFile=" + ClusterHome.of(config).dir().resolve("ssh").resolve("known_hosts"),
          primary.get().adminUsername() + "@" + address, "--"));
      argv.addAll(command);
      return runner.run(argv, timeout);
    };
  }

  private static List<ElasticPartition> elastic(ClusterConfig config) {
    return config.slurm().options().elasticPartitions();
  }

  private static List<String> poolIds(ClusterConfig config) {
    Set<String> ids = new LinkedHashSet<>();
    config.slurm().options().elasticPartitions().forEach(p -> p.pools().forEach(pool -> ids.add(pool.id())));
    return List.copyOf(ids);
  }

  private static boolean secretsExist(Path dir, List<String> pools) {
    return Files.exists(JoinSecrets.mungeKeyFile(dir)) && pools.stream().allMatch(p -> Files.exists(JoinSecrets.joinTokenFile(dir, p)));
  }

  /** Values for a dry run before the first create: random, never written, so the hash shown will differ from create's. */
  private static JoinSecrets throwaway(List<String> pools) {
    SecureRandom r = new SecureRandom();
    byte[] munge = new byte[1024];
    r.nextBytes(munge);
    Map<String, Secret> tokens = new LinkedHashMap<>();
    for (String p : pools) {
      byte[] t = new byte[32];
      r.nextBytes(t);
      tokens.put(p, Secret.of(Base64.getUrlEncoder().withoutPadding().encodeToString(t)));
    }
    return new JoinSecrets(Secret.of(Base64.getEncoder().encodeToString(munge)), tokens);
  }

  private static String publicKey(SshKeySource source, String comment, Secrets mode) {
    if (mode == Secrets.PREVIEW && source.kind() == SshKeySource.Kind.GENERATED && !Files.exists(source.publicKeyFile().orElseThrow())) {
      return "ssh-rsa (generated at create) " + comment;
    }
    return SshKeys.publicKey(source, comment);
  }

  /** Storage cluster id to addresses: the plan's NFS server, else the storage cluster's first VM by name (Azure DNS in the network). */
  private static Map<String, List<String>> fileServers(ClusterConfig config, ArmPlan plan) {
    Map<String, List<String>> out = new LinkedHashMap<>(plan.fileServers());
    for (var v : config.slurm().sharedDataVolumes()) {
      out.computeIfAbsent(v.id(), id -> List.of(hostnamePrefix(config, id) + "-vm000"));
    }
    return out;
  }

  private static String hostnamePrefix(ClusterConfig config, String id) {
    return config.sources().fs().map(f -> {
      try {
        return new YAMLMapper().readTree(f.toFile()).path("remote_fs").path("storage_clusters").path(id).path("hostname_prefix").asText(id);
      } catch (IOException e) {
        return id;
      }
    }).orElse(id);
  }

  /**
   * The configuration files the controllers' daemon reads, as they are here, except the
   * operator's management credential: controllers use their managed identity, and the
   * operator's service principal must not land on a VM.
   */
  static Map<String, String> slipwayFiles(ClusterConfig config) {
    Map<String, String> files = new LinkedHashMap<>();
    var src = config.sources();
    files.put("slurm.yaml", read(src.slurm()));
    src.config().ifPresent(p -> files.put("config.yaml", read(p)));
    src.pool().ifPresent(p -> files.put("pool.yaml", read(p)));
    src.fs().ifPresent(p -> files.put("fs.yaml", read(p)));
    src.credentials().ifPresent(p -> {
      try {
        YAMLMapper yaml = new YAMLMapper();
        JsonNode root = yaml.readTree(p.toFile());
        if (root != null && root.path("credentials").isObject()) {
          ((ObjectNode) root.path("credentials")).remove("management");
        }
        files.put("credentials.yaml", root == null ? "" : yaml.writeValueAsString(root));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + p, e);
      }
    });
    return files;
  }

  private static String readPrep(ClusterConfig config, Path script) {
    return read(config.sources().baseDir().resolve(script));
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
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
