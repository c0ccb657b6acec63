package dev.slipway.slurm;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a cluster's Slurm pieces live on its controllers and nodes: controller hosts, ports,
 * directories, the power-save programs, the Slurm user. It is everything {@code slurm.conf}
 * needs besides the user's configuration, and it differs per backend, so each backend has a
 * factory ({@link #forAzure}, {@link #forLocal}) and tests adjust single fields with the
 * {@code with*} methods.
 *
 * @param controllers controller hosts in failover order (the first is the primary)
 * @param slurmctldPort SlurmctldPort
 * @param slurmdPort SlurmdPort
 * @param stateSaveLocation StateSaveLocation; shared by every controller for HA
 * @param slurmdSpoolDir SlurmdSpoolDir ({@code %n} allowed)
 * @param logDir directory of slurmctld.log and slurmd-%n.log
 * @param pidDir directory of slurmctld.pid and slurmd-%n.pid
 * @param powerPrograms ResumeProgram, SuspendProgram, ResumeFailProgram
 * @param prologSlurmctld PrologSlurmctld; see docs/slurm-conf.md (Slurm 22.05 gotcha 4)
 * @param slurmUser SlurmUser (the user slurmctld and the power programs run as)
 * @param pluginDir PluginDir; empty keeps the installed Slurm's compiled-in default
 * @param mungeSocket AuthInfo socket; empty uses munge's default socket
 * @param accounting where slurmdbd listens, used when accounting is enabled
 * @param hosting whether a node is a whole machine or one of many namespaces on a machine
 * @param slurmdLogFile SlurmdLogFile ({@code %n} allowed); {@code <logDir>/slurmd-%n.log} unless a
 *     backend keeps slurmd's logs elsewhere (Azure with a log share: on the share, so they outlive
 *     the node)
 */
public record SlurmLayout(
    List<ControllerHost> controllers,
    int slurmctldPort,
    int slurmdPort,
    Path stateSaveLocation,
    Path slurmdSpoolDir,
    Path logDir,
    Path pidDir,
    PowerPrograms powerPrograms,
    Optional<Path> prologSlurmctld,
    String slurmUser,
    Optional<Path> pluginDir,
    Optional<Path> mungeSocket,
    AccountingEndpoint accounting,
    NodeHosting hosting,
    Path slurmdLogFile) {

  /** Slurm's default ports; slurmdbd's is {@value #SLURMDBD_PORT}. */
  public static final int SLURMCTLD_PORT = 6817;

  public static final int SLURMD_PORT = 6818;
  public static final int SLURMDBD_PORT = 6819;

  public SlurmLayout {
    controllers = List.copyOf(controllers);
    if (controllers.isEmpty()) {
      throw new IllegalArgumentException("a Slurm cluster needs at least one controller");
    }
    Objects.requireNonNull(stateSaveLocation, "stateSaveLocation");
    Objects.requireNonNull(slurmdSpoolDir, "slurmdSpoolDir");
    Objects.requireNonNull(logDir, "logDir");
    Objects.requireNonNull(pidDir, "pidDir");
    Objects.requireNonNull(powerPrograms, "powerPrograms");
    Objects.requireNonNull(prologSlurmctld, "prologSlurmctld");
    Objects.requireNonNull(slurmUser, "slurmUser");
    Objects.requireNonNull(pluginDir, "pluginDir");
    Objects.requireNonNull(mungeSocket, "mungeSocket");
    Objects.requireNonNull(accounting, "accounting");
    Objects.requireNonNull(hosting, "hosting");
    Objects.requireNonNull(slurmdLogFile, "slurmdLogFile");
    checkPort(slurmctldPort, "slurmctldPort");
    checkPort(slurmdPort, "slurmdPort");
  }

  /** A layout with slurmd's logs in {@code logDir}, as {@code slurmd-%n.log}. */
  public SlurmLayout(List<ControllerHost> controllers, int slurmctldPort, int slurmdPort, Path stateSaveLocation, Path slurmdSpoolDir,
      Path logDir, Path pidDir, PowerPrograms powerPrograms, Optional<Path> prologSlurmctld, String slurmUser, Optional<Path> pluginDir,
      Optional<Path> mungeSocket, AccountingEndpoint accounting, NodeHosting hosting) {
    this(controllers, slurmctldPort, slurmdPort, stateSaveLocation, slurmdSpoolDir, logDir, pidDir, powerPrograms, prologSlurmctld,
        slurmUser, pluginDir, mungeSocket, accounting, hosting, logDir.resolve("slurmd-%n.log"));
  }

  private static void checkPort(int port, String what) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + " must be in 1..65535, not " + port);
    }
  }

  /** One {@code SlurmctldHost}: the host name slurmctld finds with gethostname(), and optionally its address. */
  public record ControllerHost(String name, Optional<String> address) {
    public ControllerHost {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(address, "address");
    }

    public static ControllerHost of(String name, String address) {
      return new ControllerHost(name, Optional.of(address));
    }

    /** {@code name(address)} or {@code name}, as SlurmctldHost wants it. */
    public String slurmValue() {
      return address.map(a -> name + "(" + a + ")").orElse(name);
    }
  }

  /** The three programs slurmctld runs for power saving: wrappers around {@code slipway hook ...}. */
  public record PowerPrograms(Path resume, Path suspend, Path resumeFail) {
    /** The wrapper names the hooks install into {@code libexec}: slipway-resume, -suspend, -resume-fail. */
    public static PowerPrograms in(Path libexec) {
      return new PowerPrograms(libexec.resolve("slipway-resume"), libexec.resolve("slipway-suspend"), libexec.resolve("slipway-resume-fail"));
    }
  }

  /** Where slurmdbd listens. */
  public record AccountingEndpoint(String host, int port) {
    public AccountingEndpoint {
      Objects.requireNonNull(host, "host");
      checkPort(port, "accounting port");
    }
  }

  /**
   * What a Slurm node is physically. It decides the task plugin, cgroup constraints, GPU device
   * files and whether slurmd may present resources it does not have.
   */
  public enum NodeHosting {
    /**
     * Each node is a whole VM (Azure): cgroups confine jobs to their cores, memory and GPUs, and
     * gres.conf names the real {@code /dev/nvidia*} devices.
     */
    WHOLE_MACHINE,
    /**
     * Many nodes share this machine (local backend, one network namespace per node): they present
     * their VM size's resources, which the machine does not have, so slurmd must trust slurm.conf
     * ({@code SlurmdParameters=config_overrides}); there are no GPU devices and no per-node
     * cgroup confinement (it would pin every node to CPU 0).
     */
    SHARED_MACHINE
  }

  /** The {@code libexec} directory on Azure controllers, where the hook wrappers are installed. */
  public static final Path AZURE_LIBEXEC = Path.of("/opt/slipway/libexec");

  /**
   * The layout on Azure: controllers {@code <cluster_id>-controller-vm000..} (resolved by the
   * virtual network's DNS, so no addresses), state on the shared volume marked
   * {@code store_slurmctld_state} at {@code <mount_path>/.slurmctld_state}, Batch Shipyard's
   * spool and log paths, the distribution's Slurm plugins, slurmdbd on the primary controller.
   *
   * @throws ConfigException when no shared volume stores the controller state (Batch Shipyard
   *     wrote the literal {@code None} as StateSaveLocation then, bug 23)
   */
  public static SlurmLayout forAzure(ClusterConfig config) {
    var slurm = config.slurm();
    var stateVolume = slurm.stateVolume().orElseThrow(() -> new ConfigException(List.of(ConfigProblem.error(
        Optional.of(config.sources().slurm()), 0, 0, "slurm.shared_data_volumes",
        "no volume has store_slurmctld_state: true, so the controllers have nowhere shared to keep their state",
        "exactly one shared_data_volumes entry with store_slurmctld_state: true"))));
    List<ControllerHost> controllers = new ArrayList<>();
    for (String name : controllerNames(slurm.clusterId(), slurm.controller().vmCount())) {
      controllers.add(new ControllerHost(name, Optional.empty()));
    }
    return new SlurmLayout(
        controllers,
        SLURMCTLD_PORT,
        SLURMD_PORT,
        Path.of(stateVolume.mountPath()).resolve(".slurmctld_state"),
        Path.of("/var/spool/slurm/slurmd"),
        Path.of("/var/log/slurm"),
        Path.of("/run"),
        PowerPrograms.in(AZURE_LIBEXEC),
        Optional.empty(),
        "slurm",
        Optional.empty(),
        Optional.empty(),
        new AccountingEndpoint(controllers.get(0).name(), SLURMDBD_PORT),
        NodeHosting.WHOLE_MACHINE);
  }

  /**
   * The layout of a local cluster kept under {@code clusterDir}: one controller per address, named
   * like Azure's ({@code <cluster_id>-controller-vm000..}; the local provisioner gives each
   * slurmctld that host name in its own UTS namespace), everything else under {@code clusterDir},
   * root as Slurm user (the power programs create network namespaces), a PrologSlurmctld that
   * holds batch jobs until their freshly resumed nodes are up (otherwise Slurm 22.05 leaves them
   * CONFIGURING for up to 30 s), and slurmdbd on the first controller's address.
   */
  public static SlurmLayout forLocal(ClusterConfig config, Path clusterDir, List<String> controllerAddresses) {
    if (controllerAddresses.isEmpty()) {
      throw new IllegalArgumentException("a local cluster needs at least one controller address");
    }
    List<String> names = controllerNames(config.slurm().clusterId(), controllerAddresses.size());
    List<ControllerHost> controllers = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      controllers.add(ControllerHost.of(names.get(i), controllerAddresses.get(i)));
    }
    Path libexec = clusterDir.resolve("libexec");
    return new SlurmLayout(
        controllers,
        SLURMCTLD_PORT,
        SLURMD_PORT,
        clusterDir.resolve("state").resolve("slurmctld"),
        // Not <dir>/spool: that is the power-save hooks' spool, whose importer must find only
        // spool files there (ClusterHome.spool()).
        clusterDir.resolve("slurmd").resolve("%n"),
        clusterDir.resolve("log"),
        clusterDir.resolve("run"),
        PowerPrograms.in(libexec),
        Optional.of(libexec.resolve("slipway-prolog-slurmctld")),
        "root",
        Optional.empty(),
        Optional.empty(),
        new AccountingEndpoint(controllerAddresses.get(0), SLURMDBD_PORT),
        NodeHosting.SHARED_MACHINE);
  }

  /** Controller host names, Batch Shipyard's VM names: {@code <cluster_id>-controller-vm000}, lowercased. */
  public static List<String> controllerNames(String clusterId, int count) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      names.add(String.format(Locale.ROOT, "%s-controller-vm%03d", clusterId.toLowerCase(Locale.ROOT), i));
    }
    return names;
  }

  public SlurmLayout withControllers(List<ControllerHost> newControllers) {
    return new SlurmLayout(newControllers, slurmctldPort, slurmdPort, stateSaveLocation, slurmdSpoolDir, logDir, pidDir,
        powerPrograms, prologSlurmctld, slurmUser, pluginDir, mungeSocket, accounting, hosting, slurmdLogFile);
  }

  public SlurmLayout withSlurmctldPort(int port) {
    return new SlurmLayout(controllers, port, slurmdPort, stateSaveLocation, slurmdSpoolDir, logDir, pidDir,
        powerPrograms, prologSlurmctld, slurmUser, pluginDir, mungeSocket, accounting, hosting, slurmdLogFile);
  }

  public SlurmLayout withMungeSocket(Path socket) {
    return new SlurmLayout(controllers, slurmctldPort, slurmdPort, stateSaveLocation, slurmdSpoolDir, logDir, pidDir,
        powerPrograms, prologSlurmctld, slurmUser, pluginDir, Optional.of(socket), accounting, hosting, slurmdLogFile);
  }

  public SlurmLayout withSlurmdPort(int port) {
    return new SlurmLayout(controllers, slurmctldPort, port, stateSaveLocation, slurmdSpoolDir, logDir, pidDir,
        powerPrograms, prologSlurmctld, slurmUser, pluginDir, mungeSocket, accounting, hosting, slurmdLogFile);
  }

  public SlurmLayout withAccounting(AccountingEndpoint endpoint) {
    return new SlurmLayout(controllers, slurmctldPort, slurmdPort, stateSaveLocation, slurmdSpoolDir, logDir, pidDir,
        powerPrograms, prologSlurmctld, slurmUser, pluginDir, mungeSocket, endpoint, hosting, slurmdLogFile);
  }

  public SlurmLayout withPluginDir(Path dir) {
    return new SlurmLayout(controllers, slurmctldPort, slurmdPort, stateSaveLocation, slurmdSpoolDir, logDir, pidDir,
        powerPrograms, prologSlurmctld, slurmUser, Optional.of(dir), mungeSocket, accounting, hosting, slurmdLogFile);
  }

  /** The same layout with slurmd logging to {@code file} ({@code %n}: the node's name). */
  public SlurmLayout withSlurmdLogFile(Path file) {
    return new SlurmLayout(controllers, slurmctldPort, slurmdPort, stateSaveLocation, slurmdSpoolDir, logDir, pidDir,
        powerPrograms, prologSlurmctld, slurmUser, pluginDir, mungeSocket, accounting, hosting, file);
  }
}
