package dev.slipway.local.provision;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.NodeBaseState;
import dev.slipway.slurm.SlurmNodeState;
import dev.slipway.slurm.SlurmStatusText;
import dev.slipway.spi.ClusterStatus;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.Provisioner;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The {@code local} provisioner: a cluster's controllers and login nodes as namespaces on this
 * machine (see docs/local-backend.md, "Cluster lifecycle"). Everything it makes is recorded in a
 * {@link Ledger} under the cluster directory first, so {@link #destroy} removes exactly that, and a
 * failed {@link #create} removes its partial work before it reports the failure.
 */
public final class LocalProvisioner implements Provisioner {
  /** What a phase file says. */
  public static final String ABSENT = "absent";
  public static final String CREATING = "creating";
  public static final String RUNNING = "running";
  public static final String SUSPENDED = "suspended";

  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final ClusterConfig config;
  private final ClusterPaths paths;
  private final CommandRunner runner;
  private final InstantSource clock;
  private final Pause pause;
  private final Procfs procfs;
  private final SecureRandom random;
  private final Duration answerTimeout;
  private final LocalNetwork network;
  private final ControlPlane controlPlane;

  public LocalProvisioner(ClusterConfig config, Path clusterDir, CommandRunner runner, InstantSource clock, Pause pause,
      Procfs procfs, SecureRandom random, Duration answerTimeout) {
    this(config, clusterDir, runner, clock, pause, procfs, random, answerTimeout, ControlPlane.NONE);
  }

  public LocalProvisioner(ClusterConfig config, Path clusterDir, CommandRunner runner, InstantSource clock, Pause pause,
      Procfs procfs, SecureRandom random, Duration answerTimeout, ControlPlane controlPlane) {
    this.controlPlane = controlPlane;
    this.config = config;
    this.paths = new ClusterPaths(clusterDir);
    this.runner = runner;
    this.clock = clock;
    this.pause = pause;
    this.procfs = procfs;
    this.random = random;
    this.answerTimeout = answerTimeout;
    this.network = new LocalNetwork(config.slurm().clusterId(), Subnet.parse(config.slipway().local().subnet()), runner, clock, pause);
  }

  /** The real thing: processes, /proc, the wall clock. */
  public static LocalProvisioner onThisMachine(ClusterConfig config, Path clusterDir, CommandRunner runner) {
    return onThisMachine(config, clusterDir, runner, ControlPlane.NONE);
  }

  /** The real thing with Slipway's hooks and daemon, so the cluster's elastic pools grow and shrink. */
  public static LocalProvisioner onThisMachine(ClusterConfig config, Path clusterDir, CommandRunner runner, ControlPlane controlPlane) {
    return new LocalProvisioner(config, clusterDir, runner, InstantSource.system(), Pause.REAL, Procfs.REAL, new SecureRandom(),
        Duration.ofSeconds(60), controlPlane);
  }

  public ClusterPaths paths() {
    return paths;
  }

  public String bridgeName() {
    return network.bridgeName();
  }

  /** Base URLs of the cluster's daemons, one per controller, primary's first (metrics, health). */
  public List<String> daemonUrls() {
    return StartSlipwayDaemon.baseUrls(context(EventSink.NONE));
  }

  /** The network namespace of a controller or login node (for nsenter). */
  public String namespaceOf(String infraNodeName) {
    return network.namespaceName(infraNodeName);
  }

  /**
   * A process running on compute host {@code host} (a slurmd whose UTS host name is it), found
   * among this cluster's node namespaces; what {@code slipway cluster ssh node} enters.
   */
  public Optional<Long> processOnHost(String host) {
    for (String ns : network.namespaces()) {
      for (long pid : network.pids(ns)) {
        CommandRunner.Result r = runner.run(List.of("nsenter", "-t", Long.toString(pid), "-u", "hostname"), Duration.ofSeconds(10));
        if (r.ok() && r.stdout().strip().equals(host)) {
          return Optional.of(pid);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The address of compute host {@code host} on the cluster's bridge (its namespace's {@code eth0}),
   * where its sshd listens; what {@code slipway cluster ssh node} connects to.
   */
  public Optional<String> addressOfHost(String host) {
    Optional<Long> pid = processOnHost(host);
    if (pid.isEmpty()) {
      return Optional.empty();
    }
    CommandRunner.Result r = runner.run(List.of("nsenter", "-t", Long.toString(pid.get()), "-n", "ip", "-4", "-o", "addr", "show",
        "dev", "eth0"), Duration.ofSeconds(10));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\binet (\\d+\\.\\d+\\.\\d+\\.\\d+)/").matcher(r.stdout());
    return r.ok() && m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** Log files of a controller or login node by name, of a compute host's slurmd, or (empty) of the cluster's controllers and services. */
  public List<Path> logFiles(Optional<String> host) {
    ProvisionContext c = context(EventSink.NONE);
    List<Path> files = new ArrayList<>();
    List<InfraNode> infra = host.isEmpty() ? c.controllers()
        : c.infraNodes().stream().filter(n -> n.name().equals(host.get())).toList();
    for (InfraNode n : infra) {
      files.add(paths.infraLog(n.name()).resolve(n.role() == InfraNode.Role.CONTROLLER ? "slurmctld.log" : "sshd.log"));
    }
    if (host.isEmpty()) {
      files.add(paths.logs().resolve("munged.log"));
    } else if (infra.isEmpty()) {
      files.add(paths.slurmLog().resolve("slurmd-" + host.get() + ".log"));
    }
    return files.stream().filter(Files::exists).toList();
  }

  /** The private key {@code slipway cluster ssh} logs in with, and the known_hosts file it trusts. */
  public Path userPrivateKey() {
    return config.slurm().login().ssh().sshPrivateKey().orElse(paths.userPrivateKey());
  }

  private ProvisionContext context(EventSink events) {
    return new ProvisionContext(config, paths, runner, clock, pause, network, new Ledger(paths.ledger()), events, procfs);
  }

  /** The steps of {@code create}, in order. */
  List<ProvisionStep> createSteps() {
    List<ProvisionStep> steps = new ArrayList<>(List.of(new PrepareDirectories(), new GenerateMungeKey(random), new GenerateDaemonKey(random),
        new CreateNetwork(),
        new RenderSlurmConfig(), new PrepareLogin(), new PrepareComputeNodes()));
    if (controlPlane.present()) {
      steps.add(new InstallHooks(controlPlane));
    }
    steps.addAll(startSteps());
    return steps;
  }

  /** The steps of {@code start}: the processes, on what create made. */
  List<ProvisionStep> startSteps() {
    List<ProvisionStep> steps = new ArrayList<>(List.of(new StartMunge(), new StartAccounting(random), new StartControllers(),
        new StartLoginNodes(), new WaitForControllers(answerTimeout)));
    if (controlPlane.present()) {
      steps.add(new StartSlipwayDaemon(controlPlane));
    }
    return steps;
  }

  public String phase() {
    try {
      return Files.readString(paths.phase(), StandardCharsets.UTF_8).strip();
    } catch (NoSuchFileException e) {
      return Files.exists(paths.ledger()) ? CREATING : ABSENT;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void setPhase(String phase) {
    try {
      Files.createDirectories(paths.provision());
      Files.writeString(paths.phase(), phase + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + paths.phase(), e);
    }
  }

  @Override
  public void create(EventSink events) throws InterruptedException {
    String phase = phase();
    if (phase.equals(RUNNING) || phase.equals(SUSPENDED)) {
      throw new ProvisionException("cluster " + config.slurm().clusterId() + " already exists (" + phase + ") in " + paths.dir()
          + "; use 'slipway cluster start' or destroy it first");
    }
    ProvisionContext c = context(events);
    if (!c.ledger.entries().isEmpty()) {
      c.emit("provision.cleanup", "removing what an earlier, unfinished create left behind", Map.of());
      removeEverything(c);
    }
    if (!Files.isDirectory(paths.dir())) {
      // Recorded before anything is written there, so destroy removes the whole directory.
      c.ledger.record(Ledger.Entry.of("dir", paths.dir().toString()));
    }
    setPhase(CREATING);
    try {
      runSteps(c, createSteps());
    } catch (RuntimeException | InterruptedException e) {
      c.emit("provision.failed", "create failed: " + e.getMessage() + "; removing what was made", Map.of());
      try {
        removeEverything(c);
      } catch (RuntimeException | InterruptedException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    setPhase(RUNNING);
    c.emit("provision.done", "cluster " + config.slurm().clusterId() + " is up", Map.of());
  }

  @Override
  public void start(EventSink events) throws InterruptedException {
    String phase = phase();
    if (!phase.equals(SUSPENDED) && !phase.equals(RUNNING)) {
      throw new ProvisionException("cluster " + config.slurm().clusterId() + " cannot start: it is " + phase + " (create it first)");
    }
    ProvisionContext c = context(events);
    runSteps(c, startSteps());
    setPhase(RUNNING);
    c.emit("provision.done", "cluster " + config.slurm().clusterId() + " is up", Map.of());
  }

  @Override
  public void suspend(EventSink events) throws InterruptedException {
    String phase = phase();
    if (!phase.equals(RUNNING) && !phase.equals(SUSPENDED)) {
      throw new ProvisionException("cluster " + config.slurm().clusterId() + " cannot be suspended: it is " + phase);
    }
    ProvisionContext c = context(events);
    stopProcesses(c);
    setPhase(SUSPENDED);
    c.emit("provision.done", "cluster " + config.slurm().clusterId() + " is suspended; its state is kept", Map.of());
  }

  @Override
  public void destroy(EventSink events) throws InterruptedException {
    ProvisionContext c = context(events);
    removeEverything(c);
    c.emit("provision.done", "cluster " + config.slurm().clusterId() + " is destroyed", Map.of());
  }

  private static void runSteps(ProvisionContext c, List<ProvisionStep> steps) throws InterruptedException {
    for (int i = 0; i < steps.size(); i++) {
      ProvisionStep step = steps.get(i);
      Map<String, String> attrs = Map.of("step", Integer.toString(i + 1), "steps", Integer.toString(steps.size()));
      c.emit("provision.step", step.description(c), attrs);
      step.run(c);
    }
  }

  /** Stops the recorded processes, newest first (sshd, backup controller, primary, slurmdbd and MariaDB, munged). */
  private void stopProcesses(ProvisionContext c) throws InterruptedException {
    List<Ledger.Entry> entries = new ArrayList<>(c.ledger.entries());
    Collections.reverse(entries);
    for (Ledger.Entry e : entries) {
      if (e.kind().equals("accounting")) {
        c.emit("provision.stop", "stopping slurmdbd and MariaDB", Map.of());
        StartAccounting.accounting(c, random).stop();
      }
      if (e.kind().equals("process")) {
        if (c.stop(Path.of(e.args().get(1)), e.args().get(0), STOP_GRACE)) {
          c.emit("provision.stop", "stopped " + e.args().get(0) + " (" + e.args().get(1) + ")", Map.of());
        }
      }
    }
  }

  /**
   * Undoes the ledger newest first, dropping each entry once its thing is gone; compute nodes the
   * netns provider made (its node directories) go before the bridge.
   */
  private void removeEverything(ProvisionContext c) throws InterruptedException {
    stopProcesses(c);
    List<Ledger.Entry> entries = new ArrayList<>(c.ledger.entries());
    Collections.reverse(entries);
    removeComputeNodes(c);
    Optional<Ledger.Entry> clusterDir = Optional.empty();
    for (Ledger.Entry e : entries) {
      switch (e.kind()) {
        case "process", "accounting" -> c.ledger.forget(e);
        case "namespace" -> {
          String ns = e.args().get(0);
          c.network.stopProcesses(ns, STOP_GRACE);
          c.network.deleteNamespace(ns, Integer.parseInt(e.args().get(1)));
          c.addresses.release(e.args().get(2));
          c.ledger.forget(e);
        }
        case "bridge" -> {
          String bridge = e.args().get(0);
          if (c.tryRun(List.of("ip", "link", "show", "dev", bridge)).ok()) {
            c.run(List.of("ip", "link", "delete", "dev", bridge));
          }
          c.ledger.forget(e);
        }
        case "mountpoint" -> {
          Path dir = Path.of(e.args().get(0));
          try {
            Files.deleteIfExists(dir);
          } catch (DirectoryNotEmptyException notEmpty) {
            c.emit("provision.kept", dir + " was created for the cluster but is not empty; left in place", Map.of());
          } catch (IOException io) {
            throw new UncheckedIOException("cannot remove " + dir, io);
          }
          c.ledger.forget(e);
        }
        case "user" -> {
          if (c.tryRun(List.of("id", "-u", e.args().get(0))).ok()) {
            c.run(List.of("userdel", e.args().get(0)));
          }
          c.ledger.forget(e);
        }
        case "dir" -> clusterDir = Optional.of(e);
        default -> throw new ProvisionException("unknown entry '" + e.kind() + "' in " + c.ledger.file());
      }
    }
    if (clusterDir.isPresent()) {
      deleteTree(Path.of(clusterDir.get().args().get(0)));
    } else {
      deleteTree(paths.provision());
    }
  }

  /** Stops and deletes every compute node namespace the netns provider recorded under {@code nodes/}. */
  private void removeComputeNodes(ProvisionContext c) throws InterruptedException {
    if (!Files.isDirectory(paths.computeNodes())) {
      return;
    }
    List<Path> nodeFiles;
    try (Stream<Path> dirs = Files.list(paths.computeNodes())) {
      nodeFiles = dirs.map(d -> d.resolve("node.properties")).filter(Files::isRegularFile).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Path file : nodeFiles) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      String id = p.getProperty("id");
      String ns = c.network.namespaceName(id);
      c.network.stopProcesses(ns, STOP_GRACE);
      c.network.deleteNamespace(ns, Integer.parseInt(p.getProperty("host_offset")));
      c.addresses.release(id);
      c.emit("provision.node.removed", "removed compute node " + id, Map.of("node", id));
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir, e);
    }
  }

  @Override
  public ClusterStatus status() {
    ProvisionContext c = context(EventSink.NONE);
    String phase = phase();
    if (phase.equals(ABSENT)) {
      return new ClusterStatus(config.slurm().clusterId(), phase, List.of(), List.of(), List.of(), List.of(), false);
    }
    Optional<InfraNode> queryFrom = Stream.concat(c.logins().stream(), c.controllers().stream())
        .filter(n -> c.livePid(paths.infraRun(n.name()).resolve(n.daemon() + ".pid"), n.daemon()).isPresent())
        .findFirst();
    Map<String, String> pingStates = new LinkedHashMap<>();
    List<ClusterStatus.Host> hosts = new ArrayList<>();
    boolean reachable = false;
    if (queryFrom.isPresent()) {
      CommandRunner.Result ping = c.tryRun(c.slurmClient(queryFrom.get(), "scontrol", "ping"));
      pingStates.putAll(SlurmStatusText.pingStates(ping.stdout()));
      CommandRunner.Result sinfo = c.tryRun(c.slurmClient(queryFrom.get(), SlurmStatusText.SINFO_ARGS.toArray(String[]::new)));
      reachable = sinfo.ok();
      if (sinfo.ok()) {
        hosts = SlurmStatusText.hosts(sinfo.stdout(), config.slurm().options().elasticPartitions());
      }
    }
    List<ClusterStatus.Machine> controllers = new ArrayList<>();
    for (InfraNode n : c.controllers()) {
      Optional<Long> pid = c.livePid(paths.infraRun(n.name()).resolve("slurmctld.pid"), "slurmctld");
      String state = pid.isEmpty() ? "stopped" : pingStates.getOrDefault(n.name(), "running");
      controllers.add(new ClusterStatus.Machine(n.name(), addressOf(c, n), state, pid));
    }
    List<ClusterStatus.Machine> logins = new ArrayList<>();
    for (InfraNode n : c.logins()) {
      Optional<Long> pid = c.livePid(paths.infraRun(n.name()).resolve("sshd.pid"), "sshd");
      logins.add(new ClusterStatus.Machine(n.name(), addressOf(c, n), pid.isPresent() ? "running" : "stopped", pid));
    }
    return new ClusterStatus(config.slurm().clusterId(), phase, controllers, logins, SlurmStatusText.partitions(config.slurm().options().elasticPartitions(), hosts, Map.of()), hosts, reachable);
  }

  private static String addressOf(ProvisionContext c, InfraNode n) {
    return c.addresses.heldBy(n.name()).map(e -> c.subnetAddress(e.offset())).orElse("-");
  }



}
