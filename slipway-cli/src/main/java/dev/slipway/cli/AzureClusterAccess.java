package dev.slipway.cli;

import dev.slipway.azure.arm.ArmPlan;
import dev.slipway.azure.arm.ArmResource;
import dev.slipway.azure.arm.PlannedVm;
import dev.slipway.azure.arm.SshKeySource;
import dev.slipway.azure.arm.VmRole;
import dev.slipway.azure.bootstrap.AzureLogLayout;
import dev.slipway.config.ClusterConfig;
import dev.slipway.engine.ClusterTopology;
import dev.slipway.slurm.SlurmLayout;
import dev.slipway.spi.HostBinding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The azure backend's machines, all over ssh. Controllers and login nodes: their address as ARM
 * has it (public if the VM has one), as their group's admin user with that group's key, trusting
 * the cluster's own known_hosts (first contact accepted, a changed key refused). Compute nodes
 * have no public address: their address is the one the daemon stored in the host's binding, and
 * the connection jumps through the first login node (the first controller when there is none)
 * as the cluster user, whom pam_slurm_adopt admits only while a job of theirs runs there.
 *
 * <p>The jump is a {@code ProxyCommand} running {@code ssh -W}, not {@code -J}: ssh starts a
 * {@code -J} hop without the command line's {@code -i}, so a generated key would not reach the
 * jump host. Compute nodes are checked against their own known_hosts file under an alias of
 * their Batch node id, because Batch hands a deleted node's address to the next node, whose
 * different key must not look like an attack on the old one.
 *
 * <p>Logs are where {@link AzureLogLayout} says: slurmctld's on each controller's disk, the
 * daemon's, the power-save hooks' and slurmd's on the Azure Files share when the cluster has one
 * (read through a controller, so a compute node's log outlives the node), else on each machine.
 */
final class AzureClusterAccess implements ClusterAccess {
  /** Lines of each file shown before following. */
  static final int TAIL_LINES = 200;
  private static final String CONNECT_TIMEOUT = "ConnectTimeout=10";
  /** Where login nodes' first-boot setup writes (they run no Slurm daemon). */
  static final String CLOUD_INIT_LOG = "/var/log/cloud-init-output.log";

  /** A VM's address as ARM has it: public if it has one, else private; empty while the VM is absent. */
  @FunctionalInterface
  interface VmAddresses {
    Optional<String> of(ArmResource vm) throws InterruptedException;
  }

  /** A compute host's binding in the cluster's state store (the daemon records the node's address there). */
  @FunctionalInterface
  interface HostBindings {
    Optional<HostBinding> of(String host);
  }

  private final ClusterConfig config;
  private final ArmPlan plan;
  private final VmAddresses addresses;
  private final HostBindings bindings;
  private final Path sshDir;
  private final AzureLogLayout layout;

  /**
   * @param sshDir the cluster's ssh directory on this machine (its known_hosts files)
   * @param layout where the VMs write their logs
   */
  AzureClusterAccess(ClusterConfig config, ArmPlan plan, VmAddresses addresses, HostBindings bindings, Path sshDir, AzureLogLayout layout) {
    this.config = config;
    this.plan = plan;
    this.addresses = addresses;
    this.bindings = bindings;
    this.sshDir = sshDir;
    this.layout = layout;
  }

  // ------------------------------------------------------------------ ssh

  @Override
  public List<String> shell(Target target, List<String> command) throws InterruptedException {
    boolean tty = command.isEmpty();
    List<String> argv = switch (target.role()) {
      case login -> vmSsh(pick(VmRole.LOGIN, target.offset(), "login node"), tty);
      case controller -> vmSsh(pick(VmRole.CONTROLLER, target.offset(), "controller"), tty);
      case node -> nodeSsh(bound(target.host().orElseThrow(() -> new UsageException("'cluster ssh node' needs --host HOST"))), tty);
    };
    argv.addAll(remote(command));
    return argv;
  }

  /**
   * ssh joins its arguments with spaces for the remote shell: one argument is a shell command line
   * as typed ({@code -- 'tail -f x | grep y'}); several are quoted one by one so each arrives as
   * one word ({@code -- grep 'a b' f}).
   */
  static List<String> remote(List<String> command) {
    if (command.size() <= 1) {
      return List.copyOf(command);
    }
    return List.of(command.stream().map(HookScripts::quote).collect(Collectors.joining(" ")));
  }

  private ArmResource pick(VmRole role, int offset, String what) {
    List<ArmResource> vms = plan.vms(role);
    if (offset < 0 || offset >= vms.size()) {
      throw new UsageException("no " + what + " at offset " + offset + " (the cluster has " + vms.size() + ")");
    }
    return vms.get(offset);
  }

  /** ssh to a controller or login VM, ending with {@code --} (ssh reads options after the destination otherwise). */
  private List<String> vmSsh(ArmResource vm, boolean tty) throws InterruptedException {
    ensureSshDir();
    PlannedVm planned = vm.vm().orElseThrow();
    List<String> argv = new ArrayList<>(List.of("ssh"));
    if (tty) {
      argv.add("-t");
    }
    argv.addAll(identity(planned));
    argv.addAll(trust(sshDir.resolve("known_hosts")));
    argv.addAll(List.of(planned.adminUsername() + "@" + address(vm), "--"));
    return argv;
  }

  private List<String> nodeSsh(HostBinding binding, boolean tty) throws InterruptedException {
    ensureSshDir();
    ArmResource jump = plan.vms(VmRole.LOGIN).isEmpty() ? pick(VmRole.CONTROLLER, 0, "controller") : plan.vms(VmRole.LOGIN).get(0);
    PlannedVm jumpVm = jump.vm().orElseThrow();
    List<String> hop = new ArrayList<>(List.of("ssh"));
    hop.addAll(identity(jumpVm));
    hop.addAll(trust(sshDir.resolve("known_hosts")));
    hop.addAll(List.of("-W", "%h:%p", jumpVm.adminUsername() + "@" + address(jump)));
    // The cluster user is the login group's user, and the login group's key is theirs on every node.
    PlannedVm login = plan.vms(VmRole.LOGIN).stream().findFirst().flatMap(ArmResource::vm).orElse(jumpVm);
    List<String> argv = new ArrayList<>(List.of("ssh"));
    if (tty) {
      argv.add("-t");
    }
    argv.addAll(identity(login));
    argv.addAll(List.of("-o", "ProxyCommand=" + hop.stream().map(HookScripts::quote).collect(Collectors.joining(" ")),
        "-o", "HostKeyAlias=" + binding.poolId() + "." + binding.nodeId().orElse(binding.host())));
    argv.addAll(trust(sshDir.resolve("known_hosts_nodes")));
    argv.addAll(List.of(config.slurm().login().ssh().username() + "@" + binding.address().orElseThrow(), "--"));
    return argv;
  }

  /** ssh records first contacts in the cluster's known_hosts files, but does not make their directory. */
  private void ensureSshDir() {
    try {
      if (!Files.isDirectory(sshDir)) {
        Files.createDirectories(sshDir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot make " + sshDir + " for the cluster's known_hosts", e);
    }
  }

  private HostBinding bound(String host) {
    if (topology().poolOfHost(host).isEmpty()) {
      throw new UsageException("'" + host + "' is not a compute host of cluster " + plan.clusterId()
          + " (the elastic partitions' hosts are " + topology().describe() + ")");
    }
    HostBinding b = bindings.of(host).orElseThrow(() -> new UnreachableException("compute host " + host
        + " has no node (it is powered down or was never used); only a host that runs has an address", null));
    if (b.address().isEmpty()) {
      throw new UnreachableException("compute host " + host + " has no address yet (its node " + b.nodeId().orElse("-") + " is "
          + b.phase().name().toLowerCase(Locale.ROOT) + ")", null);
    }
    return b;
  }

  private ClusterTopology topology() {
    return ClusterTopology.fromConfig(config.slurm().options());
  }

  /**
   * The group's private key if it has one here. A generated or configured key that is missing is
   * an error: ssh would quietly try other keys and fail with an unhelpful "Permission denied".
   */
  private static List<String> identity(PlannedVm vm) {
    SshKeySource key = vm.sshKey();
    if (key.privateKey().isEmpty()) {
      return List.of();
    }
    Path priv = key.privateKey().get();
    if (!Files.isRegularFile(priv)) {
      throw new UsageException("the " + vm.role().name().toLowerCase(Locale.ROOT) + " nodes' private key " + priv + " does not exist ("
          + (key.kind() == SshKeySource.Kind.GENERATED ? "it is generated by 'slipway cluster create' on the machine that created the cluster"
              : "ssh_private_key names it") + ")");
    }
    return List.of("-i", priv.toString(), "-o", "IdentitiesOnly=yes");
  }

  private static List<String> trust(Path knownHosts) {
    return List.of("-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=" + knownHosts, "-o", CONNECT_TIMEOUT);
  }

  private String address(ArmResource vm) throws InterruptedException {
    return addresses.of(vm).orElseThrow(() -> new UnreachableException("VM " + vm.name() + " has no address (it does not exist;"
        + " 'slipway cluster status' shows the cluster's VMs)", null));
  }

  // ------------------------------------------------------------------ logs

  @Override
  public LogPlan logs(Optional<String> host, boolean follow) throws InterruptedException {
    List<ArmResource> controllers = plan.vms(VmRole.CONTROLLER);
    if (host.isEmpty()) {
      List<LogCommand> commands = new ArrayList<>();
      List<String> notes = new ArrayList<>();
      for (int i = 0; i < controllers.size(); i++) {
        Optional<String> address = addresses.of(controllers.get(i));
        if (address.isEmpty()) {
          notes.add("controller " + controllers.get(i).name() + " has no address (it does not exist); its logs are left out");
          continue;
        }
        commands.add(controllerLogs(i, address.get(), follow));
      }
      if (commands.isEmpty()) {
        throw new UnreachableException("no controller of cluster " + plan.clusterId() + " has an address (is it created?)", null);
      }
      return new LogPlan(commands, notes);
    }
    String h = host.get();
    List<String> names = controllerNames();
    for (int i = 0; i < controllers.size(); i++) {
      if (h.equalsIgnoreCase(controllers.get(i).name()) || h.equalsIgnoreCase(names.get(i))) {
        return new LogPlan(List.of(controllerLogs(i, address(controllers.get(i)), follow)), List.of());
      }
    }
    for (ArmResource login : plan.vms(VmRole.LOGIN)) {
      if (h.equalsIgnoreCase(login.name())) {
        List<String> argv = vmSsh(login, false);
        argv.add(tailScript(List.of(CLOUD_INIT_LOG), List.of(), follow));
        return new LogPlan(List.of(new LogCommand("login " + login.name(), argv)), List.of());
      }
    }
    return new LogPlan(List.of(computeLogs(h, follow)), List.of());
  }

  private List<String> controllerNames() {
    return SlurmLayout.controllerNames(config.slurm().clusterId(), plan.vms(VmRole.CONTROLLER).size());
  }

  /** slurmctld's log (slurmdbd's too on the primary, when it has one) and the daemon's and hooks' logs of controller {@code index}. */
  private LogCommand controllerLogs(int index, String address, boolean follow) throws InterruptedException {
    ArmResource vm = plan.vms(VmRole.CONTROLLER).get(index);
    String name = controllerNames().get(index);
    List<String> argv = vmSsh(vm, false);
    argv.add(tailScript(List.of(layout.slurmctldLog(), layout.daemonLog(name), layout.powerLog(name)),
        index == 0 ? List.of(layout.slurmdbdLog()) : List.of(), follow));
    return new LogCommand("controller " + vm.name() + " (" + address + ")", argv);
  }

  private LogCommand computeLogs(String host, boolean follow) throws InterruptedException {
    if (topology().poolOfHost(host).isEmpty()) {
      throw new UsageException("no host " + host + " in cluster " + plan.clusterId() + ": give a controller ("
          + String.join(", ", controllerNames()) + "), a login node (" + plan.vms(VmRole.LOGIN).stream().map(ArmResource::name)
              .collect(Collectors.joining(", ")) + ") or a compute host (" + topology().describe() + ")");
    }
    if (layout.shared()) {
      // On the share: any controller reads it, whether or not the node still exists.
      for (ArmResource c : plan.vms(VmRole.CONTROLLER)) {
        if (addresses.of(c).isPresent()) {
          List<String> argv = vmSsh(c, false);
          argv.add(tailScript(List.of(layout.slurmdLog(host)), List.of(), follow));
          return new LogCommand("compute host " + host + " (via " + c.name() + ")", argv);
        }
      }
      throw new UnreachableException("no controller of cluster " + plan.clusterId() + " has an address to read " + host
          + "'s log from the share", null);
    }
    HostBinding b;
    try {
      b = bound(host);
    } catch (UnreachableException e) {
      throw new UnreachableException(e.getMessage() + "; the cluster has no Azure Files log share (slurm.storage_account_settings"
          + " with an account_key), so its slurmd log was on the node itself", null);
    }
    // No share: the log is on the node, which admits the cluster user only while a job of theirs runs there.
    List<String> argv = nodeSsh(b, false);
    argv.add(tailScript(List.of(layout.slurmdLog(host)), List.of(), follow));
    return new LogCommand("compute host " + host, argv);
  }

  /**
   * The remote sh script: {@code tail} of the files that exist ({@code required} ones that do not
   * are named on stderr; following waits for them), with sudo where the admin user has it, since
   * Slurm's logs belong to slurm.
   */
  static String tailScript(List<String> required, List<String> optional, boolean follow) {
    StringBuilder s = new StringBuilder("set --\n");
    if (!required.isEmpty()) {
      s.append("for p in ").append(required.stream().map(HookScripts::quote).collect(Collectors.joining(" "))).append("; do\n")
          .append("  if [ -e \"$p\" ]; then set -- \"$@\" \"$p\"; else echo \"slipway: $(hostname) has no $p yet\" >&2;")
          .append(follow ? " set -- \"$@\" \"$p\";" : "").append(" fi\ndone\n");
    }
    if (!optional.isEmpty()) {
      s.append("for p in ").append(optional.stream().map(HookScripts::quote).collect(Collectors.joining(" "))).append("; do\n")
          .append("  if [ -e \"$p\" ]; then set -- \"$@\" \"$p\"; fi\ndone\n");
    }
    s.append("[ $# -gt 0 ] || exit 1\n")
        .append("s=; if [ \"$(id -u)\" != 0 ] && sudo -n true 2>/dev/null; then s='sudo -n'; fi\n")
        .append("exec $s tail -v -n ").append(TAIL_LINES).append(follow ? " -F" : "").append(" -- \"$@\"\n");
    return s.toString();
  }
}
