package dev.slipway.azure.arm;

import dev.slipway.config.ConfigException;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.SlurmStatusText;
import dev.slipway.spi.ClusterStatus;
import dev.slipway.spi.EngineEvent;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.Provisioner;
import dev.slipway.spi.ProviderNode;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * The azure backend's {@link Provisioner}: makes a cluster's controllers and login VMs (and their
 * network) through ARM from an {@link ArmPlan}, and takes them away again.
 *
 * <p>Failure handling differs from the local provisioner on purpose. ARM resources are durable
 * and slow to make, so a failed create does not undo itself: it stops, and running create again
 * continues where it stopped. Every resource is read (GET) before it is written; one that exists
 * and carries this cluster's tag is kept (or written again if ARM says its provisioning failed),
 * one that exists without the tag is used only where the configuration allows it
 * ({@code existing_ok}), and every PUT carries the whole desired body, so repeating it is harmless.
 * {@code destroy} is the way back to nothing.
 *
 * <p>Destroy removes exactly what carries {@code slipway-cluster: <id>}, found with ARM's tag
 * filter in the cluster's resource groups, never by a name prefix (Batch Shipyard deleted every
 * queue whose name merely started with the cluster id). Role assignments take no tags; they
 * have deterministic names (see {@link RoleGrant}) and are deleted by those names, first, so no
 * grant outlives the identity it was for.
 */
public final class ArmProvisioner implements Provisioner {
  /** What destroy may remove beyond the tagged VMs, NICs, IPs, NSGs and availability sets. */
  public record DestroyOptions(boolean deleteResourceGroup, boolean deleteVirtualNetwork, boolean deleteDataDisks) {
    public static final DestroyOptions DEFAULT = new DestroyOptions(false, false, false);

    public DestroyOptions(boolean deleteResourceGroup, boolean deleteVirtualNetwork) {
      this(deleteResourceGroup, deleteVirtualNetwork, false);
    }
  }

  /** Order of removal: what refers to something goes before it. */
  private static final List<ResourceKind> DELETE_ORDER = List.of(ResourceKind.VIRTUAL_MACHINE, ResourceKind.NETWORK_INTERFACE,
      ResourceKind.PUBLIC_IP, ResourceKind.NETWORK_SECURITY_GROUP, ResourceKind.AVAILABILITY_SET, ResourceKind.DISK,
      ResourceKind.VIRTUAL_NETWORK);

  private final ArmPlan plan;
  private final Supplier<ArmGateway> gateway;
  private final UserDataSource userData;
  private final InstantSource clock;
  private final Supplier<Optional<NodeProvider>> pools;
  private final DestroyOptions destroyOptions;
  private ControllerShell shell = ControllerShell.NONE;
  private List<dev.slipway.config.ElasticPartition> elastic = List.of();
  private Optional<String> slurmProblem = Optional.empty();
  private ArmGateway connected;

  /**
   * @param gateway connects on first use, so a plan with problems fails before any credential is touched
   * @param pools the cluster's Batch pools for {@link #status()}, if they can be reached
   */
  public ArmProvisioner(ArmPlan plan, Supplier<ArmGateway> gateway, UserDataSource userData, InstantSource clock,
      Supplier<Optional<NodeProvider>> pools, DestroyOptions destroyOptions) {
    this.plan = plan;
    this.gateway = gateway;
    this.userData = userData;
    this.clock = clock;
    this.pools = pools;
    this.destroyOptions = destroyOptions;
  }

  public ArmPlan plan() {
    return plan;
  }

  /**
   * How {@link #status()} reaches Slurm on the primary controller, and the elastic partitions its
   * hosts are counted in.
   */
  public ArmProvisioner withControllerShell(ControllerShell shell, List<dev.slipway.config.ElasticPartition> partitions) {
    this.shell = shell;
    this.elastic = List.copyOf(partitions);
    return this;
  }

  /** Why the last {@link #status()} has no Slurm state, in one line; empty when Slurm answered. */
  public Optional<String> slurmProblem() {
    return slurmProblem;
  }

  private ArmGateway arm() {
    if (!plan.problems().isEmpty()) {
      throw new ConfigException(plan.problems());
    }
    if (connected == null) {
      connected = gateway.get();
    }
    return connected;
  }

  // ------------------------------------------------------------------ create

  @Override
  public void create(EventSink events) throws InterruptedException {
    ArmGateway arm = arm();
    int steps = plan.resources().size() + plan.roleAssignments().size();
    int step = 0;
    for (ArmResource r : plan.resources()) {
      checkInterrupt();
      step++;
      emit(events, "provision.step", verb(r) + " " + shortType(r.kind()) + " " + r.name(), step, steps);
      apply(arm, r, events);
    }
    for (RoleGrant g : plan.roleAssignments()) {
      checkInterrupt();
      step++;
      emit(events, "provision.step", "grant " + g.roleName() + " to " + g.vmName() + " on " + lastSegment(g.scope()), step, steps);
      grant(arm, g, events);
    }
    detail(events, "provision.done", "cluster " + plan.clusterId() + " is created in " + plan.resourceGroup()
        + " (" + plan.vms().size() + " VMs); the VMs finish their own setup at first boot");
  }

  private void apply(ArmGateway arm, ArmResource r, EventSink events) {
    Optional<ArmObject> existing = arm.get(r.id(), r.kind().apiVersion());
    if (existing.isPresent()) {
      ArmObject e = existing.get();
      boolean ours = e.taggedFor(plan.clusterId());
      boolean failed = e.provisioningState().map(s -> s.equalsIgnoreCase("Failed")).orElse(false);
      if (ours && !failed) {
        detail(events, "provision.kept", "exists already (this cluster's), kept");
        return;
      }
      if (!ours && r.kind() != ResourceKind.SUBNET) {
        if (r.onExisting() == OnExisting.FAIL) {
          throw new ArmException(shortType(r.kind()) + " " + r.name() + " exists in " + r.resourceGroup()
              + " but is not this cluster's (no tag " + ArmPlan.CLUSTER_TAG + "=" + plan.clusterId() + ")"
              + (r.kind() == ResourceKind.VIRTUAL_NETWORK ? "; set existing_ok: true to use it" : "; rename the cluster or remove it"));
        }
        detail(events, "provision.used", "exists already, used as it is (existing_ok)");
        return;
      }
      if (r.kind() == ResourceKind.SUBNET && !failed) {
        if (r.onExisting() == OnExisting.FAIL && !ownsParentNetwork(arm, r)) {
          throw new ArmException("subnet " + r.name() + " exists but its network is not this cluster's; set existing_ok: true to use it");
        }
        detail(events, "provision.used", "exists already, used as it is");
        return;
      }
    } else if (r.onExisting() == OnExisting.REQUIRE) {
      throw new ArmException(shortType(r.kind()) + " " + r.name() + " does not exist in " + r.resourceGroup()
          + "; it is configured as existing (existing_ok without address_space, or arm_subnet_id)");
    }
    arm.put(r.id(), r.kind().apiVersion(), r.vm().map(vm -> vmBody(r, vm)).orElse(r.body()));
  }

  /** A subnet takes no tags: it is this cluster's when the network it is in is. */
  private boolean ownsParentNetwork(ArmGateway arm, ArmResource subnet) {
    String vnetId = subnet.id().substring(0, subnet.id().toLowerCase(Locale.ROOT).lastIndexOf("/subnets/"));
    return arm.get(vnetId, ResourceKind.VIRTUAL_NETWORK.apiVersion()).map(v -> v.taggedFor(plan.clusterId())).orElse(false);
  }

  /** The planned body plus what only apply knows: the SSH public key and the custom data. */
  @SuppressWarnings("unchecked")
  private Map<String, Object> vmBody(ArmResource r, PlannedVm vm) {
    Map<String, Object> body = deepCopy(r.body());
    Map<String, Object> os = (Map<String, Object>) ((Map<String, Object>) body.get("properties")).get("osProfile");
    Map<String, Object> linux = (Map<String, Object>) os.get("linuxConfiguration");
    List<Object> keys = (List<Object>) ((Map<String, Object>) linux.get("ssh")).get("publicKeys");
    ((Map<String, Object>) keys.get(0)).put("keyData", SshKeys.publicKey(vm.sshKey(), vm.adminUsername() + "@" + plan.clusterId()));
    String data = userData.forVm(vm.role(), vm.index());
    if (!data.isEmpty()) {
      os.put("customData", Base64.getEncoder().encodeToString(data.getBytes(StandardCharsets.UTF_8)));
    }
    return body;
  }

  private void grant(ArmGateway arm, RoleGrant g, EventSink events) {
    String principal = arm.get(g.vmId(), ResourceKind.VIRTUAL_MACHINE.apiVersion()).flatMap(ArmObject::principalId)
        .orElseThrow(() -> new ArmException("VM " + g.vmName() + " has no system-assigned identity to grant " + g.roleName() + " to"));
    Optional<ArmObject> existing = arm.get(g.id(), ResourceKind.ROLE_ASSIGNMENT.apiVersion());
    if (existing.isPresent()) {
      if (principal.equals(existing.get().properties().get("principalId"))) {
        detail(events, "provision.kept", "assigned already, kept");
        return;
      }
      // The VM was made again and has a new identity; ARM refuses to change an assignment's principal.
      detail(events, "provision.replace", "assigned to an earlier identity of " + g.vmName() + "; replacing");
      arm.delete(g.id(), ResourceKind.ROLE_ASSIGNMENT.apiVersion());
    }
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("roleDefinitionId", g.roleDefinitionId(plan.subscriptionId()));
    props.put("principalId", principal);
    // Stated so ARM does not look the new identity up in a directory that may not have replicated it yet.
    props.put("principalType", "ServicePrincipal");
    arm.put(g.id(), ResourceKind.ROLE_ASSIGNMENT.apiVersion(), Map.of("properties", props));
  }

  // ------------------------------------------------------------------ suspend / start / status

  @Override
  public void suspend(EventSink events) throws InterruptedException {
    powerAll(events, "deallocate", (arm, vm) -> arm.deallocate(plan.resourceGroup(), vm));
    detail(events, "provision.done", "cluster " + plan.clusterId() + " is suspended: its VMs are deallocated, disks and addresses kept");
  }

  @Override
  public void start(EventSink events) throws InterruptedException {
    powerAll(events, "start", (arm, vm) -> arm.start(plan.resourceGroup(), vm));
    detail(events, "provision.done", "cluster " + plan.clusterId() + " is started");
  }

  private interface PowerAction {
    void apply(ArmGateway arm, String vm);
  }

  private void powerAll(EventSink events, String verb, PowerAction action) throws InterruptedException {
    ArmGateway arm = arm();
    List<ArmResource> vms = plan.vms();
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < vms.size(); i++) {
      checkInterrupt();
      String name = vms.get(i).name();
      emit(events, "provision.step", verb + " " + name, i + 1, vms.size());
      if (arm.powerState(plan.resourceGroup(), name).isEmpty()) {
        detail(events, "provision.missing", name + " does not exist; skipped");
        missing.add(name);
        continue;
      }
      action.apply(arm, name);
    }
    if (missing.size() == vms.size() && !vms.isEmpty()) {
      throw new ArmException("cluster " + plan.clusterId() + " has no VMs in " + plan.resourceGroup() + " (create it first)");
    }
  }

  @Override
  public ClusterStatus status() throws InterruptedException {
    ArmGateway arm = arm();
    List<ClusterStatus.Machine> controllers = new ArrayList<>();
    List<ClusterStatus.Machine> logins = new ArrayList<>();
    int present = 0;
    int running = 0;
    for (ArmResource vm : plan.vms()) {
      checkInterrupt();
      Optional<String> power = arm.powerState(plan.resourceGroup(), vm.name());
      present += power.isPresent() ? 1 : 0;
      running += power.filter("running"::equals).isPresent() ? 1 : 0;
      VmRole role = vm.vm().orElseThrow().role();
      if (role == VmRole.STORAGE) {
        continue;
      }
      String address = power.isEmpty() ? "-" : address(arm, vm).orElse("-");
      ClusterStatus.Machine m = new ClusterStatus.Machine(vm.name(), address, power.orElse("absent"), Optional.empty());
      (role == VmRole.CONTROLLER ? controllers : logins).add(m);
    }
    int total = plan.vms().size();
    String phase = present == 0 ? "absent" : running == total ? "running" : running == 0 && present == total ? "suspended" : "partial";
    List<ClusterStatus.Partition> batchPools = partitions();
    Optional<ClusterStatus.Machine> primary = controllers.stream().findFirst();
    if (primary.isEmpty() || !primary.get().state().equals("running") || primary.get().address().equals("-")) {
      slurmProblem = Optional.of("the primary controller is not running; Slurm state unknown");
      return new ClusterStatus(plan.clusterId(), phase, controllers, logins, batchPools, List.of(), false);
    }
    String address = primary.get().address();
    CommandRunner.Result ping = shell.run(address, List.of("scontrol", "ping"), SLURM_QUERY_TIMEOUT);
    CommandRunner.Result sinfo = ping.ok() || !ping.stdout().isBlank()
        ? shell.run(address, SlurmStatusText.SINFO_ARGS, SLURM_QUERY_TIMEOUT) : ping;
    if (!sinfo.ok()) {
      slurmProblem = Optional.of("Slurm on " + primary.get().name() + " (" + address + ") did not answer: " + firstLine(sinfo));
      return new ClusterStatus(plan.clusterId(), phase, controllers, logins, batchPools, List.of(), false);
    }
    slurmProblem = Optional.empty();
    Map<String, String> pingStates = SlurmStatusText.pingStates(ping.stdout());
    List<ClusterStatus.Machine> withSlurm = new ArrayList<>();
    for (ClusterStatus.Machine m : controllers) {
      withSlurm.add(new ClusterStatus.Machine(m.name(), m.address(),
          m.state() + Optional.ofNullable(pingStates.get(m.name())).map(p -> ", " + p).orElse(""), m.pid()));
    }
    List<ClusterStatus.Host> hosts = SlurmStatusText.hosts(sinfo.stdout(), elastic);
    Map<String, java.util.OptionalInt> targets = new java.util.HashMap<>();
    batchPools.forEach(part -> part.pools().forEach(pool -> targets.put(pool.id(), pool.target())));
    return new ClusterStatus(plan.clusterId(), phase, withSlurm, logins, SlurmStatusText.partitions(elastic, hosts, targets), hosts, true);
  }

  private static final java.time.Duration SLURM_QUERY_TIMEOUT = java.time.Duration.ofSeconds(20);

  private static String firstLine(CommandRunner.Result r) {
    String text = r.stderr().isBlank() ? r.stdout() : r.stderr();
    String line = text.strip().lines().findFirst().orElse("");
    return line.isEmpty() ? "exit code " + r.exitCode() : line;
  }

  /**
   * The address of the plan's {@code vm} as ARM has it: the public one if the VM has one, else its
   * private one; empty when ARM has neither (the VM or its network interface does not exist).
   * What status shows and {@code slipway cluster ssh} connects to.
   */
  public Optional<String> address(ArmResource vm) {
    return address(arm(), vm);
  }

  @SuppressWarnings("unchecked")
  private Optional<String> address(ArmGateway arm, ArmResource vm) {
    int offset = vm.vm().orElseThrow().offset();
    String prefix = plan.clusterId() + "-" + vm.vm().orElseThrow().role().namePart();
    Optional<ArmResource> pip = plan.resource(ResourceKind.PUBLIC_IP, prefix + "-pip" + String.format(Locale.ROOT, "%03d", offset));
    if (pip.isPresent()) {
      Optional<String> ip = arm.get(pip.get().id(), ResourceKind.PUBLIC_IP.apiVersion()).map(o -> o.properties().get("ipAddress"))
          .map(Object::toString);
      if (ip.isPresent()) {
        return ip;
      }
    }
    return plan.resource(ResourceKind.NETWORK_INTERFACE, prefix + "-ni" + String.format(Locale.ROOT, "%03d", offset))
        .flatMap(nic -> arm.get(nic.id(), ResourceKind.NETWORK_INTERFACE.apiVersion()))
        .flatMap(o -> Optional.ofNullable((List<Object>) o.properties().get("ipConfigurations")))
        .filter(l -> !l.isEmpty())
        .map(l -> (Map<String, Object>) ((Map<String, Object>) l.get(0)).get("properties"))
        .flatMap(p -> Optional.ofNullable(p.get("privateIPAddress"))).map(Object::toString);
  }

  /** One partition per pool (the provisioner does not read Slurm): counts from the Batch pools. */
  private List<ClusterStatus.Partition> partitions() {
    Optional<NodeProvider> provider = pools.get();
    if (provider.isEmpty()) {
      return List.of();
    }
    List<ClusterStatus.Pool> list = new ArrayList<>();
    for (NodePool p : provider.get().pools()) {
      List<ProviderNode> nodes = p.nodes();
      int booting = 0;
      int ready = 0;
      int failed = 0;
      for (ProviderNode n : nodes) {
        switch (n.state()) {
          case CREATING, STARTING -> booting++;
          case READY -> ready++;
          default -> failed += n.state().isFailed() ? 1 : 0;
        }
      }
      list.add(new ClusterStatus.Pool(p.id(), OptionalInt.of(p.targetSize().total()), booting, ready, 0, failed,
          Math.max(0, p.maxSize() - nodes.size())));
    }
    return List.of(new ClusterStatus.Partition("(batch pools)", list));
  }

  // ------------------------------------------------------------------ destroy

  @Override
  public void destroy(EventSink events) throws InterruptedException {
    ArmGateway arm = arm();
    List<ArmObject> tagged = new ArrayList<>();
    for (String rg : plan.resourceGroups()) {
      tagged.addAll(arm.listTagged(rg, ArmPlan.CLUSTER_TAG, plan.clusterId()));
    }
    List<ArmObject> toDelete = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    for (ArmObject o : tagged) {
      Optional<ResourceKind> kind = ResourceKind.ofType(o.type());
      if (kind.isEmpty() || !DELETE_ORDER.contains(kind.get())) {
        kept.add(o.id() + " (type " + o.type() + " is not one slipway makes)");
      } else if (kind.get() == ResourceKind.DISK && !destroyOptions.deleteDataDisks()) {
        kept.add(o.id() + " (a data disk of the storage cluster; --delete-data-disks removes it)");
      } else if (kind.get() == ResourceKind.VIRTUAL_NETWORK && !destroyOptions.deleteVirtualNetwork()) {
        kept.add(o.id() + " (a virtual network; --delete-virtual-network removes it)");
      } else {
        toDelete.add(o);
      }
    }
    toDelete.sort(Comparator.comparingInt(o -> DELETE_ORDER.indexOf(ResourceKind.ofType(o.type()).orElseThrow())));
    boolean deleteGroup = destroyOptions.deleteResourceGroup();
    int steps = plan.roleAssignments().size() + toDelete.size() + (deleteGroup ? 1 : 0);
    int step = 0;
    for (RoleGrant g : plan.roleAssignments()) {
      checkInterrupt();
      emit(events, "provision.step", "remove " + g.roleName() + " of " + g.vmName() + " on " + lastSegment(g.scope()), ++step, steps);
      if (!arm.delete(g.id(), ResourceKind.ROLE_ASSIGNMENT.apiVersion())) {
        detail(events, "provision.gone", "already gone");
      }
    }
    for (ArmObject o : toDelete) {
      checkInterrupt();
      ResourceKind kind = ResourceKind.ofType(o.type()).orElseThrow();
      emit(events, "provision.step", "delete " + shortType(kind) + " " + lastSegment(o.id()), ++step, steps);
      if (!arm.delete(o.id(), kind.apiVersion())) {
        detail(events, "provision.gone", "already gone");
      }
    }
    for (String k : kept) {
      detail(events, "provision.kept", "kept " + k);
    }
    if (deleteGroup) {
      checkInterrupt();
      emit(events, "provision.step", "delete resource group " + plan.resourceGroup(), ++step, steps);
      ArmResource rg = plan.resources().get(0);
      Optional<ArmObject> group = arm.get(rg.id(), ResourceKind.RESOURCE_GROUP.apiVersion());
      if (group.isEmpty()) {
        detail(events, "provision.gone", "already gone");
      } else if (!group.get().taggedFor(plan.clusterId())) {
        detail(events, "provision.kept", "kept: resource group " + plan.resourceGroup() + " was not created by this cluster (no "
            + ArmPlan.CLUSTER_TAG + " tag); delete it yourself if it holds nothing else");
      } else {
        arm.delete(rg.id(), ResourceKind.RESOURCE_GROUP.apiVersion());
      }
    }
    detail(events, "provision.done", "cluster " + plan.clusterId() + " is destroyed (" + toDelete.size() + " resources, "
        + plan.roleAssignments().size() + " role assignments)");
  }

  // ------------------------------------------------------------------ helpers

  private static String verb(ArmResource r) {
    return r.onExisting() == OnExisting.REQUIRE ? "check" : r.onExisting() == OnExisting.USE ? "ensure" : "create";
  }

  static String shortType(ResourceKind kind) {
    switch (kind) {
      case RESOURCE_GROUP: return "resource group";
      case VIRTUAL_NETWORK: return "virtual network";
      case SUBNET: return "subnet";
      case NETWORK_SECURITY_GROUP: return "network security group";
      case PUBLIC_IP: return "public IP";
      case AVAILABILITY_SET: return "availability set";
      case NETWORK_INTERFACE: return "network interface";
      case VIRTUAL_MACHINE: return "VM";
      case DISK: return "disk";
      case FILE_SHARE: return "file share";
      default: return "role assignment";
    }
  }

  private static String lastSegment(String id) {
    return id.substring(id.lastIndexOf('/') + 1);
  }

  private void emit(EventSink events, String kind, String message, int step, int steps) {
    events.accept(new EngineEvent(clock.instant(), kind, message, Map.of("step", Integer.toString(step), "steps", Integer.toString(steps))));
  }

  private void detail(EventSink events, String kind, String message) {
    events.accept(new EngineEvent(clock.instant(), kind, message, Map.of()));
  }

  private static void checkInterrupt() throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> deepCopy(Map<String, Object> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, copyValue(v)));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object copyValue(Object v) {
    if (v instanceof Map<?, ?> map) {
      return deepCopy((Map<String, Object>) map);
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(x -> out.add(copyValue(x)));
      return out;
    }
    return v;
  }
}
