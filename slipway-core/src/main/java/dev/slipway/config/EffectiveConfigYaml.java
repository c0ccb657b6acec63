package dev.slipway.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.slipway.model.Secret;
import dev.slipway.model.VmSize;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The effective configuration as YAML, every default filled in, in the same keys the user writes
 * (so the slurm.yaml document can be loaded again). Secrets print masked via {@link Secret#toString()};
 * the credentials, pool and fs documents are there for reading only.
 */
public final class EffectiveConfigYaml {
  private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .build());

  private EffectiveConfigYaml() {}

  public static String render(ClusterConfig c) {
    StringBuilder out = new StringBuilder();
    out.append("# slurm.yaml (effective; from ").append(c.sources().slurm()).append(")\n");
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("slurm", slurm(c.slurm()));
    doc.put("slipway", slipway(c.slipway()));
    out.append(dump(doc));
    c.credentials().ifPresent(cr -> out.append("---\n# credentials.yaml (secrets masked)\n").append(dump(Map.of("credentials", credentials(cr)))));
    c.global().ifPresent(g -> out.append("---\n# config.yaml (the part Slipway uses)\n").append(dump(global(g))));
    for (PoolSpec p : c.poolSpecs().values()) {
      out.append("---\n# pool.yaml (the part Slipway uses)\n").append(dump(Map.of("pool_specification", pool(p))));
    }
    c.remoteFs().ifPresent(fs -> out.append("---\n# fs.yaml (the part Slipway uses)\n").append(dump(Map.of("remote_fs", remoteFs(fs)))));
    return out.toString();
  }

  private static String dump(Object o) {
    try {
      return YAML.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> slurm(SlurmClusterSpec s) {
    Map<String, Object> m = new LinkedHashMap<>();
    s.storageAccountSettings().ifPresent(v -> m.put("storage_account_settings", v));
    s.location().ifPresent(v -> m.put("location", v));
    s.resourceGroup().ifPresent(v -> m.put("resource_group", v));
    m.put("cluster_id", s.clusterId());
    m.put("controller", nodeGroup(s.controller()));
    m.put("login", nodeGroup(s.login()));
    Map<String, Object> volumes = new LinkedHashMap<>();
    for (SharedVolume v : s.sharedDataVolumes()) {
      volumes.put(v.id(), ordered("host_mount_path", v.mountPath(), "store_slurmctld_state", v.storeSlurmctldState()));
    }
    m.put("shared_data_volumes", volumes);
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("idle_reclaim_time", Timedelta.format(s.options().idleReclaimTime()));
    Map<String, Object> partitions = new LinkedHashMap<>();
    for (ElasticPartition p : s.options().elasticPartitions()) {
      partitions.put(p.name(), partition(p));
    }
    options.put("elastic_partitions", partitions);
    options.put("unmanaged_partitions", s.options().unmanagedPartitions().stream()
        .map(u -> ordered("partition", u.partition(), "nodes", u.nodes())).toList());
    m.put("slurm_options", options);
    return m;
  }

  private static Map<String, Object> nodeGroup(NodeGroupSpec g) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Object> ssh = new LinkedHashMap<>();
    ssh.put("username", g.ssh().username());
    g.ssh().sshPublicKey().ifPresent(v -> ssh.put("ssh_public_key", v.toString()));
    g.ssh().sshPublicKeyData().ifPresent(v -> ssh.put("ssh_public_key_data", v));
    g.ssh().sshPrivateKey().ifPresent(v -> ssh.put("ssh_private_key", v.toString()));
    g.ssh().generatedFileExportPath().ifPresent(v -> ssh.put("generated_file_export_path", v.toString()));
    m.put("ssh", ssh);
    m.put("public_ip", ordered("enabled", g.publicIp().enabled(), "static", g.publicIp().isStatic()));
    g.virtualNetwork().ifPresent(v -> {
      Map<String, Object> vn = new LinkedHashMap<>();
      v.name().ifPresent(x -> vn.put("name", x));
      v.resourceGroup().ifPresent(x -> vn.put("resource_group", x));
      vn.put("existing_ok", v.existingOk());
      v.addressSpace().ifPresent(x -> vn.put("address_space", x));
      if (v.subnetName().isPresent() || v.subnetAddressPrefix().isPresent()) {
        Map<String, Object> sn = new LinkedHashMap<>();
        v.subnetName().ifPresent(x -> sn.put("name", x));
        v.subnetAddressPrefix().ifPresent(x -> sn.put("address_prefix", x));
        vn.put("subnet", sn);
      }
      v.armSubnetId().ifPresent(x -> vn.put("arm_subnet_id", x));
      m.put("virtual_network", vn);
    });
    Map<String, Object> rules = new LinkedHashMap<>();
    for (NetworkSecuritySpec.InboundRule r : g.networkSecurity().customInboundRules()) {
      rules.put(r.name(), ordered("destination_port_range", r.destinationPortRange(), "protocol", r.protocol(),
          "source_address_prefix", r.sourceAddressPrefix()));
    }
    m.put("network_security", ordered("ssh", g.networkSecurity().ssh(), "custom_inbound_rules", rules));
    m.put("vm_size", g.vmSize());
    m.put("vm_count", g.vmCount());
    m.put("accelerated_networking", g.acceleratedNetworking());
    g.additionalPrepScript().ifPresent(v -> m.put("additional_prep_script", v.toString()));
    return m;
  }

  private static Map<String, Object> partition(ElasticPartition p) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Object> pools = new LinkedHashMap<>();
    for (ElasticPool pool : p.pools()) {
      Map<String, Object> b = new LinkedHashMap<>();
      pool.accountServiceUrl().ifPresent(v -> b.put("account_service_url", v));
      b.put("compute_node_type", pool.computeNodeType().configName());
      b.put("max_compute_nodes", pool.maxComputeNodes());
      b.put("weight", pool.weight());
      b.put("features", pool.features());
      b.put("reclaim_exclude_num_nodes", pool.reclaimExcludeNumNodes());
      pool.vmSize().ifPresent(v -> b.put("vm_size", v));
      b.put("host_prefix", pool.hostPrefix());
      pools.put(pool.id(), b);
    }
    m.put("batch_pools", pools);
    // Back from Slurm's 1-12:00:00 to the timedelta spelling the loader reads.
    m.put("max_runtime_limit", p.maxRuntimeLimit().equals("UNLIMITED") ? "UNLIMITED" : p.maxRuntimeLimit().replace('-', '.'));
    m.put("default", p.isDefault());
    p.preemptType().ifPresent(v -> m.put("preempt_type", v));
    p.preemptMode().ifPresent(v -> m.put("preempt_mode", v));
    p.overSubscribe().ifPresent(v -> m.put("over_subscribe", v));
    p.priorityTier().ifPresent(v -> m.put("priority_tier", v));
    m.put("other_options", p.otherOptions());
    return m;
  }

  private static Map<String, Object> slipway(SlipwaySettings s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("backend", s.backend().configName());
    m.put("resume_timeout", Timedelta.format(s.resumeTimeout()));
    m.put("suspend_timeout", Timedelta.format(s.suspendTimeout()));
    m.put("accounting", s.accounting());
    m.put("vm_sizes", s.vmSizes().stream().map(EffectiveConfigYaml::vmSize).toList());
    m.put("daemon_port", s.daemonPort());
    s.slurmctldTimeout().ifPresent(t -> m.put("slurmctld_timeout", Timedelta.format(t)));
    s.credExpire().ifPresent(t -> m.put("cred_expire", Timedelta.format(t)));
    m.put("event_retention", Timedelta.format(s.eventRetention()));
    Map<String, Object> local = new LinkedHashMap<>();
    local.put("subnet", s.local().subnet());
    s.local().stateDir().ifPresent(v -> local.put("state_dir", v));
    local.put("boot_delay", Timedelta.format(s.local().bootDelay()));
    m.put("local", local);
    return m;
  }

  private static Map<String, Object> vmSize(VmSize v) {
    Map<String, Object> m = ordered("name", v.name(), "vcpus", v.vcpus(), "memory_mib", v.memoryMiB(), "gpus", v.gpus());
    v.gpuModel().ifPresent(x -> m.put("gpu_model", x));
    v.rdma().ifPresent(x -> m.put("rdma", x));
    return m;
  }

  private static Map<String, Object> credentials(Credentials c) {
    Map<String, Object> m = new LinkedHashMap<>();
    c.batch().ifPresent(b -> {
      Map<String, Object> x = new LinkedHashMap<>();
      put(x, "account_service_url", b.accountServiceUrl());
      put(x, "resource_group", b.resourceGroup());
      put(x, "account_key", b.accountKey());
      b.aad().ifPresent(a -> x.put("aad", aad(a)));
      m.put("batch", x);
    });
    c.management().ifPresent(mg -> {
      Map<String, Object> x = new LinkedHashMap<>();
      put(x, "subscription_id", mg.subscriptionId());
      mg.aad().ifPresent(a -> x.put("aad", aad(a)));
      m.put("management", x);
    });
    Map<String, Object> storage = new LinkedHashMap<>();
    c.storage().forEach((alias, s) -> {
      Map<String, Object> x = new LinkedHashMap<>();
      put(x, "account", s.account());
      put(x, "account_key", s.accountKey());
      x.put("endpoint", s.endpoint());
      put(x, "resource_group", s.resourceGroup());
      storage.put(alias, x);
    });
    m.put("storage", storage);
    c.slurmDbPassword().ifPresent(p -> m.put("slurm", Map.of("db_password", p.toString())));
    return m;
  }

  private static Map<String, Object> aad(Credentials.Aad a) {
    Map<String, Object> x = new LinkedHashMap<>();
    put(x, "endpoint", a.endpoint());
    put(x, "directory_id", a.directoryId());
    put(x, "application_id", a.applicationId());
    put(x, "auth_key", a.authKey());
    put(x, "rsa_private_key_pem", a.rsaPrivateKeyPem());
    put(x, "x509_cert_sha1_thumbprint", a.x509CertSha1Thumbprint());
    put(x, "user", a.user());
    put(x, "password", a.password());
    put(x, "authority_url", a.authorityUrl());
    return x;
  }

  private static Map<String, Object> global(GlobalSettings g) {
    Map<String, Object> bs = new LinkedHashMap<>();
    put(bs, "storage_account_settings", g.storageAccountSettings());
    bs.put("storage_entity_prefix", g.storageEntityPrefix());
    Map<String, Object> volumes = new LinkedHashMap<>();
    g.sharedDataVolumeDrivers().forEach((id, driver) -> volumes.put(id, Map.of("volume_driver", driver)));
    return ordered("batch_shipyard", bs, "global_resources", Map.of("volumes", Map.of("shared_data_volumes", volumes)));
  }

  private static Map<String, Object> pool(PoolSpec p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", p.id());
    put(m, "vm_size", p.vmSize());
    m.put("vm_count", ordered("dedicated", p.dedicatedCount(), "low_priority", p.lowPriorityCount()));
    Map<String, Object> image = new LinkedHashMap<>();
    put(image, "publisher", p.imagePublisher());
    put(image, "offer", p.imageOffer());
    put(image, "sku", p.imageSku());
    if (!image.isEmpty()) m.put("vm_configuration", Map.of("platform_image", image));
    Map<String, Object> vnet = new LinkedHashMap<>();
    put(vnet, "name", p.virtualNetworkName());
    put(vnet, "arm_subnet_id", p.armSubnetId());
    Map<String, Object> subnet = new LinkedHashMap<>();
    put(subnet, "name", p.subnetName());
    put(subnet, "address_prefix", p.subnetAddressPrefix());
    if (!subnet.isEmpty()) vnet.put("subnet", subnet);
    if (!vnet.isEmpty()) m.put("virtual_network", vnet);
    m.put("inter_node_communication_enabled", p.interNodeCommunication());
    return m;
  }

  private static Map<String, Object> remoteFs(RemoteFsSpec fs) {
    Map<String, Object> m = new LinkedHashMap<>();
    put(m, "resource_group", fs.resourceGroup());
    put(m, "location", fs.location());
    Map<String, Object> clusters = new LinkedHashMap<>();
    fs.storageClusters().forEach((id, sc) -> clusters.put(id, ordered("file_server",
        ordered("type", sc.type(), "mountpoint", sc.mountpoint(), "mount_options", sc.mountOptions()), "vm_count", sc.vmCount())));
    m.put("storage_clusters", clusters);
    return m;
  }

  private static void put(Map<String, Object> m, String key, Optional<?> value) {
    value.ifPresent(v -> m.put(key, v instanceof Secret s ? s.toString() : v));
  }

  private static Map<String, Object> ordered(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1] instanceof Duration d ? Timedelta.format(d) : kv[i + 1]);
    }
    return m;
  }
}
