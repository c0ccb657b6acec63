package dev.slipway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.slipway.config.Backend;
import dev.slipway.cli.daemon.JoinSecrets;
import dev.slipway.config.ClusterConfig;
import dev.slipway.slurm.ProcessCommandRunner;
import dev.slipway.local.provision.LocalProvisioner;
import dev.slipway.spi.ClusterStatus;
import dev.slipway.spi.EngineEvent;
import dev.slipway.spi.EventSink;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code slipway cluster}: create, start, suspend, inspect and destroy a cluster's fixed part
 * (controllers, login nodes, munge). Only the local backend has a provisioner so far; see
 * docs/local-backend.md, "Cluster lifecycle".
 */
@Command(
    name = "cluster",
    description = "Create, start, suspend, inspect and destroy a cluster (local and azure backends).",
    subcommands = {
      ClusterCommand.Create.class,
      ClusterCommand.Orchestrate.class,
      ClusterCommand.Status.class,
      ClusterCommand.Suspend.class,
      ClusterCommand.Start.class,
      ClusterCommand.Destroy.class,
      ClusterCommand.Ssh.class,
      ClusterCommand.Logs.class,
    })
public final class ClusterCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "a subcommand is required: create, orchestrate, status, suspend, start, destroy, ssh, logs");
  }

  static LocalProvisioner provisioner(ClusterConfig config) {
    return provisioner(config, dev.slipway.local.provision.ControlPlane.NONE);
  }

  /** With {@code plane}, create installs the hooks and create/start run the daemon, so pools really grow and shrink. */
  static LocalProvisioner provisioner(ClusterConfig config, dev.slipway.local.provision.ControlPlane plane) {
    if (config.slipway().backend() != Backend.LOCAL) {
      throw new UsageException("slipway cluster supports the local backend only (slipway.backend is "
          + config.slipway().backend().name().toLowerCase(java.util.Locale.ROOT) + ")");
    }
    return LocalProvisioner.onThisMachine(config, ClusterHome.of(config).dir(), new ProcessCommandRunner(), plane);
  }

  /** Renders provisioning events as progress lines: {@code [3/9] create bridge ...}, details indented. */
  static EventSink progress(PrintWriter out) {
    return (EngineEvent e) -> {
      String step = e.attributes().get("step");
      if (step != null) {
        out.printf("[%s/%s] %s%n", step, e.attributes().get("steps"), e.message());
      } else {
        out.println("      " + e.message());
      }
      out.flush();
    };
  }

  abstract static class Base implements Callable<Integer> {
    @CommandLine.Mixin ConfigOptions configOptions;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    LocalProvisioner provisioner() {
      return ClusterCommand.provisioner(configOptions.load().config(), new LocalControlPlane(configOptions));
    }

    /** The backend's provisioner: ARM for azure, this machine's for local. */
    dev.slipway.spi.Provisioner anyProvisioner() {
      return anyProvisioner(dev.slipway.azure.arm.ArmProvisioner.DestroyOptions.DEFAULT);
    }

    dev.slipway.spi.Provisioner anyProvisioner(dev.slipway.azure.arm.ArmProvisioner.DestroyOptions destroy) {
      ClusterConfig config = configOptions.load().config();
      if (config.slipway().backend() == Backend.AZURE) {
        return AzureClusters.provisioner(config, azureSettings(config), destroy, jarUrl(), makesVms());
      }
      return ClusterCommand.provisioner(config, new LocalControlPlane(configOptions));
    }

    @Option(names = "--image", paramLabel = "URN", description = {
        "azure: controller and login VM image, publisher:offer:sku:version or ubuntu-24.04 / ubuntu-22.04 (default: ubuntu-24.04)."})
    Optional<String> image = Optional.empty();

    @Option(names = "--srun-port-range", paramLabel = "LOW-HIGH", description = "azure: Slurm's SrunPortRange, opened on login nodes to the cluster's subnets.")
    Optional<String> srunPortRange = Optional.empty();

    dev.slipway.azure.arm.ArmSettings azureSettings(ClusterConfig config) {
      return AzureClusters.settings(config, image, srunPortRange, storageClusterId());
    }

    /** create and orchestrate: the fs.yaml storage cluster made with the cluster. */
    Optional<String> storageClusterId() {
      return Optional.empty();
    }

    Optional<String> jarUrl() {
      return Optional.empty();
    }

    /** Whether the command writes VMs (and so renders their cloud-init, making the cluster's secrets). */
    boolean makesVms() {
      return false;
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  /** Options of the commands that make VMs on azure. */
  abstract static class Making extends Base {
    @Option(names = "--storage-cluster-id", paramLabel = "ID", description = {
        "azure: also make fs.yaml's storage cluster ID as one NFS server VM with managed data disks;",
        "the shared data volume of that id mounts it."})
    Optional<String> storageClusterId = Optional.empty();

    @Option(names = "--slipway-jar-url", paramLabel = "URL", description = {
        "azure: where the controllers download the slipway jar (default: environment " + AzureClusters.JAR_URL_ENV + ",",
        "which keeps a SAS URL off the command line)."})
    Optional<String> jarUrl = Optional.empty();

    @Override
    Optional<String> storageClusterId() {
      return storageClusterId;
    }

    @Override
    Optional<String> jarUrl() {
      return jarUrl;
    }

    @Override
    boolean makesVms() {
      return true;
    }
  }

  @Command(name = "create", description = {"Create and start the cluster. local: a failure removes what was made;",
      "azure: a failure stops, and create again continues where it stopped."})
  static final class Create extends Making {
    @Option(names = "--dry-run", description = "azure: print the ARM plan (every resource and role assignment) without calling Azure.")
    boolean dryRun;

    @Option(names = {"-o", "--output"}, paramLabel = "text|json", description = "Dry-run format (default: ${DEFAULT-VALUE}).")
    String output = "text";

    @Override
    public Integer call() throws Exception {
      if (dryRun) {
        ClusterConfig config = configOptions.load().config();
        if (config.slipway().backend() != Backend.AZURE) {
          throw new UsageException("--dry-run prints an ARM plan: it needs slipway.backend: azure");
        }
        dev.slipway.azure.arm.ArmPlan plan = AzureClusters.plan(config, azureSettings(config));
        // The custom data holds the munge key and join tokens: only its size and hash are shown.
        Map<String, String> customData = Map.of();
        Optional<String> renderProblem = Optional.empty();
        try {
          customData = AzureClusters.fingerprints(plan, AzureClusters.userData(config, plan, jarUrl(), AzureClusters.Secrets.PREVIEW));
        } catch (IllegalArgumentException | IllegalStateException e) {
          renderProblem = Optional.of("custom data cannot be rendered: " + e.getMessage());
        }
        out().println(output.equals("json") ? plan.toJson(customData) : planText(plan, customData));
        renderProblem.ifPresent(p -> out().println(output.equals("json") ? "" : "  problem: " + p));
        out().flush();
        if (renderProblem.isPresent() && output.equals("json")) {
          spec.commandLine().getErr().println(renderProblem.get());
        }
        return plan.problems().isEmpty() && renderProblem.isEmpty() ? ExitCodes.OK : ExitCodes.INVALID_CONFIG;
      }
      anyProvisioner().create(progress(out()));
      return ExitCodes.OK;
    }
  }

  /** The plan as lines: one per resource and per role assignment, then notes and problems. */
  static String planText(dev.slipway.azure.arm.ArmPlan plan) {
    return planText(plan, Map.of());
  }

  static String planText(dev.slipway.azure.arm.ArmPlan plan, Map<String, String> customData) {
    StringBuilder b = new StringBuilder("cluster " + plan.clusterId() + " in subscription " + plan.subscriptionId() + ", "
        + plan.location() + ", resource group " + plan.resourceGroup() + "\n");
    for (dev.slipway.azure.arm.ArmResource r : plan.resources()) {
      b.append(String.format("  %-14s %-45s %s%n", r.onExisting().label(), r.kind().type(), r.name()));
    }
    customData.forEach((vm, f) -> b.append(String.format("  %-14s %s: %s%n", "custom data", vm, f)));
    for (dev.slipway.azure.arm.RoleGrant g : plan.roleAssignments()) {
      b.append(String.format("  %-14s %s for %s on %s%n", "role", g.roleName(), g.vmName(), g.scope()));
    }
    plan.notes().forEach(n -> b.append("  note: ").append(n).append('\n'));
    plan.problems().forEach(p -> b.append("  problem: ").append(p.format()).append('\n'));
    return b.toString().stripTrailing();
  }

  @Command(name = "orchestrate", description = "Create the cluster and wait until sinfo answers on the login node.")
  static final class Orchestrate extends Making {
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "How long to wait for sinfo (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds = 120;

    /** How Batch is reached; tests give the emulator's clients. */
    PoolCommand.BatchAccess batch = PoolCommand.BatchAccess.fromCredentials();

    @Override
    public Integer call() throws Exception {
      ClusterConfig config = configOptions.load().config();
      if (config.slipway().backend() == Backend.AZURE) {
        // The VMs set Slurm up at first boot; the pools follow, empty, for Slurm's power saving to grow.
        JoinSecrets secrets = JoinSecrets.loadOrCreate(ClusterHome.of(config).secrets(), poolIds(config), new java.security.SecureRandom());
        // The same key the controllers receive in their custom data (AzureClusters.userData): the pools pin it.
        String pin = dev.slipway.tls.DaemonIdentity.loadOrCreate(ClusterHome.of(config).secrets(), config.slurm().clusterId(),
            new java.security.SecureRandom(), java.time.InstantSource.system()).pin();
        dev.slipway.azure.pools.ClusterOrchestration.run(anyProvisioner(), config, batch.clients(config),
            id -> secrets.joinTokens().get(id), pin, java.time.InstantSource.system(), progress(out()));
        out().println("ARM resources and Batch pools are in place; the VMs finish their setup at first boot"
            + " ('slipway cluster status' shows Slurm once the primary controller answers)");
        return ExitCodes.OK;
      }
      LocalProvisioner p = provisioner();
      p.create(progress(out()));
      Instant deadline = Instant.now().plus(Duration.ofSeconds(timeoutSeconds));
      while (!p.status().slurmReachable()) {
        if (Instant.now().isAfter(deadline)) {
          throw new UnreachableException("sinfo did not answer on the login node within " + timeoutSeconds + " s", null);
        }
        Thread.sleep(500);
      }
      out().println("sinfo answers on the login node; the cluster is ready");
      return ExitCodes.OK;
    }
  }

  private static List<String> poolIds(ClusterConfig config) {
    java.util.Set<String> ids = new java.util.LinkedHashSet<>();
    config.slurm().options().elasticPartitions().forEach(part -> part.pools().forEach(pool -> ids.add(pool.id())));
    return List.copyOf(ids);
  }

  @Command(name = "status", description = "Controllers, login nodes, partitions, pools and hosts.")
  static final class Status extends Base {
    enum Format {
      text,
      json
    }

    @Option(names = {"-o", "--output"}, paramLabel = "text|json", description = "Output format (default: ${DEFAULT-VALUE}).")
    Format output = Format.text;

    @Option(names = "--watch", description = "Repeat every 2 seconds until interrupted.")
    boolean watch;

    @Override
    public Integer call() throws Exception {
      dev.slipway.spi.Provisioner p = anyProvisioner();
      do {
        ClusterStatus s = p.status();
        out().println(output == Format.json ? json(s) : text(s));
        if (output == Format.text && p instanceof dev.slipway.azure.arm.ArmProvisioner arm) {
          arm.slurmProblem().ifPresent(problem -> out().println("  slurm: " + problem));
        }
        out().flush();
        if (watch) {
          Thread.sleep(2000);
        }
      } while (watch);
      return ExitCodes.OK;
    }
  }

  static String json(ClusterStatus s) throws Exception {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("cluster_id", s.clusterId());
    root.put("phase", s.phase());
    root.put("slurm_reachable", s.slurmReachable());
    root.put("controllers", machines(s.controllers()));
    root.put("login_nodes", machines(s.logins()));
    List<Object> partitions = new ArrayList<>();
    for (ClusterStatus.Partition part : s.partitions()) {
      List<Object> pools = new ArrayList<>();
      for (ClusterStatus.Pool pool : part.pools()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", pool.id());
        m.put("target", pool.target().isPresent() ? pool.target().getAsInt() : null);
        m.put("booting", pool.booting());
        m.put("idle", pool.idle());
        m.put("allocated", pool.allocated());
        m.put("failed", pool.failed());
        m.put("powered_down", pool.poweredDown());
        pools.add(m);
      }
      partitions.add(Map.of("name", part.name(), "pools", pools));
    }
    root.put("partitions", partitions);
    List<Object> hosts = new ArrayList<>();
    s.hosts().forEach(h -> hosts.add(Map.of("name", h.name(), "pool", h.pool(), "state", h.state())));
    root.put("hosts", hosts);
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
  }

  private static List<Object> machines(List<ClusterStatus.Machine> machines) {
    List<Object> list = new ArrayList<>();
    for (ClusterStatus.Machine m : machines) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("name", m.name());
      map.put("address", m.address());
      map.put("state", m.state());
      map.put("pid", m.pid().orElse(null));
      list.add(map);
    }
    return list;
  }

  static String text(ClusterStatus s) {
    StringBuilder b = new StringBuilder();
    b.append("cluster ").append(s.clusterId()).append(": ").append(s.phase()).append('\n');
    for (ClusterStatus.Machine m : s.controllers()) {
      b.append(String.format("  controller %-28s %-15s %s%n", m.name(), m.address(), m.state()));
    }
    for (ClusterStatus.Machine m : s.logins()) {
      b.append(String.format("  login      %-28s %-15s %s%n", m.name(), m.address(), m.state()));
    }
    if (!s.slurmReachable()) {
      b.append("  (Slurm did not answer; pools and hosts unknown)\n");
      return b.toString().stripTrailing();
    }
    b.append(String.format("  %-12s %-16s %6s %7s %4s %9s %6s %4s%n", "PARTITION", "POOL", "TARGET", "BOOTING", "IDLE", "ALLOCATED", "FAILED", "DOWN"));
    for (ClusterStatus.Partition part : s.partitions()) {
      for (ClusterStatus.Pool pool : part.pools()) {
        b.append(String.format("  %-12s %-16s %6s %7d %4d %9d %6d %4d%n", part.name(), pool.id(),
            pool.target().isPresent() ? Integer.toString(pool.target().getAsInt()) : "-", pool.booting(), pool.idle(),
            pool.allocated(), pool.failed(), pool.poweredDown()));
      }
    }
    for (ClusterStatus.Host h : s.hosts()) {
      b.append(String.format("  host %-20s %-16s %s%n", h.name(), h.pool(), h.state()));
    }
    return b.toString().stripTrailing();
  }

  @Command(name = "suspend", description = "Stop controllers and login nodes, keeping their state.")
  static final class Suspend extends Base {
    @Override
    public Integer call() throws Exception {
      anyProvisioner().suspend(progress(out()));
      return ExitCodes.OK;
    }
  }

  @Command(name = "start", description = "Start a suspended cluster on its kept state.")
  static final class Start extends Base {
    @Override
    public Integer call() throws Exception {
      anyProvisioner().start(progress(out()));
      return ExitCodes.OK;
    }
  }

  @Command(name = "destroy", description = {"Remove every process, namespace, bridge, mount and file the cluster made;",
      "azure: every resource tagged slipway-cluster=<cluster_id>, and the controllers' role assignments."})
  static final class Destroy extends Base {
    @Option(names = "--delete-resource-group", description = "azure: also delete the resource group, if this cluster created it.")
    boolean deleteResourceGroup;

    @Option(names = "--delete-virtual-network", description = "azure: also delete the virtual networks this cluster created.")
    boolean deleteVirtualNetwork;

    @Option(names = "--delete-data-disks", description = "azure: also delete the storage cluster's data disks (the shared volume's data).")
    boolean deleteDataDisks;

    @Option(names = "--keep-pools", description = "azure: keep this cluster's Batch pools (by default they are deleted, with their nodes).")
    boolean keepPools;

    /** How Batch is reached; tests give the emulator's clients. */
    PoolCommand.BatchAccess batch = PoolCommand.BatchAccess.fromCredentials();

    @Override
    public Integer call() throws Exception {
      ClusterConfig config = configOptions.load().config();
      dev.slipway.spi.Provisioner p = anyProvisioner(
          new dev.slipway.azure.arm.ArmProvisioner.DestroyOptions(deleteResourceGroup, deleteVirtualNetwork, deleteDataDisks));
      if (config.slipway().backend() == Backend.AZURE && !keepPools) {
        // Pools first: their nodes run jobs against the controllers that go next.
        for (var pool : dev.slipway.azure.pools.ClusterPools.deleteAll(config, batch.clients(config))) {
          out().println("      pool " + pool.poolId() + " in " + pool.accountUrl() + " is being deleted with its nodes");
        }
        out().flush();
      }
      p.destroy(progress(out()));
      return ExitCodes.OK;
    }
  }

  @Command(name = "ssh", description = {
      "Open a shell (or run COMMAND) on a login node, a controller or a compute host.",
      "local: login nodes and compute hosts over ssh with the cluster user's key; controllers by entering their namespaces.",
      "azure: ssh to the VM's address as ARM has it (public if it has one), as its group's admin user with that group's key",
      "(generated, mode 0600, by create when none is configured), trusting <state_dir>/ssh/known_hosts (first contact",
      "accepted). A compute host: its address from the state store, through the first login node (else controller).",
      "Compute hosts admit the cluster user only while a job of theirs runs there (pam_slurm_adopt).",
      "One COMMAND argument is a remote shell command line; several are quoted one by one."})
  static final class Ssh extends Base {
    @Parameters(index = "0", paramLabel = "login|controller|node")
    ClusterAccess.Role target;

    @Option(names = "--offset", paramLabel = "N", description = "Which login node or controller (default: 0).")
    int offset;

    @Option(names = "--host", paramLabel = "HOST", description = "The compute host, for 'node'.")
    Optional<String> host = Optional.empty();

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "Command to run instead of a shell (after --).")
    List<String> command = new ArrayList<>();

    /** How the backend's machines are reached and the commands started; tests give their own. */
    ClusterAccess.Opener access = ClusterAccess.BY_BACKEND;
    ClusterAccess.Launcher launcher = ClusterAccess.Launcher.TERMINAL;

    @Override
    public Integer call() throws Exception {
      ClusterAccess a = access.open(configOptions.load().config());
      List<String> argv = a.shell(new ClusterAccess.Target(target, offset, host), command);
      return launcher.start(argv).waitFor();
    }
  }

  @Command(name = "logs", description = {
      "Print (or follow) the logs of the controllers, a login node or a compute host.",
      "azure: over ssh to a controller (as 'cluster ssh controller'): slurmctld's log of each controller, the daemon's and",
      "the power-save hooks' logs; a compute host's slurmd log from the Azure Files share through a controller (without",
      "a share, from the node itself, which admits the cluster user only while a job of theirs runs there)."})
  static final class Logs extends Base {
    @Option(names = "--host", paramLabel = "HOST", description = "A controller, login node or compute host (default: the controllers).")
    Optional<String> host = Optional.empty();

    @Option(names = {"-f", "--follow"}, description = "Keep printing as the logs grow (tail -F).")
    boolean follow;

    /** How the backend's machines are reached and the commands started; tests give their own. */
    ClusterAccess.Opener access = ClusterAccess.BY_BACKEND;
    ClusterAccess.Launcher launcher = ClusterAccess.Launcher.TERMINAL;

    @Override
    public Integer call() throws Exception {
      ClusterAccess.LogPlan plan = access.open(configOptions.load().config()).logs(host, follow);
      plan.notes().forEach(n -> spec.commandLine().getErr().println("note: " + n));
      spec.commandLine().getErr().flush();
      if (follow) {
        // Each controller's stream at once: following one would never reach the next.
        List<Process> running = new ArrayList<>();
        try {
          for (ClusterAccess.LogCommand c : plan.commands()) {
            running.add(launcher.start(c.argv()));
          }
          int code = ExitCodes.OK;
          for (Process p : running) {
            code = Math.max(code, p.waitFor());
          }
          return code;
        } finally {
          running.forEach(Process::destroy);
        }
      }
      int code = ExitCodes.OK;
      for (ClusterAccess.LogCommand c : plan.commands()) {
        if (plan.commands().size() > 1) {
          out().println("=== " + c.label() + " ===");
          out().flush();
        }
        code = Math.max(code, launcher.start(c.argv()).waitFor());
      }
      return code;
    }
  }
}
