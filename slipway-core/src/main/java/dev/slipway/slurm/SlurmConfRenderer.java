package dev.slipway.slurm;

import dev.slipway.config.Backend;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.config.UnmanagedPartition;
import dev.slipway.model.VmSize;
import dev.slipway.slurm.SlurmLayout.NodeHosting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Renders {@code slurm.conf}, {@code gres.conf} and {@code cgroup.conf} for a cluster from its
 * configuration and a {@link SlurmLayout}. The output is a pure function of the two (no clock, no
 * host lookups), so it can be compared with golden files and re-rendered on every controller with
 * the same result. Every rule and the reason for it is in docs/slurm-conf.md.
 *
 * <p>Problems are collected and thrown together as one {@link ConfigException}: a pool whose VM size
 * is unknown, conflicting preemption types, malformed unmanaged lines, two pools with one host
 * prefix. Nothing is rendered from a configuration with problems.
 */
public final class SlurmConfRenderer {

  /**
   * The size of a pool that names no VM size on a backend other than azure: one CPU and 2 GiB,
   * small enough that every job asking for "a node" fits, and what a namespace node on a laptop
   * can honestly offer. Azure needs a real size (it decides what the nodes have).
   */
  public static final VmSize LOCAL_DEFAULT_SIZE = new VmSize("slipway_local_default", 1, 2048, 0, Optional.empty(), Optional.empty());

  /**
   * Slurm's largest TreeWidth. Cloud nodes are not in DNS and do not know each other's addresses,
   * so slurmd must never forward messages to other nodes: slurmctld talks to each node directly.
   * Batch Shipyard used the largest pool's size, which breaks as soon as the cluster has more
   * nodes than that (bug 37).
   */
  public static final int TREE_WIDTH = 65533;

  private static final Pattern FEATURE = Pattern.compile("[A-Za-z0-9_.+-]+");
  private static final Pattern OPTION = Pattern.compile("([A-Za-z]+)=\\S+");
  private static final Set<String> DEDICATED_PARTITION_KEYS =
      Set.of("partitionname", "nodes", "default", "maxtime", "preemptmode", "oversubscribe", "prioritytier", "preempttype");

  private final VmSizeCatalog catalog;

  /** @param catalog the shipped VM sizes; each configuration's declared sizes are layered on top */
  public SlurmConfRenderer(VmSizeCatalog catalog) {
    this.catalog = catalog;
  }

  /**
   * A valid Slurm ClusterName for a cluster id: lower case (slurmdbd lowercases it anyway) with
   * every character other than a-z, 0-9 and _ replaced by _, because slurmdbd builds MySQL table
   * names from it. Batch Shipyard wrote the raw id here but registered only its first "-" token
   * with sacctmgr (bug 28); everything that needs the cluster name must use this method.
   */
  public static String clusterName(String clusterId) {
    String name = clusterId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("cluster id is empty");
    }
    return name;
  }

  /**
   * Renders the configuration files.
   *
   * @throws ConfigException with every problem found when the configuration cannot be rendered
   */
  public RenderedSlurmConf render(ClusterConfig config, SlurmLayout layout) {
    Problems problems = new Problems(config.sources().slurm());
    List<PoolNodeSpec> pools = resolvePools(config, problems);
    checkHostPrefixes(config, problems);
    long suspendTime = positiveSeconds(config.slurm().options().idleReclaimTime(), "slurm.slurm_options.idle_reclaim_time", problems);
    long resumeTimeout = positiveSeconds(config.slipway().resumeTimeout(), "slipway.resume_timeout", problems);
    long suspendTimeout = positiveSeconds(config.slipway().suspendTimeout(), "slipway.suspend_timeout", problems);
    Optional<String> preemptType = preemptType(config.slurm().options().elasticPartitions(), problems);
    List<String> partitionLines = new ArrayList<>();
    for (ElasticPartition partition : config.slurm().options().elasticPartitions()) {
      partitionLines.add(partitionLine(partition, pools, problems));
    }
    List<String> unmanagedNodes = new ArrayList<>();
    List<String> unmanagedPartitions = new ArrayList<>();
    unmanaged(config.slurm().options().unmanagedPartitions(), unmanagedNodes, unmanagedPartitions, problems);
    problems.throwIfAny();

    boolean gpus = pools.stream().anyMatch(p -> p.size().gpus() > 0);
    String slurmConf = slurmConf(config, layout, pools, suspendTime, resumeTimeout, suspendTimeout, preemptType,
        partitionLines, unmanagedNodes, unmanagedPartitions, gpus);
    Optional<String> gresConf = gpus ? Optional.of(gresConf(config, layout, pools)) : Optional.empty();
    return new RenderedSlurmConf(slurmConf, gresConf, cgroupConf(config, layout));
  }

  private List<PoolNodeSpec> resolvePools(ClusterConfig config, Problems problems) {
    VmSizeCatalog sizes = catalog.withDeclared(config.slipway().vmSizes());
    List<PoolNodeSpec> pools = new ArrayList<>();
    for (ElasticPartition partition : config.slurm().options().elasticPartitions()) {
      for (ElasticPool pool : partition.pools()) {
        String key = "slurm.slurm_options.elastic_partitions." + partition.name() + ".batch_pools." + pool.id() + ".vm_size";
        String declareHow = "a size Slipway knows (docs/slurm-conf.md), or declare it: "
            + "slipway: vm_sizes: - {name: " + pool.vmSize().orElse("<size>") + ", vcpus: <n>, memory_mib: <n>"
            + ", gpus: <n>, gpu_model: <model>, rdma: <ib class>} (gpus, gpu_model and rdma are optional)";
        Optional<VmSize> size;
        boolean named = pool.vmSize().isPresent();
        if (named) {
          size = sizes.find(pool.vmSize().get());
          if (size.isEmpty()) {
            problems.add(key, "VM size '" + pool.vmSize().get() + "' is unknown, so its CPUs and memory are unknown", declareHow);
            continue;
          }
        } else if (config.slipway().backend() == Backend.AZURE) {
          problems.add(key, "pool '" + pool.id() + "' has no VM size (neither batch_pools." + pool.id()
              + ".vm_size nor pool.yaml's pool_specification.vm_size)", "vm_size: <Azure VM size>; " + declareHow);
          continue;
        } else {
          size = Optional.of(LOCAL_DEFAULT_SIZE);
        }
        if (size.get().memoryMiB() < PoolNodeSpec.MIN_MEMORY_MIB) {
          problems.add(key, "VM size '" + size.get().name() + "' has " + size.get().memoryMiB()
              + " MiB of memory, too little for a Slurm node", "sizes with at least " + PoolNodeSpec.MIN_MEMORY_MIB + " MiB");
          continue;
        }
        PoolNodeSpec spec = new PoolNodeSpec(partition, pool, size.get(), named);
        for (String feature : pool.features()) {
          if (!FEATURE.matcher(feature).matches()) {
            problems.add("slurm.slurm_options.elastic_partitions." + partition.name() + ".batch_pools." + pool.id() + ".features",
                "feature '" + feature + "' is not a valid Slurm feature name", "letters, digits and _ . + -");
          }
        }
        if (pool.reclaimExcludeNumNodes() > pool.maxComputeNodes()) {
          problems.add("slurm.slurm_options.elastic_partitions." + partition.name() + ".batch_pools." + pool.id() + ".reclaim_exclude_num_nodes",
              pool.reclaimExcludeNumNodes() + " is more than the pool's " + pool.maxComputeNodes() + " nodes",
              "0.." + pool.maxComputeNodes());
        }
        pools.add(spec);
      }
    }
    return pools;
  }

  /** Two pools with one host prefix would define the same NodeName twice (bug 37: a pool in two partitions). */
  private static void checkHostPrefixes(ClusterConfig config, Problems problems) {
    Map<String, String> owner = new HashMap<>();
    Set<String> partitions = new LinkedHashSet<>();
    for (ElasticPartition partition : config.slurm().options().elasticPartitions()) {
      if (!partitions.add(partition.name())) {
        problems.add("slurm.slurm_options.elastic_partitions." + partition.name(), "partition '" + partition.name() + "' is defined twice", "unique partition names");
      }
      for (ElasticPool pool : partition.pools()) {
        String where = "pool '" + pool.id() + "' of partition '" + partition.name() + "'";
        String previous = owner.putIfAbsent(pool.hostPrefix(), where);
        if (previous != null) {
          problems.add("slurm.slurm_options.elastic_partitions." + partition.name() + ".batch_pools." + pool.id(),
              where + " has host prefix '" + pool.hostPrefix() + "', which " + previous + " already uses, so both would define the same Slurm nodes",
              "a distinct host_prefix per pool (a pool can serve one partition only)");
        }
      }
    }
  }

  private static long positiveSeconds(Duration d, String key, Problems problems) {
    if (d.isNegative() || d.getSeconds() < 1) {
      problems.add(key, "'" + d + "' is not a positive number of whole seconds", "a duration of at least 1 second");
      return 1;
    }
    return d.getSeconds();
  }

  /** PreemptType is a cluster-wide Slurm setting (Batch Shipyard put it on partition lines, which slurmctld rejects). */
  private static Optional<String> preemptType(List<ElasticPartition> partitions, Problems problems) {
    Map<String, String> byType = new java.util.TreeMap<>();
    for (ElasticPartition p : partitions) {
      p.preemptType().ifPresent(t -> byType.putIfAbsent(t, p.name()));
    }
    if (byType.size() > 1) {
      problems.add("slurm.slurm_options.elastic_partitions.*.preempt_type",
          "partitions ask for different preemption types " + byType.entrySet().stream()
              .map(e -> e.getValue() + ": " + e.getKey()).collect(Collectors.joining(", ", "(", ")"))
              + ", but Slurm has one PreemptType per cluster",
          "the same preempt_type on every partition that sets one");
    }
    return byType.keySet().stream().findFirst();
  }

  private static String partitionLine(ElasticPartition partition, List<PoolNodeSpec> pools, Problems problems) {
    String key = "slurm.slurm_options.elastic_partitions." + partition.name() + ".other_options";
    Set<String> userKeys = new LinkedHashSet<>();
    for (String option : partition.otherOptions()) {
      var m = OPTION.matcher(option);
      if (!m.matches()) {
        problems.add(key, "'" + option + "' is not one Slurm partition option", "Key=Value without spaces, e.g. ExclusiveUser=YES");
        continue;
      }
      String k = m.group(1).toLowerCase(Locale.ROOT);
      if (DEDICATED_PARTITION_KEYS.contains(k)) {
        problems.add(key, "'" + option + "' sets " + m.group(1) + ", which Slipway writes itself",
            "the dedicated keys default, max_runtime_limit, preempt_type, preempt_mode, over_subscribe, priority_tier; the partition's nodes come from batch_pools");
      }
      userKeys.add(k);
    }
    List<PoolNodeSpec> mine = pools.stream().filter(p -> p.partition().equals(partition)).toList();
    StringBuilder line = new StringBuilder("PartitionName=").append(partition.name());
    line.append(" Nodes=").append(mine.stream().map(p -> p.pool().hostListExpression()).collect(Collectors.joining(",")));
    line.append(" Default=").append(partition.isDefault() ? "YES" : "NO");
    line.append(" MaxTime=").append(partition.maxRuntimeLimit());
    if (!mine.isEmpty() && userKeys.stream().noneMatch(k -> k.startsWith("defmemper"))) {
      // Without a default, a job that does not say --mem gets a whole node's memory under CR_Core_Memory.
      long defMem = mine.stream().mapToLong(p -> p.realMemoryMiB() / p.cpus()).min().orElseThrow();
      line.append(" DefMemPerCPU=").append(defMem);
    }
    partition.preemptMode().ifPresent(v -> line.append(" PreemptMode=").append(v));
    partition.overSubscribe().ifPresent(v -> line.append(" OverSubscribe=").append(v));
    partition.priorityTier().ifPresent(v -> line.append(" PriorityTier=").append(v));
    partition.otherOptions().forEach(o -> line.append(' ').append(o));
    if (!userKeys.contains("state")) {
      line.append(" State=UP");
    }
    return line.toString();
  }

  private static void unmanaged(List<UnmanagedPartition> unmanaged, List<String> nodes, List<String> partitions, Problems problems) {
    for (int i = 0; i < unmanaged.size(); i++) {
      UnmanagedPartition u = unmanaged.get(i);
      String base = "slurm.slurm_options.unmanaged_partitions[" + i + "]";
      verbatim(u.partition(), "PartitionName=", base + ".partition", problems).ifPresent(partitions::add);
      for (int j = 0; j < u.nodes().size(); j++) {
        verbatim(u.nodes().get(j), "NodeName=", base + ".nodes[" + j + "]", problems).ifPresent(nodes::add);
      }
    }
  }

  private static Optional<String> verbatim(String line, String prefix, String key, Problems problems) {
    String s = line.strip();
    if (s.contains("\n") || s.contains("\r")) {
      problems.add(key, "holds more than one line", "one " + prefix + "... line");
      return Optional.empty();
    }
    if (!s.regionMatches(true, 0, prefix, 0, prefix.length()) || s.length() == prefix.length()) {
      problems.add(key, "'" + s + "' does not start with " + prefix, "a complete " + prefix + "... line");
      return Optional.empty();
    }
    return Optional.of(s);
  }

  private static String slurmConf(ClusterConfig config, SlurmLayout layout, List<PoolNodeSpec> pools,
      long suspendTime, long resumeTimeout, long suspendTimeout, Optional<String> preemptType,
      List<String> partitionLines, List<String> unmanagedNodes, List<String> unmanagedPartitions, boolean gpus) {
    boolean shared = layout.hosting() == NodeHosting.SHARED_MACHINE;
    boolean accounting = config.slipway().accounting();
    Conf c = new Conf();
    c.comment("slurm.conf of Slurm cluster '" + config.slurm().clusterId() + "', rendered by Slipway");
    c.comment("Do not edit: the next `slipway slurm-conf render` replaces it. Rules: docs/slurm-conf.md");
    c.blank();
    c.set("ClusterName", clusterName(config.slurm().clusterId()));
    layout.controllers().forEach(h -> c.set("SlurmctldHost", h.slurmValue()));
    c.set("SlurmctldPort", layout.slurmctldPort());
    slurmctldTimeout(config, layout).ifPresent(t -> c.set("SlurmctldTimeout", t));
    c.set("SlurmdPort", layout.slurmdPort());
    c.set("SlurmUser", layout.slurmUser());
    c.set("SlurmdUser", "root");
    c.set("AuthType", "auth/munge");
    c.set("CredType", "cred/munge");
    List<String> authInfo = new ArrayList<>();
    layout.mungeSocket().ifPresent(s -> authInfo.add("socket=" + s));
    credExpire(config, layout).ifPresent(t -> authInfo.add("cred_expire=" + t));
    if (!authInfo.isEmpty()) {
      c.set("AuthInfo", String.join(",", authInfo));
    }
    layout.pluginDir().ifPresent(d -> c.set("PluginDir", d));
    c.set("StateSaveLocation", layout.stateSaveLocation());
    c.set("SlurmdSpoolDir", layout.slurmdSpoolDir());
    c.set("SlurmctldPidFile", layout.pidDir().resolve("slurmctld.pid"));
    c.set("SlurmdPidFile", layout.pidDir().resolve("slurmd-%n.pid"));
    c.set("SlurmctldLogFile", layout.logDir().resolve("slurmctld.log"));
    c.set("SlurmdLogFile", layout.slurmdLogFile());
    c.set("SlurmctldDebug", "info");
    c.set("SlurmdDebug", "info");
    c.blank();
    c.comment("Elastic operation: nodes fetch this configuration from slurmctld (configless), report");
    c.comment("their own address when they register, and are not in DNS.");
    // On one shared machine (the local backend) SuspendTime is seconds, not minutes: the power_save
    // thread's default 10 s scan for idle hosts would add up to 10 s to every power-down
    // (docs/performance.md, "Elastic overhead"). A scan every second costs a loop over the nodes.
    c.set("SlurmctldParameters", "enable_configless,cloud_reg_addrs,idle_on_node_suspend"
        + (shared ? ",power_save_interval=1" : ""));
    if (shared) {
      c.set("SlurmdParameters", "config_overrides");
    }
    c.set("CommunicationParameters", "NoAddrCache");
    c.set("PrivateData", "cloud");
    c.set("ReturnToService", 2);
    c.set("TreeWidth", TREE_WIDTH);
    c.set("MailProg", "/bin/true");
    c.blank();
    c.set("MpiDefault", "none");
    c.set("ProctrackType", "proctrack/cgroup");
    // Every job gets an extern step on each of its nodes: pam_slurm_adopt moves a user's ssh
    // session into it, and refuses users without one.
    c.set("PrologFlags", "Contain");
    c.set("TaskPlugin", shared ? "task/none" : "task/cgroup,task/affinity");
    c.set("SchedulerType", "sched/backfill");
    c.set("SelectType", "select/cons_tres");
    c.set("SelectTypeParameters", "CR_Core_Memory");
    if (gpus) {
      c.set("GresTypes", "gpu");
    }
    preemptType.ifPresent(t -> {
      c.set("PreemptType", t);
      c.set("PreemptMode", "REQUEUE");
    });
    if (accounting) {
      c.set("AccountingStorageType", "accounting_storage/slurmdbd");
      c.set("AccountingStorageHost", layout.accounting().host());
      c.set("AccountingStoragePort", layout.accounting().port());
      // Slurm 22.05 clients authenticate to slurmdbd with AccountingStoragePass as munge's
      // socket, not AuthInfo: without it sacctmgr and slurmctld look for the default munged.
      layout.mungeSocket().ifPresent(s -> c.set("AccountingStoragePass", s));
      if (gpus) {
        c.set("AccountingStorageTRES", "gres/gpu");
      }
      c.set("JobAcctGatherType", shared ? "jobacct_gather/linux" : "jobacct_gather/cgroup");
    } else {
      c.set("JobAcctGatherType", "jobacct_gather/none");
    }
    c.blank();
    c.comment("Power saving: slurmctld calls Slipway's hooks to grow and shrink the node pools.");
    c.set("ResumeProgram", layout.powerPrograms().resume());
    c.set("SuspendProgram", layout.powerPrograms().suspend());
    c.set("ResumeFailProgram", layout.powerPrograms().resumeFail());
    layout.prologSlurmctld().ifPresent(p -> c.set("PrologSlurmctld", p));
    c.set("SuspendTime", suspendTime);
    c.set("SuspendTimeout", suspendTimeout);
    c.set("ResumeTimeout", resumeTimeout);
    c.set("ResumeRate", 0);
    c.set("SuspendRate", 0);
    String excluded = pools.stream().map(PoolNodeSpec::suspendExcludedHosts).flatMap(Optional::stream).collect(Collectors.joining(","));
    if (!excluded.isEmpty()) {
      c.set("SuspendExcNodes", excluded);
    }
    c.blank();
    c.comment("Elastic nodes: one line per pool.");
    for (PoolNodeSpec p : pools) {
      StringBuilder line = new StringBuilder("NodeName=").append(p.pool().hostListExpression());
      line.append(" CPUs=").append(p.cpus());
      line.append(" RealMemory=").append(p.realMemoryMiB());
      p.gres().ifPresent(g -> line.append(" Gres=").append(g));
      line.append(" Weight=").append(p.pool().weight());
      line.append(" Feature=").append(String.join(",", p.features()));
      line.append(" State=CLOUD");
      c.line(line.toString());
    }
    if (!unmanagedNodes.isEmpty()) {
      c.comment("Unmanaged nodes, as configured.");
      unmanagedNodes.forEach(c::line);
    }
    c.blank();
    c.comment("Partitions.");
    partitionLines.forEach(c::line);
    unmanagedPartitions.forEach(c::line);
    return c.toString();
  }

  /** What a local HA pair gets unless slipway.slurmctld_timeout says otherwise. */
  static final long LOCAL_HA_SLURMCTLD_TIMEOUT_SECONDS = 10;

  /**
   * SlurmctldTimeout in seconds: the configured value; else, for an HA pair on one machine, a short
   * one (controllers share a kernel and a file system, so a silent primary is dead, not slow, and
   * Slurm's 120 s default only delays the backup); else none, Slurm's default.
   */
  static Optional<Long> slurmctldTimeout(ClusterConfig config, SlurmLayout layout) {
    Optional<Long> configured = config.slipway().slurmctldTimeout().map(d -> Math.max(1, d.toSeconds()));
    if (configured.isPresent()) {
      return configured;
    }
    boolean localPair = layout.controllers().size() > 1 && layout.hosting() == NodeHosting.SHARED_MACHINE;
    return localPair ? Optional.of(LOCAL_HA_SLURMCTLD_TIMEOUT_SECONDS) : Optional.empty();
  }

  /** What the local layout gets unless slipway.cred_expire says otherwise. */
  static final long LOCAL_CRED_EXPIRE_SECONDS = 30;

  /**
   * AuthInfo's cred_expire in seconds: the configured value; else, on one machine, a short one
   * (Slurm holds a requeued job back until the credential of its last launch expired, 120 s by
   * default, which made every requeue after a preemption or a failed host wait two minutes; local
   * nodes start in seconds and run no slow prolog); else none, Slurm's default.
   */
  static Optional<Long> credExpire(ClusterConfig config, SlurmLayout layout) {
    Optional<Long> configured = config.slipway().credExpire().map(Duration::toSeconds);
    if (configured.isPresent()) {
      return configured;
    }
    return layout.hosting() == NodeHosting.SHARED_MACHINE ? Optional.of(LOCAL_CRED_EXPIRE_SECONDS) : Optional.empty();
  }

  private static String gresConf(ClusterConfig config, SlurmLayout layout, List<PoolNodeSpec> pools) {
    Conf c = new Conf();
    c.comment("gres.conf of Slurm cluster '" + config.slurm().clusterId() + "', rendered by Slipway");
    c.comment("GPUs per pool from its VM size; nodes do not probe (they may not exist yet, and slurmctld");
    c.comment("serves this file to every node).");
    c.set("AutoDetect", "off");
    for (PoolNodeSpec p : pools) {
      if (p.size().gpus() == 0) {
        continue;
      }
      StringBuilder line = new StringBuilder("NodeName=").append(p.pool().hostListExpression()).append(" Name=gpu");
      p.size().gpuModel().ifPresent(m -> line.append(" Type=").append(m));
      if (layout.hosting() == NodeHosting.WHOLE_MACHINE) {
        int n = p.size().gpus();
        line.append(" File=/dev/nvidia").append(n == 1 ? "0" : "[0-" + (n - 1) + "]");
      } else {
        line.append(" Count=").append(p.size().gpus());
      }
      c.line(line.toString());
    }
    return c.toString();
  }

  private static String cgroupConf(ClusterConfig config, SlurmLayout layout) {
    String constrain = layout.hosting() == NodeHosting.WHOLE_MACHINE ? "yes" : "no";
    Conf c = new Conf();
    c.comment("cgroup.conf of Slurm cluster '" + config.slurm().clusterId() + "', rendered by Slipway");
    if (layout.hosting() == NodeHosting.SHARED_MACHINE) {
      c.comment("Nodes share this machine: confining them would pin every node to the same CPU.");
    }
    c.set("ConstrainCores", constrain);
    c.set("ConstrainRAMSpace", constrain);
    c.set("ConstrainDevices", constrain);
    return c.toString();
  }

  /** slurm.conf text: Key=Value lines, comments, blank lines. */
  private static final class Conf {
    private final StringBuilder text = new StringBuilder();

    void set(String key, Object value) {
      String v = value instanceof Path p ? p.toString() : String.valueOf(value);
      text.append(key).append('=').append(v).append('\n');
    }

    void line(String line) {
      text.append(line).append('\n');
    }

    void comment(String comment) {
      text.append("# ").append(comment).append('\n');
    }

    void blank() {
      text.append('\n');
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }

  /** Problems collected during one render, reported together. */
  private static final class Problems {
    private final Path file;
    private final List<ConfigProblem> list = new ArrayList<>();

    Problems(Path file) {
      this.file = file;
    }

    void add(String keyPath, String message, String allowed) {
      list.add(ConfigProblem.error(Optional.of(file), 0, 0, keyPath, message, allowed));
    }

    void throwIfAny() {
      if (!list.isEmpty()) {
        throw new ConfigException(list);
      }
    }
  }
}
