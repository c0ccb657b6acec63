package dev.slipway.config;

import dev.slipway.model.NodeType;
import dev.slipway.model.VmSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Loads Batch Shipyard's configuration files plus Slipway's {@code slipway:} section into a
 * validated {@link ClusterConfig}. It reads everything before it judges anything and then throws
 * one {@link ConfigException} with every error, each located as {@code file:line:col key.path};
 * warnings are returned beside the configuration. slurm.yaml is checked strictly (unknown keys are
 * errors, see {@link SlurmYamlKeys}); the other files are shared with Batch Shipyard tooling and
 * only the keys Slipway reads are checked. The loader never reads the environment: the CLI
 * decides which files to pass.
 */
public final class ConfigLoader {
  /** See docs/configuration.md: it becomes Slurm's ClusterName and a prefix of resource names. */
  static final Pattern CLUSTER_ID = Pattern.compile("[a-z]([a-z0-9-]*[a-z0-9])?");
  static final int CLUSTER_ID_MAX = 22;
  private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?");
  private static final String HOST_LABEL_RULE = "letters, digits and hyphens, starting and ending with a letter or digit"
      + " (RFC 1123 label), lower case recommended";
  private static final Pattern OVER_SUBSCRIBE = Pattern.compile("NO|EXCLUSIVE|YES(:\\d+)?|FORCE(:\\d+)?");
  private static final Pattern IPV4_CIDR =
      Pattern.compile("((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)/(\\d|[12]\\d|3[0-2])");

  static final Duration DEFAULT_IDLE_RECLAIM_TIME = Duration.ofMinutes(15);
  static final Duration DEFAULT_RESUME_TIMEOUT = Duration.ofMinutes(10);
  static final Duration DEFAULT_SUSPEND_TIMEOUT = Duration.ofMinutes(5);
  static final int DEFAULT_DAEMON_PORT = 6820;
  static final String DEFAULT_LOCAL_SUBNET = "10.211.0.0/24";

  private final KnownVmSizes knownVmSizes;

  public ConfigLoader(KnownVmSizes knownVmSizes) {
    this.knownVmSizes = knownVmSizes;
  }

  /** Loads slurm.yaml and its companions from one directory. */
  public LoadedConfig loadDirectory(Path dir) {
    return load(ConfigFiles.inDirectory(dir));
  }

  /** Loads the given files; throws {@link ConfigException} with every error found. */
  public LoadedConfig load(ConfigFiles files) {
    ProblemCollector problems = new ProblemCollector();
    if (files.slurm().isEmpty()) {
      throw new ConfigException(List.of(ConfigProblem.error(Optional.empty(), 0, 0, "slurm",
          "no slurm configuration file given", "slurm.yaml, slurm.yml or slurm.json in the configuration directory, or an explicit file")));
    }
    Optional<Credentials> credentials = files.credentials()
        .flatMap(f -> YamlMap.parseFile(f, problems)).flatMap(CompanionFiles::credentials);
    Optional<GlobalSettings> global = files.config()
        .flatMap(f -> YamlMap.parseFile(f, problems)).flatMap(CompanionFiles::global);
    Optional<CompanionFiles.PoolFile> pool = files.pool()
        .flatMap(f -> YamlMap.parseFile(f, problems)).flatMap(CompanionFiles::pool);
    Optional<RemoteFsSpec> remoteFs = files.fs()
        .flatMap(f -> YamlMap.parseFile(f, problems)).flatMap(CompanionFiles::remoteFs);

    Path slurmFile = files.slurm().get();
    Optional<YamlMap> root = YamlMap.parseFile(slurmFile, problems);
    Optional<ClusterConfig> config = root.flatMap(r -> {
      r.rejectUnknownKeys(SlurmYamlKeys.at(""));
      Optional<SlipwaySettings> slipway = slipwaySettings(r);
      Backend backend = slipway.map(SlipwaySettings::backend).orElse(Backend.LOCAL);
      Optional<SlurmClusterSpec> slurm = r.map("slurm", true)
          .flatMap(s -> new SlurmSection(s, backend, slipway.map(SlipwaySettings::vmSizes).orElse(List.of()),
              new Companions(pool, credentials, global, remoteFs)).read());
      if (problems.hasErrors()) return Optional.empty();
      Map<String, PoolSpec> poolSpecs = pool.map(p -> Map.of(p.spec().id(), p.spec())).orElse(Map.of());
      ConfigSources sources = new ConfigSources(slurmFile, files.config(), files.credentials(), files.pool(), files.fs());
      return Optional.of(new ClusterConfig(sources, slurm.orElseThrow(), slipway.orElseThrow(), global, credentials, poolSpecs, remoteFs));
    });
    if (problems.hasErrors() || config.isEmpty()) {
      throw new ConfigException(problems.errors());
    }
    return new LoadedConfig(config.get(), problems.warnings());
  }

  // ---------------------------------------------------------------- slipway:

  private static Optional<SlipwaySettings> slipwaySettings(YamlMap root) {
    Optional<YamlMap> section = root.map("slipway", false);
    if (section.isEmpty()) {
      return Optional.of(defaultSlipwaySettings());
    }
    YamlMap s = section.get();
    s.rejectUnknownKeys(SlurmYamlKeys.at("slipway"));
    int errorsBefore = s.problems().errors().size();
    Backend backend = s.string("backend", false).flatMap(b -> {
      for (Backend candidate : Backend.values()) {
        if (candidate.configName().equals(b)) return Optional.of(candidate);
      }
      s.error("backend", "unknown backend '" + b + "'", Arrays.stream(Backend.values()).map(Backend::configName).collect(Collectors.joining(", ")));
      return Optional.empty();
    }).orElse(Backend.LOCAL);
    Duration resume = positiveTimedelta(s, "resume_timeout").orElse(DEFAULT_RESUME_TIMEOUT);
    Duration suspend = positiveTimedelta(s, "suspend_timeout").orElse(DEFAULT_SUSPEND_TIMEOUT);
    boolean accounting = s.bool("accounting", false).orElse(false);
    int port = s.integer("daemon_port", false).flatMap(p -> {
      if (p < 1 || p > 65535) {
        s.error("daemon_port", p + " is not a TCP port", "1..65535");
        return Optional.empty();
      }
      return Optional.of(p.intValue());
    }).orElse(DEFAULT_DAEMON_PORT);
    List<VmSize> sizes = vmSizes(s);
    SlipwaySettings.LocalSettings local = s.map("local", false).map(l -> {
      l.rejectUnknownKeys(SlurmYamlKeys.at("slipway.local"));
      String subnet = l.string("subnet", false).filter(v -> {
        if (IPV4_CIDR.matcher(v).matches()) return true;
        l.error("subnet", "'" + v + "' is not an IPv4 subnet", "a.b.c.d/n, e.g. " + DEFAULT_LOCAL_SUBNET);
        return false;
      }).orElse(DEFAULT_LOCAL_SUBNET);
      Duration bootDelay = l.text("boot_delay", false).flatMap(t -> timedelta(l, "boot_delay", t)).orElse(Duration.ZERO);
      return new SlipwaySettings.LocalSettings(subnet, l.string("state_dir", false), bootDelay);
    }).orElse(defaultLocal());
    Optional<Duration> slurmctldTimeout = positiveTimedelta(s, "slurmctld_timeout");
    // Slurm 22.05 logs "AuthInfo=cred_expire=N invalid" below 5 s and silently keeps 120 s.
    Optional<Duration> credExpire = s.text("cred_expire", false).flatMap(t -> timedelta(s, "cred_expire", t)).filter(d -> {
      if (d.toSeconds() >= MIN_CRED_EXPIRE_SECONDS) return true;
      s.error("cred_expire", "must be at least 00:00:0" + MIN_CRED_EXPIRE_SECONDS + " (Slurm ignores shorter lifetimes)",
          "a duration >= 00:00:0" + MIN_CRED_EXPIRE_SECONDS);
      return false;
    });
    // Under an hour the history 'slipway nodes why' shows could vanish while a host is still booting.
    Duration eventRetention = s.text("event_retention", false).flatMap(t -> timedelta(s, "event_retention", t)).filter(d -> {
      if (d.compareTo(MIN_EVENT_RETENTION) >= 0) return true;
      s.error("event_retention", "must be at least 01:00:00 (events explain what happened to a host while it boots)",
          "a duration >= 01:00:00, e.g. 14.00:00:00");
      return false;
    }).orElse(SlipwaySettings.DEFAULT_EVENT_RETENTION);
    if (s.problems().errors().size() > errorsBefore) return Optional.empty();
    return Optional.of(new SlipwaySettings(backend, resume, suspend, accounting, sizes, port, local, slurmctldTimeout, credExpire,
        eventRetention));
  }

  /** The shortest event retention: about the longest a host takes from resume to registered. */
  static final Duration MIN_EVENT_RETENTION = Duration.ofHours(1);

  /** The shortest AuthInfo cred_expire Slurm accepts, in seconds. */
  static final int MIN_CRED_EXPIRE_SECONDS = 5;

  static SlipwaySettings defaultSlipwaySettings() {
    return new SlipwaySettings(Backend.LOCAL, DEFAULT_RESUME_TIMEOUT, DEFAULT_SUSPEND_TIMEOUT, false, List.of(),
        DEFAULT_DAEMON_PORT, defaultLocal());
  }

  private static SlipwaySettings.LocalSettings defaultLocal() {
    return new SlipwaySettings.LocalSettings(DEFAULT_LOCAL_SUBNET, Optional.empty(), Duration.ZERO);
  }

  private static List<VmSize> vmSizes(YamlMap s) {
    List<VmSize> out = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (YamlMap v : s.mapList("vm_sizes", false)) {
      v.rejectUnknownKeys(SlurmYamlKeys.at("slipway.vm_sizes[]"));
      Optional<String> name = v.string("name", true);
      Optional<Long> vcpus = v.integer("vcpus", true).filter(n -> atLeast(v, "vcpus", n, 1));
      Optional<Long> memory = v.integer("memory_mib", true).filter(n -> atLeast(v, "memory_mib", n, 1));
      Optional<Long> gpus = v.integer("gpus", false).filter(n -> atLeast(v, "gpus", n, 0));
      boolean gpusOk = !v.has("gpus") || gpus.isPresent();
      Optional<String> gpuModel = v.string("gpu_model", false);
      Optional<String> rdma = v.string("rdma", false);
      if (name.isPresent() && vcpus.isPresent() && memory.isPresent() && gpusOk) {
        String lower = name.get().toLowerCase(Locale.ROOT);
        Integer previous = seen.putIfAbsent(lower, v.keyMark("name").getLine() + 1);
        if (previous != null) {
          v.error("name", "VM size '" + name.get() + "' is declared twice (first at line " + previous + ")", null);
          continue;
        }
        out.add(new VmSize(lower, vcpus.get().intValue(), memory.get(), gpus.orElse(0L).intValue(), gpuModel, rdma));
      }
    }
    return out;
  }

  private static boolean atLeast(YamlMap m, String key, long value, long min) {
    if (value >= min) return true;
    m.error(key, "must be at least " + min + ", got " + value, ">= " + min);
    return false;
  }

  private static Optional<Duration> positiveTimedelta(YamlMap m, String key) {
    return m.text(key, false).flatMap(t -> timedelta(m, key, t)).filter(d -> {
      if (!d.isZero()) return true;
      m.error(key, "must be longer than zero", "a duration > 00:00:00");
      return false;
    });
  }

  private static Optional<Duration> timedelta(YamlMap m, String key, String text) {
    try {
      return Optional.of(Timedelta.parse(text));
    } catch (IllegalArgumentException e) {
      m.error(key, e.getMessage(), Timedelta.FORMAT);
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------- slurm:

  /** What the other files contribute to checks of slurm.yaml; each is empty when its file was not given. */
  private record Companions(Optional<CompanionFiles.PoolFile> pool, Optional<Credentials> credentials,
      Optional<GlobalSettings> global, Optional<RemoteFsSpec> remoteFs) {}

  /** Reads the {@code slurm:} section; one instance per load. */
  private final class SlurmSection {
    private final YamlMap slurm;
    private final Backend backend;
    private final List<VmSize> declaredSizes;
    private final Companions companions;

    SlurmSection(YamlMap slurm, Backend backend, List<VmSize> declaredSizes, Companions companions) {
      this.slurm = slurm;
      this.backend = backend;
      this.declaredSizes = declaredSizes;
      this.companions = companions;
    }

    private boolean azure() {
      return backend == Backend.AZURE;
    }

    Optional<SlurmClusterSpec> read() {
      slurm.rejectUnknownKeys(SlurmYamlKeys.at("slurm"));
      int errorsBefore = slurm.problems().errors().size();
      Optional<String> clusterId = slurm.string("cluster_id", true).filter(this::validClusterId);
      Optional<String> storage = slurm.string("storage_account_settings", azure());
      storage.ifPresent(alias -> companions.credentials().ifPresent(c -> {
        if (!c.storage().containsKey(alias)) {
          slurm.error("storage_account_settings", "no storage account '" + alias + "' in credentials.storage",
              c.storage().isEmpty() ? "an alias defined under credentials.storage" : String.join(", ", c.storage().keySet()));
        }
      }));
      Optional<String> location = slurm.string("location", azure());
      Optional<String> resourceGroup = slurm.string("resource_group", azure());
      Optional<NodeGroupSpec> controller = slurm.map("controller", true).flatMap(m -> nodeGroup(m, "slurm.controller", 3));
      Optional<NodeGroupSpec> login = slurm.map("login", true).flatMap(m -> nodeGroup(m, "slurm.login", Integer.MAX_VALUE));
      List<SharedVolume> volumes = sharedVolumes();
      Optional<SlurmOptions> options = slurm.map("slurm_options", true).flatMap(this::slurmOptions);
      if (slurm.problems().errors().size() > errorsBefore) return Optional.empty();
      return Optional.of(new SlurmClusterSpec(clusterId.orElseThrow(), storage, location, resourceGroup,
          controller.orElseThrow(), login.orElseThrow(), volumes, options.orElseThrow()));
    }

    private boolean validClusterId(String id) {
      String rule = "1.." + CLUSTER_ID_MAX + " characters: lower-case letters, digits and hyphens, starting with a letter"
          + " and not ending with a hyphen";
      if (id.isEmpty() || id.length() > CLUSTER_ID_MAX) {
        slurm.error("cluster_id", "'" + id + "' has " + id.length() + " characters", rule);
        return false;
      }
      if (!CLUSTER_ID.matcher(id).matches()) {
        slurm.error("cluster_id", "'" + id + "' is not a valid cluster id", rule);
        return false;
      }
      return true;
    }

    private Optional<NodeGroupSpec> nodeGroup(YamlMap m, String position, int maxCount) {
      m.rejectUnknownKeys(SlurmYamlKeys.at(position));
      int errorsBefore = m.problems().errors().size();
      Optional<SshSpec> ssh = m.map("ssh", true).flatMap(s -> {
        s.rejectUnknownKeys(SlurmYamlKeys.at(position + ".ssh"));
        Optional<String> user = s.string("username", true);
        Optional<Path> pub = s.string("ssh_public_key", false).map(Path::of);
        Optional<String> pubData = s.string("ssh_public_key_data", false);
        Optional<Path> priv = s.string("ssh_private_key", false).map(Path::of);
        if (priv.isPresent() && pub.isEmpty() && pubData.isEmpty()) {
          s.error("ssh_private_key", "a private key needs its public key", "ssh_public_key or ssh_public_key_data beside it");
        }
        Optional<Path> export = s.string("generated_file_export_path", false).map(Path::of);
        return user.map(u -> new SshSpec(u, pub, pubData, priv, export));
      });
      PublicIpSpec publicIp = m.map("public_ip", false).map(p -> {
        p.rejectUnknownKeys(SlurmYamlKeys.at(position + ".public_ip"));
        return new PublicIpSpec(p.bool("enabled", false).orElse(true), p.bool("static", false).orElse(false));
      }).orElse(PublicIpSpec.DEFAULT);
      Optional<VirtualNetworkSpec> vnet = m.map("virtual_network", azure()).map(v -> {
        v.rejectUnknownKeys(SlurmYamlKeys.at(position + ".virtual_network"));
        Optional<String> armSubnetId = v.string("arm_subnet_id", false);
        Optional<String> name = v.string("name", armSubnetId.isEmpty());
        Optional<YamlMap> subnet = v.map("subnet", false);
        subnet.ifPresent(sn -> sn.rejectUnknownKeys(SlurmYamlKeys.at(position + ".virtual_network.subnet")));
        return new VirtualNetworkSpec(name, v.string("resource_group", false), v.bool("existing_ok", false).orElse(false),
            v.string("address_space", false), subnet.flatMap(sn -> sn.string("name", true)),
            subnet.flatMap(sn -> sn.string("address_prefix", true)), armSubnetId);
      });
      NetworkSecuritySpec security = m.map("network_security", azure()).map(n -> {
        n.rejectUnknownKeys(SlurmYamlKeys.at(position + ".network_security"));
        List<String> sshPrefixes = n.stringList("ssh", true).orElse(List.of());
        List<NetworkSecuritySpec.InboundRule> rules = new ArrayList<>();
        for (Map.Entry<String, YamlMap> e : n.namedMaps("custom_inbound_rules", false)) {
          YamlMap r = e.getValue();
          r.rejectUnknownKeys(SlurmYamlKeys.at(position + ".network_security.custom_inbound_rules.*"));
          Optional<String> ports = r.string("destination_port_range", true);
          String protocol = r.string("protocol", false).filter(p -> {
            if (Set.of("*", "tcp", "udp").contains(p)) return true;
            r.error("protocol", "unknown protocol '" + p + "'", "*, tcp, udp");
            return false;
          }).orElse("*");
          Optional<List<String>> sources = r.stringList("source_address_prefix", true);
          if (ports.isPresent() && sources.isPresent()) {
            rules.add(new NetworkSecuritySpec.InboundRule(e.getKey(), ports.get(), protocol, sources.get()));
          }
        }
        return new NetworkSecuritySpec(sshPrefixes, rules);
      }).orElse(new NetworkSecuritySpec(List.of(), List.of()));
      Optional<String> vmSize = m.string("vm_size", true);
      Optional<Long> count = m.integer("vm_count", true).filter(c -> {
        if (c >= 1 && c <= maxCount) return true;
        String allowed = maxCount == Integer.MAX_VALUE ? ">= 1" : "1.." + maxCount + " (more than one is HA)";
        m.error("vm_count", "vm_count " + c + " is out of range", allowed);
        return false;
      });
      boolean accelerated = m.bool("accelerated_networking", false).orElse(false);
      Optional<Path> prep = m.string("additional_prep_script", false).map(Path::of);
      if (m.problems().errors().size() > errorsBefore) return Optional.empty();
      return Optional.of(new NodeGroupSpec(ssh.orElseThrow(), publicIp, vnet, security, vmSize.orElseThrow(),
          count.orElseThrow().intValue(), accelerated, prep));
    }

    private List<SharedVolume> sharedVolumes() {
      List<SharedVolume> volumes = new ArrayList<>();
      List<Map.Entry<String, YamlMap>> entries = slurm.namedMaps("shared_data_volumes", false);
      List<String> stateVolumes = new ArrayList<>();
      for (Map.Entry<String, YamlMap> e : entries) {
        YamlMap v = e.getValue();
        v.rejectUnknownKeys(SlurmYamlKeys.at("slurm.shared_data_volumes.*"));
        checkVolumeIsDeclared(e.getKey());
        Optional<String> path;
        if (v.has("host_mount_path") && v.has("mount_path")) {
          v.errorAtKey("mount_path", "both host_mount_path and mount_path are given", "one of them");
          path = Optional.empty();
        } else if (v.has("mount_path")) {
          path = v.string("mount_path", false).filter(p -> validMountPath(v, "mount_path", p));
        } else {
          path = v.string("host_mount_path", true).filter(p -> validMountPath(v, "host_mount_path", p));
        }
        boolean state = v.bool("store_slurmctld_state", false).orElse(false);
        if (state) {
          if (!stateVolumes.isEmpty()) {
            v.error("store_slurmctld_state", "volume '" + e.getKey() + "' stores slurmctld state, but so does '"
                + stateVolumes.get(0) + "'", "store_slurmctld_state: true on at most one volume");
          }
          stateVolumes.add(e.getKey());
        }
        path.ifPresent(p -> volumes.add(new SharedVolume(e.getKey(), p, state)));
      }
      if (stateVolumes.isEmpty()) {
        slurm.problems().warning(slurm.file(), slurm.has("shared_data_volumes") ? slurm.keyMark("shared_data_volumes") : slurm.anchor(),
            slurm.pathOf("shared_data_volumes"), "no volume has store_slurmctld_state: true, so slurmctld keeps its state"
                + " on the controller's local disk: a second controller cannot take over (no HA) and the state is lost"
                + " with the controller", "store_slurmctld_state: true on one shared volume");
      }
      return volumes;
    }

    /**
     * A slurm volume is a Batch Shipyard storage cluster: when config.yaml or fs.yaml is loaded, it
     * must be declared there too, or nodes would get no mount line for it.
     */
    private void checkVolumeIsDeclared(String id) {
      YamlMap volumes = slurm.map("shared_data_volumes", false).orElseThrow();
      companions.global().ifPresent(g -> {
        String driver = g.sharedDataVolumeDrivers().get(id);
        if (!"storage_cluster".equals(driver)) {
          volumes.errorAtKey(id, driver == null
              ? "volume '" + id + "' is not declared in config.yaml"
              : "volume '" + id + "' has volume_driver '" + driver + "' in config.yaml",
              "global_resources.volumes.shared_data_volumes." + id + ".volume_driver: storage_cluster");
        }
      });
      companions.remoteFs().ifPresent(fs -> {
        if (!fs.storageClusters().containsKey(id)) {
          volumes.errorAtKey(id, "volume '" + id + "' is not a storage cluster in fs.yaml",
              fs.storageClusters().isEmpty() ? "a remote_fs.storage_clusters id" : String.join(", ", fs.storageClusters().keySet()));
        }
      });
    }

    private boolean validMountPath(YamlMap v, String key, String p) {
      if (!p.startsWith("/")) {
        v.error(key, "'" + p + "' is not an absolute path", "an absolute path such as /shared");
        return false;
      }
      if (p.equals("/home") || p.equals("/home/")) {
        v.error(key, "'" + p + "' would hide the users' home directories", "any absolute path but /home");
        return false;
      }
      return true;
    }

    private Optional<SlurmOptions> slurmOptions(YamlMap o) {
      o.rejectUnknownKeys(SlurmYamlKeys.at("slurm.slurm_options"));
      int errorsBefore = o.problems().errors().size();
      Duration idle = positiveTimedelta(o, "idle_reclaim_time").orElse(DEFAULT_IDLE_RECLAIM_TIME);
      List<Map.Entry<String, YamlMap>> partitions = o.namedMaps("elastic_partitions", true);
      if (o.has("elastic_partitions") && partitions.isEmpty() && o.problems().errors().size() == errorsBefore) {
        o.error("elastic_partitions", "no partition is defined", "at least one partition with batch_pools");
      }
      List<ElasticPartition> elastic = new ArrayList<>();
      Map<String, String> poolOwner = new HashMap<>();
      Map<String, String> prefixOwner = new HashMap<>();
      List<String> defaults = new ArrayList<>();
      for (Map.Entry<String, YamlMap> e : partitions) {
        partition(e.getKey(), e.getValue(), poolOwner, prefixOwner, defaults).ifPresent(elastic::add);
      }
      if (!partitions.isEmpty() && defaults.isEmpty()) {
        o.warningAtKey("elastic_partitions", "no partition has default: true, so jobs that name no partition are rejected",
            "default: true on one partition");
      }
      List<UnmanagedPartition> unmanaged = new ArrayList<>();
      for (YamlMap u : o.mapList("unmanaged_partitions", false)) {
        u.rejectUnknownKeys(SlurmYamlKeys.at("slurm.slurm_options.unmanaged_partitions[]"));
        Optional<String> line = u.string("partition", true).filter(p -> {
          if (p.startsWith("PartitionName=")) return true;
          u.error("partition", "'" + abbreviate(p) + "' is not a partition line", "a full slurm.conf line starting with PartitionName=");
          return false;
        });
        Optional<List<String>> nodes = u.stringList("nodes", true).filter(list -> {
          boolean ok = true;
          Node seq = u.value("nodes").orElseThrow();
          for (int i = 0; i < list.size(); i++) {
            if (!list.get(i).startsWith("NodeName=")) {
              u.problems().error(u.file(), ((SequenceNode) seq).getValue().get(i), u.pathOf("nodes") + "[" + i + "]",
                  "'" + abbreviate(list.get(i)) + "' is not a node line", "a full slurm.conf line starting with NodeName=");
              ok = false;
            }
          }
          return ok;
        });
        if (line.isPresent() && nodes.isPresent()) unmanaged.add(new UnmanagedPartition(line.get(), nodes.get()));
      }
      if (o.problems().errors().size() > errorsBefore) return Optional.empty();
      return Optional.of(new SlurmOptions(idle, elastic, unmanaged));
    }

    private Optional<ElasticPartition> partition(String name, YamlMap p, Map<String, String> poolOwner,
        Map<String, String> prefixOwner, List<String> defaults) {
      p.rejectUnknownKeys(SlurmYamlKeys.at("slurm.slurm_options.elastic_partitions.*"));
      int errorsBefore = p.problems().errors().size();
      List<Map.Entry<String, YamlMap>> poolEntries = p.namedMaps("batch_pools", true);
      if (p.has("batch_pools") && poolEntries.isEmpty() && p.problems().errors().size() == errorsBefore) {
        p.error("batch_pools", "partition '" + name + "' has no pool", "at least one pool id with its settings");
      }
      List<ElasticPool> pools = new ArrayList<>();
      YamlMap poolsMap = p.map("batch_pools", false).orElse(null);
      for (Map.Entry<String, YamlMap> e : poolEntries) {
        String id = e.getKey();
        String owner = poolOwner.putIfAbsent(id, name);
        if (owner != null) {
          poolsMap.errorAtKey(id, "pool '" + id + "' is already used by partition '" + owner + "'",
              "each pool in one partition only (its nodes would be defined twice)");
          continue;
        }
        pool(id, e.getValue(), prefixOwner).ifPresent(pools::add);
      }
      String maxTime = "UNLIMITED";
      if (p.has("max_runtime_limit")) {
        maxTime = p.text("max_runtime_limit", false).flatMap(t -> {
          if (t.equalsIgnoreCase("UNLIMITED") || t.equalsIgnoreCase("INFINITE")) return Optional.of("UNLIMITED");
          return timedelta(p, "max_runtime_limit", t).filter(d -> {
            if (!d.isZero()) return true;
            p.error("max_runtime_limit", "must be longer than zero", "a duration > 00:00:00, or null/UNLIMITED");
            return false;
          }).map(Timedelta::slurmTime);
        }).orElse("UNLIMITED");
      }
      Optional<Boolean> isDefault = p.bool("default", true);
      isDefault.filter(d -> d).ifPresent(d -> {
        if (!defaults.isEmpty()) {
          p.error("default", "partition '" + name + "' is the default, but so is '" + defaults.get(0) + "'",
              "default: true on exactly one partition");
        }
        defaults.add(name);
      });
      Optional<String> preemptType = p.string("preempt_type", false);
      if (p.has("preempty_type")) {
        if (preemptType.isPresent()) {
          p.errorAtKey("preempty_type", "both preempt_type and its misspelling preempty_type are given", "preempt_type");
        } else {
          p.warningAtKey("preempty_type", "misspelling (from the Batch Shipyard docs) accepted as preempt_type", "preempt_type");
          preemptType = p.string("preempty_type", false);
        }
      }
      Optional<String> preemptMode = p.string("preempt_mode", false);
      Optional<String> overSubscribe = overSubscribe(p);
      OptionalInt priorityTier = p.integer("priority_tier", false).filter(t -> {
        if (t >= 0 && t <= 65533) return true;
        p.error("priority_tier", "priority_tier " + t + " is out of range", "0..65533");
        return false;
      }).map(t -> OptionalInt.of(t.intValue())).orElse(OptionalInt.empty());
      List<String> otherOptions = otherOptions(p);
      if (p.problems().errors().size() > errorsBefore) return Optional.empty();
      return Optional.of(new ElasticPartition(name, pools, maxTime, isDefault.orElseThrow(), preemptType, preemptMode,
          overSubscribe, priorityTier, otherOptions));
    }

    /** YAML 1.1 makes {@code over_subscribe: no} a boolean; Slurm wants the word. */
    private Optional<String> overSubscribe(YamlMap p) {
      Optional<Node> n = p.value("over_subscribe");
      if (n.isEmpty()) return Optional.empty();
      Optional<Boolean> b = YamlMap.asBoolean(n.get());
      if (b.isPresent()) return Optional.of(b.get() ? "YES" : "NO");
      return p.string("over_subscribe", false).map(s -> s.toUpperCase(Locale.ROOT)).filter(s -> {
        if (OVER_SUBSCRIBE.matcher(s).matches()) return true;
        p.error("over_subscribe", "'" + s + "' is not an OverSubscribe value", "NO, EXCLUSIVE, YES, YES:<n>, FORCE, FORCE:<n>");
        return false;
      });
    }

    /** A string (split on whitespace, as the schema had it) or a list (as the code used it). */
    private List<String> otherOptions(YamlMap p) {
      Optional<Node> n = p.value("other_options");
      if (n.isEmpty()) return List.of();
      if (n.get() instanceof ScalarNode s && s.getTag().equals(Tag.STR)) {
        return Arrays.stream(s.getValue().trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
      }
      return p.stringList("other_options", false).orElse(List.of());
    }

    private Optional<ElasticPool> pool(String id, YamlMap b, Map<String, String> prefixOwner) {
      b.rejectUnknownKeys(SlurmYamlKeys.at("slurm.slurm_options.elastic_partitions.*.batch_pools.*"));
      int errorsBefore = b.problems().errors().size();
      Optional<String> serviceUrl = b.string("account_service_url", false);
      Optional<NodeType> type = b.string("compute_node_type", true).flatMap(t -> {
        for (NodeType nt : NodeType.values()) {
          if (nt.configName().equals(t)) return Optional.of(nt);
        }
        b.error("compute_node_type", "unknown compute_node_type '" + t + "'", "dedicated, low_priority");
        return Optional.empty();
      });
      Optional<Long> max = b.integer("max_compute_nodes", true).filter(n -> atLeast(b, "max_compute_nodes", n, 1));
      Optional<Long> weight = b.integer("weight", true).filter(n -> atLeast(b, "weight", n, 0));
      List<String> features = b.stringList("features", false).orElse(List.of());
      long exclude = b.integer("reclaim_exclude_num_nodes", false).filter(n -> atLeast(b, "reclaim_exclude_num_nodes", n, 0)).orElse(0L);
      max.ifPresent(mx -> {
        if (exclude > mx) {
          b.error("reclaim_exclude_num_nodes", "reclaim_exclude_num_nodes " + exclude + " exceeds max_compute_nodes " + mx,
              "0.." + mx);
        }
      });
      Optional<String> hostPrefix = b.string("host_prefix", false);
      String prefix = hostPrefix.orElse(id);
      boolean prefixOk = max.map(mx -> validHostPrefix(b, id, hostPrefix, mx)).orElse(true);
      if (prefixOk) {
        String owner = prefixOwner.putIfAbsent(prefix.toLowerCase(Locale.ROOT), id);
        if (owner != null) {
          String where = hostPrefix.isPresent() ? "host_prefix" : null;
          String msg = "host names '" + prefix + "-<i>' are already those of pool '" + owner + "'";
          if (where != null) b.error(where, msg, "a host_prefix no other pool uses");
          else b.problems().error(b.file(), b.anchor(), b.path(), msg, "a host_prefix no other pool uses");
        }
      }
      Optional<String> vmSize = resolveVmSize(id, b);
      if (b.problems().errors().size() > errorsBefore) return Optional.empty();
      return Optional.of(new ElasticPool(id, prefix, serviceUrl, type.orElseThrow(), max.orElseThrow().intValue(),
          weight.orElseThrow().intValue(), features, (int) exclude, vmSize));
    }

    /**
     * Host names are {@code <prefix>-<i>}: the prefix must make every one of them a valid RFC 1123
     * label. Upper case is legal there, but Slurm compares node names case-sensitively while DNS
     * does not, so it only earns a warning.
     */
    private boolean validHostPrefix(YamlMap b, String id, Optional<String> hostPrefix, long max) {
      String prefix = hostPrefix.orElse(id);
      int longest = prefix.length() + 1 + String.valueOf(max - 1).length();
      boolean shape = HOST_LABEL.matcher(prefix).matches();
      String suggestion = suggestPrefix(prefix);
      if (!shape || longest > 63) {
        String why = !shape ? "is not a valid host name label" : "makes host names of " + longest + " characters (more than 63)";
        if (hostPrefix.isPresent()) {
          b.error("host_prefix", "host_prefix '" + prefix + "' " + why, HOST_LABEL_RULE);
        } else {
          b.problems().error(b.file(), b.anchor(), b.path(), "pool id '" + id + "' " + why
              + " (host names are <pool id>-<i>); set host_prefix: " + suggestion, HOST_LABEL_RULE);
        }
        return false;
      }
      if (!prefix.equals(prefix.toLowerCase(Locale.ROOT))) {
        String msg = "Slurm node names are case-sensitive but DNS is not, so host names '" + prefix
            + "-<i>' may not match the names nodes resolve to";
        if (hostPrefix.isPresent()) b.warning("host_prefix", msg + "; use " + suggestion, HOST_LABEL_RULE);
        else b.problems().warning(b.file(), b.anchor(), b.path(), msg + "; set host_prefix: " + suggestion, HOST_LABEL_RULE);
      }
      return true;
    }

    private Optional<String> resolveVmSize(String id, YamlMap b) {
      Optional<String> own = b.string("vm_size", false);
      Optional<Mark> mark = own.map(x -> b.value("vm_size").orElseThrow().getStartMark());
      Path file = b.file();
      String keyPath = b.pathOf("vm_size");
      Optional<String> size = own;
      if (size.isEmpty()) {
        Optional<CompanionFiles.PoolFile> spec = companions.pool().filter(pf -> pf.spec().id().equals(id));
        size = spec.flatMap(pf -> pf.spec().vmSize());
        if (size.isPresent()) {
          mark = spec.get().vmSizeMark();
          file = spec.get().file();
          keyPath = "pool_specification.vm_size";
        }
      }
      if (size.isEmpty()) {
        if (!azure()) {
          b.problems().warning(b.file(), b.anchor(), b.path(), "pool '" + id + "' has no VM size, so the " + backend.configName()
              + " backend cannot tell its CPUs, memory or GPUs", "vm_size on this pool, or pool.yaml with id: " + id);
        }
        return size;
      }
      String lower = size.get().toLowerCase(Locale.ROOT);
      boolean declared = declaredSizes.stream().anyMatch(v -> v.name().equals(lower));
      if (!declared && !knownVmSizes.contains(lower)) {
        b.problems().warning(file, mark.orElse(b.anchor()), keyPath, "unknown VM size '" + size.get()
            + "': Slipway does not know its CPUs, memory or GPUs; declare it under slipway.vm_sizes",
            "a size in the catalog, or slipway: {vm_sizes: [{name: " + lower + ", vcpus: <n>, memory_mib: <n>, gpus: <n>}]}");
      }
      return size;
    }
  }

  static String suggestPrefix(String prefix) {
    String s = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("-{2,}", "-").replaceAll("^-+|-+$", "");
    return s.isEmpty() ? "pool" : s.length() > 50 ? s.substring(0, 50).replaceAll("-+$", "") : s;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
