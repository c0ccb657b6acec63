package dev.slipway.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Every key slurm.yaml may contain, by position. The loader rejects any other key with these
 * sets, and a test compares them with docs/schema/slurm.schema.json, so that the schema and the
 * loader cannot drift apart. A position is the key path with {@code *} for names the user
 * chooses (partitions, pools, volumes, rules) and {@code []} for list items.
 */
final class SlurmYamlKeys {
  static final Map<String, Set<String>> ALLOWED = build();

  private SlurmYamlKeys() {}

  static Set<String> at(String position) {
    Set<String> keys = ALLOWED.get(position);
    if (keys == null) throw new IllegalArgumentException("no key set for " + position);
    return keys;
  }

  private static Map<String, Set<String>> build() {
    Map<String, Set<String>> m = new LinkedHashMap<>();
    m.put("", Set.of("slurm", "slipway"));
    m.put("slurm", Set.of("storage_account_settings", "location", "resource_group", "cluster_id", "controller", "login",
        "shared_data_volumes", "slurm_options"));
    for (String group : new String[] {"slurm.controller", "slurm.login"}) {
      m.put(group, Set.of("ssh", "public_ip", "virtual_network", "network_security", "vm_size", "vm_count",
          "accelerated_networking", "additional_prep_script"));
      m.put(group + ".ssh", Set.of("username", "ssh_public_key", "ssh_public_key_data", "ssh_private_key",
          "generated_file_export_path"));
      m.put(group + ".public_ip", Set.of("enabled", "static"));
      m.put(group + ".virtual_network", Set.of("name", "resource_group", "existing_ok", "address_space", "subnet",
          "arm_subnet_id"));
      m.put(group + ".virtual_network.subnet", Set.of("name", "address_prefix"));
      m.put(group + ".network_security", Set.of("ssh", "custom_inbound_rules"));
      m.put(group + ".network_security.custom_inbound_rules.*", Set.of("destination_port_range", "protocol",
          "source_address_prefix"));
    }
    m.put("slurm.shared_data_volumes.*", Set.of("host_mount_path", "mount_path", "store_slurmctld_state"));
    m.put("slurm.slurm_options", Set.of("idle_reclaim_time", "elastic_partitions", "unmanaged_partitions"));
    m.put("slurm.slurm_options.elastic_partitions.*", Set.of("batch_pools", "max_runtime_limit", "default",
        "preempt_type", "preempty_type", "preempt_mode", "over_subscribe", "priority_tier", "other_options"));
    m.put("slurm.slurm_options.elastic_partitions.*.batch_pools.*", Set.of("account_service_url", "compute_node_type",
        "max_compute_nodes", "weight", "features", "reclaim_exclude_num_nodes", "vm_size", "host_prefix"));
    m.put("slurm.slurm_options.unmanaged_partitions[]", Set.of("partition", "nodes"));
    m.put("slipway", Set.of("backend", "resume_timeout", "suspend_timeout", "accounting", "vm_sizes", "daemon_port",
        "local", "slurmctld_timeout", "cred_expire", "event_retention"));
    m.put("slipway.vm_sizes[]", Set.of("name", "vcpus", "memory_mib", "gpus", "gpu_model", "rdma"));
    m.put("slipway.local", Set.of("subnet", "state_dir", "boot_delay"));
    return Map.copyOf(m);
  }
}
