package dev.slipway.config;

import dev.slipway.model.Secret;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.error.Mark;

/**
 * Reads what Slipway uses of Batch Shipyard's other files (credentials, config, pool, fs). These
 * files are shared with other Batch Shipyard tooling and carry many settings Slipway does not use,
 * so unknown keys are ignored here; wrong types of the keys Slipway reads are still errors.
 */
final class CompanionFiles {
  private CompanionFiles() {}

  /** pool.yaml's specification, and where its {@code vm_size} was typed (for warnings). */
  record PoolFile(PoolSpec spec, Path file, Optional<Mark> vmSizeMark) {}

  static Optional<Credentials> credentials(YamlMap root) {
    return root.map("credentials", true).map(c -> {
      Optional<Credentials.BatchCredentials> batch = c.map("batch", false).map(b -> new Credentials.BatchCredentials(
          b.string("account_service_url", false), b.string("resource_group", false), secret(b, "account_key"),
          b.map("aad", false).map(CompanionFiles::aad)));
      Optional<Credentials.ManagementCredentials> management = c.map("management", false).map(m ->
          new Credentials.ManagementCredentials(m.string("subscription_id", false), m.map("aad", false).map(CompanionFiles::aad)));
      Map<String, Credentials.StorageCredentials> storage = new LinkedHashMap<>();
      for (Map.Entry<String, YamlMap> e : c.namedMaps("storage", false)) {
        YamlMap s = e.getValue();
        storage.put(e.getKey(), new Credentials.StorageCredentials(e.getKey(), s.string("account", false),
            secret(s, "account_key"), s.string("endpoint", false).orElse("core.windows.net"), s.string("resource_group", false)));
      }
      Optional<Secret> dbPassword = c.map("slurm", false).flatMap(s -> secret(s, "db_password"));
      return new Credentials(batch, management, storage, dbPassword);
    });
  }

  private static Credentials.Aad aad(YamlMap a) {
    return new Credentials.Aad(a.string("endpoint", false), a.string("directory_id", false),
        a.string("application_id", false), secret(a, "auth_key"), secret(a, "rsa_private_key_pem"),
        a.string("x509_cert_sha1_thumbprint", false), a.string("user", false), secret(a, "password"),
        a.string("authority_url", false));
  }

  private static Optional<Secret> secret(YamlMap m, String key) {
    return m.string(key, false).map(Secret::of);
  }

  static Optional<GlobalSettings> global(YamlMap root) {
    Optional<YamlMap> bs = root.map("batch_shipyard", false);
    Map<String, String> drivers = new LinkedHashMap<>();
    root.map("global_resources", false).flatMap(g -> g.map("volumes", false)).ifPresent(v -> {
      for (Map.Entry<String, YamlMap> e : v.namedMaps("shared_data_volumes", false)) {
        e.getValue().string("volume_driver", false).ifPresent(d -> drivers.put(e.getKey(), d));
      }
    });
    return Optional.of(new GlobalSettings(
        bs.flatMap(b -> b.string("storage_account_settings", false)),
        bs.flatMap(b -> b.string("storage_entity_prefix", false)).orElse("shipyard"),
        drivers));
  }

  static Optional<PoolFile> pool(YamlMap root) {
    return root.map("pool_specification", true).flatMap(p -> {
      Optional<String> id = p.string("id", true);
      Optional<YamlMap> count = p.map("vm_count", false);
      int dedicated = count.flatMap(c -> c.integer("dedicated", false)).orElse(0L).intValue();
      int lowPriority = count.flatMap(c -> c.integer("low_priority", false)).orElse(0L).intValue();
      Optional<YamlMap> image = p.map("vm_configuration", false).flatMap(v -> v.map("platform_image", false));
      Optional<YamlMap> vnet = p.map("virtual_network", false);
      Optional<YamlMap> subnet = vnet.flatMap(v -> v.map("subnet", false));
      Optional<String> vmSize = p.string("vm_size", false);
      boolean internode = p.bool("inter_node_communication_enabled", false).orElse(false);
      return id.map(i -> new PoolFile(new PoolSpec(i, vmSize, dedicated, lowPriority,
          image.flatMap(x -> x.string("publisher", false)), image.flatMap(x -> x.string("offer", false)),
          image.flatMap(x -> x.string("sku", false)), vnet.flatMap(v -> v.string("name", false)),
          subnet.flatMap(s -> s.string("name", false)), subnet.flatMap(s -> s.string("address_prefix", false)),
          vnet.flatMap(v -> v.string("arm_subnet_id", false)), internode, nodeSetup(p)),
          p.file(), vmSize.map(v -> p.value("vm_size").orElseThrow().getStartMark())));
    });
  }

  /** pool.yaml's node preparation keys; wrong types are errors, absent keys leave the defaults. */
  private static PoolSpec.NodeSetup nodeSetup(YamlMap p) {
    Optional<YamlMap> vmc = p.map("vm_configuration", false);
    Optional<YamlMap> platform = vmc.flatMap(v -> v.map("platform_image", false));
    Optional<YamlMap> custom = vmc.flatMap(v -> v.map("custom_image", false));
    Optional<YamlMap> prep = p.map("additional_node_prep", false);
    Optional<YamlMap> commands = prep.flatMap(x -> x.map("commands", false));
    Map<String, String> env = new LinkedHashMap<>();
    prep.flatMap(x -> x.map("environment_variables", false)).ifPresent(e -> {
      for (String k : e.keys()) e.string(k, false).ifPresent(v -> env.put(k, v));
    });
    Optional<YamlMap> runtimes = p.map("container_runtimes", false);
    Optional<java.time.Duration> resizeTimeout = p.text("resize_timeout", false).flatMap(t -> {
      try {
        return Optional.of(Timedelta.parse(t));
      } catch (IllegalArgumentException e) {
        p.error("resize_timeout", e.getMessage(), Timedelta.FORMAT);
        return Optional.empty();
      }
    });
    Optional<Integer> slots = p.integer("task_slots_per_node", false).or(() -> p.integer("max_tasks_per_node", false))
        .map(Long::intValue);
    return new PoolSpec.NodeSetup(
        platform.flatMap(x -> x.string("version", false)),
        custom.flatMap(x -> x.string("arm_image_id", false)),
        custom.flatMap(x -> x.string("node_agent", false)),
        resizeTimeout,
        commands.flatMap(c -> c.stringList("pre", false)).orElse(List.of()),
        commands.flatMap(c -> c.stringList("post", false)).orElse(List.of()),
        env,
        runtimes.flatMap(r -> r.stringList("install", false)).orElse(List.of()),
        runtimes.flatMap(r -> r.string("default", false)),
        p.map("gpu", false).flatMap(g -> g.map("nvidia_driver", false)).isPresent(),
        slots,
        p.map("virtual_network", false).flatMap(v -> v.string("resource_group", false)));
  }

  static Optional<RemoteFsSpec> remoteFs(YamlMap root) {
    return root.map("remote_fs", true).map(r -> {
      Map<String, RemoteFsSpec.StorageCluster> clusters = new LinkedHashMap<>();
      for (Map.Entry<String, YamlMap> e : r.namedMaps("storage_clusters", false)) {
        YamlMap sc = e.getValue();
        Optional<YamlMap> server = sc.map("file_server", false);
        clusters.put(e.getKey(), new RemoteFsSpec.StorageCluster(e.getKey(),
            server.flatMap(s -> s.string("type", false)).orElse("nfs"),
            server.flatMap(s -> s.string("mountpoint", false)).orElse(""),
            server.flatMap(s -> s.stringList("mount_options", false)).orElse(List.of()),
            sc.integer("vm_count", false).orElse(1L).intValue()));
      }
      return new RemoteFsSpec(r.string("resource_group", false), r.string("location", false), clusters);
    });
  }
}
