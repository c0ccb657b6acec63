package dev.slipway.local.provision;

import dev.slipway.config.ClusterConfig;
import dev.slipway.local.netns.AddressBook;
import dev.slipway.local.netns.AddressRole;
import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.Pause;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.SlurmLayout;
import dev.slipway.spi.EngineEvent;
import dev.slipway.spi.EventSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Everything a provisioning step works with; one per operation. */
public final class ProvisionContext {
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  final ClusterConfig config;
  final ClusterPaths paths;
  final CommandRunner runner;
  final InstantSource clock;
  final Pause pause;
  final LocalNetwork network;
  final AddressBook addresses;
  final Ledger ledger;
  final EventSink events;
  final Procfs procfs;

  ProvisionContext(ClusterConfig config, ClusterPaths paths, CommandRunner runner, InstantSource clock, Pause pause,
      LocalNetwork network, Ledger ledger, EventSink events, Procfs procfs) {
    this.config = config;
    this.paths = paths;
    this.runner = runner;
    this.clock = clock;
    this.pause = pause;
    this.network = network;
    this.addresses = new AddressBook(paths.addressBook(), network.subnet());
    this.ledger = ledger;
    this.events = events;
    this.procfs = procfs;
  }

  String clusterId() {
    return config.slurm().clusterId();
  }

  List<InfraNode> controllers() {
    List<InfraNode> nodes = new ArrayList<>();
    List<String> names = SlurmLayout.controllerNames(clusterId(), config.slurm().controller().vmCount());
    for (int i = 0; i < names.size(); i++) {
      nodes.add(new InfraNode(names.get(i), InfraNode.Role.CONTROLLER, i));
    }
    return nodes;
  }

  /** Login nodes, named like the controllers: {@code <cluster_id>-login-vm000..}. */
  List<InfraNode> logins() {
    List<InfraNode> nodes = new ArrayList<>();
    for (int i = 0; i < config.slurm().login().vmCount(); i++) {
      nodes.add(new InfraNode(String.format(Locale.ROOT, "%s-login-vm%03d", clusterId().toLowerCase(Locale.ROOT), i),
          InfraNode.Role.LOGIN, i));
    }
    return nodes;
  }

  List<InfraNode> infraNodes() {
    List<InfraNode> all = new ArrayList<>(controllers());
    all.addAll(logins());
    return all;
  }

  String namespace(InfraNode node) {
    return network.namespaceName(node.name());
  }

  /** The node's address; assigned by the network step. */
  String address(InfraNode node) {
    return subnetAddress(addresses.heldBy(node.name())
        .orElseThrow(() -> new IllegalStateException(node.name() + " has no address; was the network created?")).offset());
  }

  String subnetAddress(int offset) {
    return network.subnet().address(offset);
  }

  int allocateAddress(InfraNode node) {
    return addresses.allocate(AddressRole.INFRASTRUCTURE, node.name());
  }

  void emit(String kind, String message, Map<String, String> attributes) {
    events.accept(new EngineEvent(clock.instant(), kind, message, attributes));
  }

  /** Runs a command that must succeed; the failure names the command and its stderr. */
  CommandRunner.Result run(List<String> command) {
    CommandRunner.Result r = runner.run(command, COMMAND_TIMEOUT);
    if (!r.ok()) {
      throw new ProvisionException(String.join(" ", command) + " failed with exit code " + r.exitCode()
          + (r.stderr().isBlank() ? "" : ": " + r.stderr().strip()));
    }
    return r;
  }

  CommandRunner.Result tryRun(List<String> command) {
    return runner.run(command, COMMAND_TIMEOUT);
  }

  /** The pid in {@code pidFile} when that process is alive and is {@code comm}. */
  Optional<Long> livePid(Path pidFile, String comm) {
    return readPid(pidFile).filter(pid -> procfs.comm(pid).map(c -> c.equals(comm)).orElse(false));
  }

  static Optional<Long> readPid(Path pidFile) {
    try {
      String text = Files.readString(pidFile, StandardCharsets.UTF_8).strip();
      return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read pid file " + pidFile, e);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Waits until the daemon started in the background wrote its pid file and is alive. */
  long awaitPid(Path pidFile, String comm, Duration timeout) throws InterruptedException {
    Instant deadline = clock.instant().plus(timeout);
    while (true) {
      Optional<Long> pid = livePid(pidFile, comm);
      if (pid.isPresent()) {
        return pid.get();
      }
      if (!clock.instant().isBefore(deadline)) {
        throw new ProvisionException(comm + " did not start within " + timeout.toSeconds() + " s (no live pid in " + pidFile + ")");
      }
      pause.pause(Duration.ofMillis(100));
    }
  }

  /**
   * Stops the process of {@code pidFile} by its pid: SIGTERM, up to {@code grace} for it to exit,
   * then SIGKILL, and waits until it is gone (a slurmctld still exiting unlinks the pid file of its
   * successor, report gotcha 9). Nothing happens when it does not run.
   */
  boolean stop(Path pidFile, String comm, Duration grace) throws InterruptedException {
    Optional<Long> pid = livePid(pidFile, comm);
    if (pid.isEmpty()) {
      return false;
    }
    long p = pid.get();
    tryRun(List.of("kill", "-TERM", Long.toString(p)));
    Instant deadline = clock.instant().plus(grace);
    while (procfs.alive(p) && clock.instant().isBefore(deadline)) {
      pause.pause(Duration.ofMillis(100));
    }
    if (procfs.alive(p)) {
      tryRun(List.of("kill", "-KILL", Long.toString(p)));
      Instant hard = clock.instant().plus(Duration.ofSeconds(5));
      while (procfs.alive(p) && clock.instant().isBefore(hard)) {
        pause.pause(Duration.ofMillis(50));
      }
    }
    return true;
  }

  /** {@code SLURM_CONF=... command} inside the node's network namespace (Slurm clients need no more). */
  List<String> slurmClient(InfraNode node, String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + namespace(node), "env",
        "SLURM_CONF=" + paths.slurmConf()));
    c.addAll(List.of(command));
    return c;
  }
}
