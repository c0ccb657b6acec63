package dev.slipway.local.netns;

import dev.slipway.slurm.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One cluster's private layer-2 network on this machine: a Linux bridge in the root namespace
 * holding the subnet's first host address, and one network namespace per node attached to it by a
 * veth pair. Nothing leaves it: the namespaces get an address on the subnet and no default route,
 * and this class never touches {@code ip_forward}, NAT or the host's routes, so a node can reach
 * the bridge subnet and nothing else.
 *
 * <p>Names are derived from a short hash of the cluster id, so two clusters (or two test runs)
 * never share a device and everything a cluster owns can be found and torn down by prefix: bridge
 * {@code sw-<hash>}, namespaces {@code sw-<hash>-<node id>}, host-side veths
 * {@code v<hash>-<hex host offset>}. Interface names must fit Linux's 15 characters; namespace
 * names are file names under /run/netns and may be longer.
 *
 * <p>All changes go through {@code ip} run by a {@link CommandRunner}, so the exact commands are
 * unit-tested with a recording runner. Creation undoes its own partial work on failure, deletion is
 * idempotent (what is already gone is not an error).
 */
public final class LocalNetwork {
  static final int IFNAMSIZ = 15;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration LINK_GONE_WAIT = Duration.ofSeconds(2);
  private static final String CREATE_SCRIPT =
      "printf '%s\\n' \"$2\" | ip -batch - && printf '%s\\n' \"$3\" | ip -n \"$1\" -batch -";

  private final String clusterId;
  private final String hash;
  private final Subnet subnet;
  private final CommandRunner runner;
  private final InstantSource clock;
  private final Pause pause;
  private final Optional<Path> namespaceDirectory;

  public LocalNetwork(String clusterId, Subnet subnet, CommandRunner runner, InstantSource clock, Pause pause) {
    this(clusterId, subnet, runner, clock, pause, Optional.empty());
  }

  /**
   * With {@code namespaceDirectory} (where {@code ip netns} keeps its names, /run/netns),
   * {@link #namespaces} reads that directory instead of running {@code ip netns list}, which is
   * what {@code ip} does too, minus a process (0.25 s at load 20) and a netlink query per
   * namespace on the machine. The netns provider lists namespaces on every pass of the daemon,
   * including the one that resizes a pool for a cold job.
   */
  public LocalNetwork(String clusterId, Subnet subnet, CommandRunner runner, InstantSource clock, Pause pause,
      Optional<Path> namespaceDirectory) {
    this.clusterId = clusterId;
    this.hash = shortHash(clusterId);
    this.subnet = subnet;
    this.runner = runner;
    this.clock = clock;
    this.pause = pause;
    this.namespaceDirectory = namespaceDirectory;
  }

  /** The first six hex digits of the SHA-256 of the cluster id. */
  static String shortHash(String clusterId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(clusterId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  public String clusterId() {
    return clusterId;
  }

  public Subnet subnet() {
    return subnet;
  }

  public String bridgeName() {
    return "sw-" + hash;
  }

  /** The address of the bridge: where nodes reach the daemon and controllers in the root namespace. */
  public String bridgeAddress() {
    return subnet.address(AddressRole.BRIDGE);
  }

  public String namespacePrefix() {
    return "sw-" + hash + "-";
  }

  public String namespaceName(String nodeId) {
    if (!NAME.matcher(nodeId).matches()) {
      throw new IllegalArgumentException("node id '" + nodeId + "' cannot name a namespace; allowed: letters, digits, '_', '.', '-'");
    }
    return namespacePrefix() + nodeId;
  }

  /** The host side of the node's veth pair; unique because host offsets are. */
  public String vethName(int hostOffset) {
    String name = "v" + hash + "-" + Integer.toHexString(hostOffset);
    if (name.length() > IFNAMSIZ) {
      throw new IllegalStateException("veth name " + name + " is longer than " + IFNAMSIZ + " characters");
    }
    return name;
  }

  /** Creates the bridge with its address if it is missing; safe to call at every start. */
  public void ensureBridge() {
    String br = bridgeName();
    if (!run(List.of("ip", "link", "show", "dev", br), true).ok()) {
      run(List.of("ip", "link", "add", "name", br, "type", "bridge"), false);
    }
    run(List.of("ip", "addr", "replace", subnet.cidrOf(AddressRole.BRIDGE), "dev", br), false);
    run(List.of("ip", "link", "set", "dev", br, "up"), false);
  }

  /**
   * Creates namespace {@code namespace} with {@code eth0} at host offset {@code hostOffset},
   * attached to the bridge, and loopback up. No route but the subnet's own. On failure removes what
   * it made and throws.
   *
   * <p>One process: {@code sh} feeds two {@code ip -batch} runs, the first in the bridge's namespace
   * (namespace, veth pair, bridge port), the second inside the new namespace ({@code ip -n}; batch
   * lines cannot take global options): address, eth0 and lo up. Six separate {@code ip} processes,
   * each spawned by the JVM under {@code nsenter}, cost about 0.3 s more per node under load, all of
   * it in a cold job's wait (docs/performance.md, "Elastic overhead"). {@code ip -batch} stops at the
   * first failing line and exits non-zero with the kernel's message on stderr.
   */
  public void createNamespace(String namespace, int hostOffset) {
    try {
      CommandRunner.Result r = run(createCommand(namespace, hostOffset), true);
      if (!r.ok()) {
        // The command line holds the whole batch; name what was being made instead.
        throw new NetworkException("creating namespace " + namespace + " (veth " + vethName(hostOffset) + ", eth0 "
            + subnet.cidrOf(hostOffset) + ") with ip -batch exited " + r.exitCode()
            + (r.stderr().isBlank() ? "" : ": " + r.stderr().strip().replace('\n', ' ')));
      }
    } catch (RuntimeException e) {
      try {
        deleteNamespace(namespace, hostOffset);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      } catch (InterruptedException cleanup) {
        Thread.currentThread().interrupt();
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /** The one command of {@link #createNamespace}; names were checked, so none needs quoting in a batch line. */
  List<String> createCommand(String namespace, int hostOffset) {
    String veth = vethName(hostOffset);
    String outside = String.join("\n",
        "netns add " + namespace,
        "link add name " + veth + " type veth peer name eth0 netns " + namespace,
        "link set dev " + veth + " master " + bridgeName() + " up");
    String inside = String.join("\n",
        "addr add " + subnet.cidrOf(hostOffset) + " dev eth0",
        "link set dev eth0 up",
        "link set dev lo up");
    return List.of("sh", "-c", CREATE_SCRIPT, "slipway-netns", namespace, outside, inside);
  }

  /**
   * Deletes the namespace and its veth; what does not exist is skipped. Processes still inside keep
   * a deleted namespace alive, so stop them first ({@link #stopProcesses}).
   */
  public void deleteNamespace(String namespace, int hostOffset) throws InterruptedException {
    if (namespaces().contains(namespace)) {
      run(List.of("ip", "netns", "delete", namespace), false);
    }
    deleteLink(vethName(hostOffset));
  }

  /**
   * Deleting a namespace destroys its eth0 and with it the host side of the pair, but the kernel
   * does that a moment later (the namespace is freed asynchronously): wait for it briefly, then
   * delete what is left (a half-made pair). A link that vanishes between the two is fine.
   */
  private void deleteLink(String link) throws InterruptedException {
    Instant deadline = clock.instant().plus(LINK_GONE_WAIT);
    while (exists(link) && clock.instant().isBefore(deadline)) {
      pause.pause(POLL);
    }
    if (exists(link)) {
      CommandRunner.Result r = run(List.of("ip", "link", "delete", "dev", link), true);
      if (!r.ok() && exists(link)) {
        throw new NetworkException(List.of("ip", "link", "delete", "dev", link), r.exitCode(), r.stderr());
      }
    }
  }

  private boolean exists(String link) {
    return run(List.of("ip", "link", "show", "dev", link), true).ok();
  }

  /** Names of this cluster's namespaces that exist now. */
  public Set<String> namespaces() {
    if (namespaceDirectory.isPresent()) {
      return namespacesIn(namespaceDirectory.get());
    }
    CommandRunner.Result r = run(List.of("ip", "netns", "list"), false);
    Set<String> names = new java.util.TreeSet<>();
    for (String line : r.stdout().split("\n")) {
      String name = line.strip().split("\\s+")[0];
      if (name.startsWith(namespacePrefix())) {
        names.add(name);
      }
    }
    return names;
  }

  private Set<String> namespacesIn(Path dir) {
    Set<String> names = new java.util.TreeSet<>();
    try (Stream<Path> entries = Files.list(dir)) {
      entries.map(e -> e.getFileName().toString()).filter(n -> n.startsWith(namespacePrefix())).forEach(names::add);
    } catch (NoSuchFileException e) {
      // No namespace was ever made on this machine since boot: ip netns list prints nothing then.
    } catch (IOException e) {
      throw new NetworkException("cannot list the network namespaces in " + dir + ": " + e.getMessage());
    }
    return names;
  }

  /** PIDs of every process in the namespace (empty when it does not exist). */
  public List<Long> pids(String namespace) {
    CommandRunner.Result r = run(List.of("ip", "netns", "pids", namespace), true);
    List<Long> pids = new ArrayList<>();
    if (!r.ok()) {
      return pids;
    }
    for (String word : r.stdout().split("\\s+")) {
      if (!word.isBlank()) {
        pids.add(Long.parseLong(word.strip()));
      }
    }
    return pids;
  }

  /**
   * Stops every process in the namespace by PID: SIGTERM, then up to {@code grace} for them to
   * exit, then SIGKILL for those left. Returns the PIDs that got SIGKILL. Processes that exit on
   * their own meanwhile are not an error.
   */
  public List<Long> stopProcesses(String namespace, Duration grace) throws InterruptedException {
    List<Long> pids = pids(namespace);
    if (pids.isEmpty()) {
      return pids;
    }
    kill("TERM", pids);
    Instant deadline = clock.instant().plus(grace);
    List<Long> left = pids(namespace);
    while (!left.isEmpty() && clock.instant().isBefore(deadline)) {
      pause.pause(POLL);
      left = pids(namespace);
    }
    if (!left.isEmpty()) {
      kill("KILL", left);
    }
    return left;
  }

  /**
   * Kills every process in the namespace with SIGKILL at once, as when the machine vanishes (a
   * preempted VM): no process gets to report anything, e.g. slurmd cannot tell slurmctld that its
   * jobs ended, so Slurm treats them as lost on a failed node (and requeues the requeueable ones)
   * instead of as jobs that failed. Processes started meanwhile get the same; returns the PIDs killed.
   */
  public List<Long> killProcesses(String namespace) throws InterruptedException {
    List<Long> killed = new ArrayList<>();
    Instant deadline = clock.instant().plus(Duration.ofSeconds(5));
    List<Long> pids = pids(namespace);
    while (!pids.isEmpty()) {
      kill("KILL", pids);
      killed.addAll(pids);
      if (!clock.instant().isBefore(deadline)) {
        break;
      }
      pause.pause(POLL);
      pids = pids(namespace);
    }
    return killed;
  }

  private void kill(String signal, List<Long> pids) {
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    pids.forEach(p -> command.add(Long.toString(p)));
    // A process that exits between listing and signalling makes kill fail for that PID only.
    run(command, true);
  }

  /**
   * Removes everything of this cluster's network: stops the processes of each namespace, deletes
   * the namespaces, stray veths and the bridge. Idempotent; leaves no namespace, veth or bridge
   * with this cluster's names.
   */
  public void teardown(Duration grace) throws InterruptedException {
    for (String ns : namespaces()) {
      stopProcesses(ns, grace);
      run(List.of("ip", "netns", "delete", ns), false);
    }
    for (String link : links()) {
      if (link.startsWith("v" + hash + "-")) {
        deleteLink(link);
      }
    }
    if (exists(bridgeName())) {
      run(List.of("ip", "link", "delete", "dev", bridgeName()), false);
    }
  }

  /** Names of the root namespace's links (without the {@code @peer} suffix). */
  List<String> links() {
    CommandRunner.Result r = run(List.of("ip", "-o", "link", "show"), false);
    List<String> names = new ArrayList<>();
    for (String line : r.stdout().split("\n")) {
      String[] fields = line.split(":\\s+", 3);
      if (fields.length >= 2) {
        String name = fields[1].strip();
        int at = name.indexOf('@');
        names.add(at < 0 ? name : name.substring(0, at));
      }
    }
    return names;
  }

  private CommandRunner.Result run(List<String> command, boolean mayFail) {
    CommandRunner.Result r = runner.run(command, TIMEOUT);
    if (!r.ok() && !mayFail) {
      throw new NetworkException(command, r.exitCode(), r.stderr());
    }
    return r;
  }
}
