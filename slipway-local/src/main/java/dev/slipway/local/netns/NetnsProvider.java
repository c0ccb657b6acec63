package dev.slipway.local.netns;

import dev.slipway.model.ErrorClass;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.spi.FaultInjection;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The {@code netns} provider: a pool's nodes are network namespaces on the cluster's bridge (see
 * {@link LocalNetwork}), each "booted" by running the pool's start task inside it as a node (see
 * {@link NodeLauncher}), and removed by stopping its processes by PID and deleting the namespace.
 *
 * <p>Files, under the cluster directory: {@code network/addresses} (the {@link AddressBook}),
 * {@code nodes/<node id>/} per node (node.properties, logs/, spool/, pids, start-task.exit),
 * {@code nodes/removed/<node id>/} what is kept of removed nodes (their logs and metadata, for
 * {@code slipway nodes why}; the newest {@link #KEEP_REMOVED} are kept), and
 * {@code nodes/next-id}, the counter that keeps node ids unique within the cluster for good.
 *
 * <p>On start the provider re-reads what exists: node directories of its pools whose namespaces
 * are in {@code ip netns list}. Nodes interrupted while being created or removed are removed;
 * namespaces of this cluster without a node directory are deleted, except those whose owner holds an
 * infrastructure address (a local cluster's controllers and login nodes). The pools' targets start as
 * the number of nodes found. {@link #close()} keeps the nodes (a daemon restart must not kill the
 * cluster); {@link #destroy()} removes every node and the network.
 *
 * <p>Implements {@link FaultInjection}: allocation limits (capacity, quota) and preemption of
 * low-priority nodes (their processes are killed, the node stays listed as PREEMPTED), plus the
 * per-pool start task failure rate and boot delay of {@link NetnsPoolSpec}.
 */
public final class NetnsProvider implements NodeProvider, FaultInjection {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(NetnsProvider.class);

  /** How many removed nodes' logs are kept. */
  public static final int KEEP_REMOVED = 500;

  private final Path clusterDir;
  private final LocalNetwork network;
  private final AddressBook addresses;
  private final NodeLauncher launcher;
  private final InstantSource clock;
  private final Random random;
  private final StartTaskSpec startTask;
  private final Duration removalGrace;
  private final ScheduledExecutorService executor;
  private final Map<String, NetnsPool> pools = new LinkedHashMap<>();

  private NetnsProvider(Builder b) {
    this.clusterDir = b.clusterDir;
    this.clock = b.clock;
    this.random = b.random;
    this.startTask = b.startTask;
    this.removalGrace = b.removalGrace;
    this.network = new LocalNetwork(b.clusterId, b.subnet, b.runner, b.clock, b.pause, b.namespaceDirectory);
    this.addresses = new AddressBook(clusterDir.resolve("network").resolve("addresses"), b.subnet);
    this.launcher = b.launcher.orElseGet(() -> new NodeLauncher(HostClock.proc(b.clock), b.pause, NodeLauncher.PROCESS_BUILDER));
    AtomicInteger threads = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, "netns-" + b.clusterId + "-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.executor = Executors.newScheduledThreadPool(2, factory);
    b.pools.forEach(spec -> pools.put(spec.id(), new NetnsPool(this, spec)));
  }

  public static Builder builder(String clusterId, Path clusterDir, Subnet subnet) {
    return new Builder(clusterId, clusterDir, subnet);
  }

  /** Settings of a provider; {@link #build()} creates the bridge and adopts existing nodes. */
  public static final class Builder {
    private final String clusterId;
    private final Path clusterDir;
    private final Subnet subnet;
    private CommandRunner runner;
    private InstantSource clock = InstantSource.system();
    private Pause pause = Pause.REAL;
    private Random random = new Random();
    private Optional<NodeLauncher> launcher = Optional.empty();
    private StartTaskSpec startTask;
    private Duration removalGrace = Duration.ofSeconds(5);
    private Optional<Path> namespaceDirectory = Optional.of(Path.of("/run/netns"));
    private Optional<FaultRequests> faultRequests = Optional.empty();
    private final List<NetnsPoolSpec> pools = new ArrayList<>();

    private Builder(String clusterId, Path clusterDir, Subnet subnet) {
      this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
      this.clusterDir = Objects.requireNonNull(clusterDir, "clusterDir");
      this.subnet = Objects.requireNonNull(subnet, "subnet");
    }

    public Builder runner(CommandRunner r) {
      this.runner = r;
      return this;
    }

    /**
     * Where {@code ip netns} keeps namespace names (default /run/netns): read directly to list
     * namespaces, once per pool per daemon pass; empty runs {@code ip netns list} through the runner.
     */
    public Builder namespaceDirectory(Optional<Path> dir) {
      this.namespaceDirectory = Objects.requireNonNull(dir, "dir");
      return this;
    }

    public Builder clock(InstantSource c) {
      this.clock = c;
      return this;
    }

    public Builder pause(Pause p) {
      this.pause = p;
      return this;
    }

    /** The generator behind the injected start task failures; seed it for repeatable runs. */
    public Builder random(Random r) {
      this.random = r;
      return this;
    }

    public Builder launcher(NodeLauncher l) {
      this.launcher = Optional.of(l);
      return this;
    }

    public Builder startTask(StartTaskSpec s) {
      this.startTask = s;
      return this;
    }

    /** How long processes get between SIGTERM and SIGKILL when a node is removed or preempted. */
    public Builder removalGrace(Duration d) {
      this.removalGrace = d;
      return this;
    }

    /**
     * Applies the {@link FaultRequests} dropped into {@code dir} about once a second, so that a
     * test can inject faults into the provider of a daemon running in another process.
     */
    public Builder faultRequests(Path dir) {
      this.faultRequests = Optional.of(new FaultRequests(dir));
      return this;
    }

    public Builder pool(NetnsPoolSpec spec) {
      if (pools.stream().anyMatch(p -> p.id().equals(spec.id()))) {
        throw new IllegalArgumentException("pool " + spec.id() + " is defined twice");
      }
      pools.add(spec);
      return this;
    }

    public NetnsProvider build() {
      Objects.requireNonNull(runner, "runner");
      Objects.requireNonNull(startTask, "startTask");
      NetnsProvider p = new NetnsProvider(this);
      try {
        p.network.ensureBridge();
        p.adoptExisting();
        faultRequests.ifPresent(p::pollFaultRequests);
      } catch (RuntimeException e) {
        p.executor.shutdownNow();
        throw e;
      }
      return p;
    }
  }

  @Override
  public String name() {
    return "netns";
  }

  @Override
  public List<NodePool> pools() {
    return List.copyOf(pools.values());
  }

  public LocalNetwork network() {
    return network;
  }

  public AddressBook addresses() {
    return addresses;
  }

  Path nodeDir(String nodeId) {
    return clusterDir.resolve("nodes").resolve(nodeId);
  }

  Path removedDir() {
    return clusterDir.resolve("nodes").resolve("removed");
  }

  NodeLauncher launcher() {
    return launcher;
  }

  InstantSource clock() {
    return clock;
  }

  synchronized Random random() {
    return random;
  }

  StartTaskSpec startTask() {
    return startTask;
  }

  Duration removalGrace() {
    return removalGrace;
  }

  ScheduledExecutorService executor() {
    return executor;
  }

  /** A node id never used before in this cluster: {@code <pool>-<n>}, n from a persisted counter. */
  synchronized String nextNodeId(String poolId) {
    Path counter = clusterDir.resolve("nodes").resolve("next-id");
    try {
      Files.createDirectories(counter.getParent());
      long next = Files.exists(counter) ? Long.parseLong(Files.readString(counter).strip()) : 1;
      Path tmp = counter.resolveSibling("next-id.tmp");
      Files.writeString(tmp, Long.toString(next + 1), StandardCharsets.UTF_8);
      Files.move(tmp, counter, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return poolId + "-" + next;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot update the node id counter " + counter, e);
    }
  }

  /**
   * Moves a removed node's directory to {@code nodes/removed/} without its spool (logs and
   * metadata stay readable for {@code slipway nodes why}), and prunes the oldest beyond
   * {@link #KEEP_REMOVED}.
   */
  void archive(NetnsNode node) {
    try {
      if (!Files.exists(node.dir)) {
        return;
      }
      deleteTree(node.dir.resolve("spool"));
      Path target = removedDir().resolve(node.id);
      Files.createDirectories(removedDir());
      deleteTree(target);
      Files.move(node.dir, target, StandardCopyOption.ATOMIC_MOVE);
      List<Path> removed;
      try (Stream<Path> s = Files.list(removedDir())) {
        removed = s.sorted(Comparator.comparing(NetnsProvider::modified).reversed()).toList();
      }
      for (Path old : removed.subList(Math.min(KEEP_REMOVED, removed.size()), removed.size())) {
        deleteTree(old);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot archive the files of node " + node.id, e);
    }
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private void adoptExisting() {
    Set<String> namespaces = network.namespaces();
    Set<String> known = new java.util.HashSet<>();
    Path nodesDir = clusterDir.resolve("nodes");
    if (Files.isDirectory(nodesDir)) {
      List<Path> dirs;
      try (Stream<Path> s = Files.list(nodesDir)) {
        dirs = s.filter(d -> Files.isRegularFile(d.resolve("node.properties"))).sorted().toList();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + nodesDir, e);
      }
      for (Path d : dirs) {
        NetnsNode node = NetnsNode.load(d);
        NetnsPool pool = pools.get(node.poolId);
        if (pool == null) {
          continue; // a pool no longer configured: its nodes are handled as orphans below
        }
        known.add(network.namespaceName(node.id));
        pool.adopt(node, namespaces);
      }
    }
    for (String ns : namespaces) {
      String owner = ns.substring(network.namespacePrefix().length());
      // Controllers and login nodes of a local cluster share the prefix; they are the provisioner's.
      boolean infrastructure = addresses.heldBy(owner).map(e -> e.role() == AddressRole.INFRASTRUCTURE).orElse(false);
      if (!known.contains(ns) && !infrastructure) {
        try {
          network.stopProcesses(ns, removalGrace);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        String nodeId = ns.substring(network.namespacePrefix().length());
        int offset = addresses.heldBy(nodeId).map(AddressBook.Entry::offset).orElse(AddressRole.COMPUTE.first());
        try {
          network.deleteNamespace(ns, offset);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        addresses.release(nodeId);
      }
    }
  }

  private void pollFaultRequests(FaultRequests requests) {
    executor.scheduleWithFixedDelay(() -> {
      try {
        requests.applyPending(this).forEach(r -> log.warn("fault request applied: {}", r));
      } catch (RuntimeException e) {
        // A broken request must not end the polling (a scheduled task that throws is never run again).
        log.warn("cannot apply fault requests in {}: {}", requests.dir(), e.toString());
      }
    }, 1, 1, TimeUnit.SECONDS);
  }

  private NetnsPool requirePool(String poolId) {
    NetnsPool pool = pools.get(poolId);
    if (pool == null) {
      throw new IllegalArgumentException("no netns pool '" + poolId + "'; known: " + pools.keySet());
    }
    return pool;
  }

  @Override
  public void limitAllocation(String poolId, ErrorClass errorClass, int allocatable) {
    requirePool(poolId).limitAllocation(errorClass, allocatable);
  }

  @Override
  public void clearAllocationLimit(String poolId) {
    requirePool(poolId).clearAllocationLimit();
  }

  @Override
  public List<String> preempt(String poolId, int count) {
    return requirePool(poolId).preempt(count);
  }

  /** Stops the provider's threads; nodes keep running (a restarted provider adopts them). */
  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Removes every node (processes stopped by PID, namespaces deleted, logs archived), then the
   * cluster's veths and bridge. Idempotent; afterwards nothing of the cluster's network is left.
   */
  public void destroy() throws InterruptedException {
    close();
    for (NetnsPool pool : pools.values()) {
      for (NetnsNode node : pool.allNodes()) {
        pool.removeNow(node);
      }
    }
    network.teardown(removalGrace);
  }
}
