package dev.slipway.cli.emulator;

import dev.slipway.azure.batch.BatchNodeState;
import dev.slipway.azure.batch.emulator.EmulatedNodeBackend;
import dev.slipway.local.netns.AddressBook;
import dev.slipway.local.netns.AddressRole;
import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.NodeLauncher;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An emulator backend whose Batch compute nodes are real Linux network namespaces on a local
 * cluster's bridge (slipway-local's {@link LocalNetwork}, {@link AddressBook} and
 * {@link NodeLauncher}), each running its pool's real start task, so that the azure-batch provider
 * and the join protocol run against machines that boot, join and start slurmd for real.
 *
 * <p>It lives in slipway-cli because it needs both sides: slipway-azure must not depend on
 * slipway-local (nor the other way, which would pull the Azure SDK into the local backend), and
 * slipway-cli already depends on both.
 *
 * <p>A node's life, as Batch shows it: {@code creating} while its address and namespace are made;
 * {@code starting} until the start task is launched (the launch waits for the node's fresh boot
 * clock, up to two seconds, see {@link NodeLauncher}); {@code waitingforstarttask} while the start
 * task runs; then {@code idle} on exit 0 or {@code starttaskfailed} (code {@code FailureExitCode})
 * otherwise. A pool without a start task is idle once its namespace exists. A namespace that
 * cannot be made is {@code unusable}. A released node is {@code leavingpool} while its processes
 * are stopped by PID and its namespace deleted, then gone.
 *
 * <p>The start task's command line runs with {@code sh -c} inside the namespace, as root, with
 * exactly the pool's environment settings plus the variables Batch sets
 * ({@code AZ_BATCH_NODE_ID}, {@code AZ_BATCH_POOL_ID}, {@code AZ_BATCH_NODE_ROOT_DIR},
 * {@code AZ_BATCH_NODE_STARTUP_DIR}, {@code AZ_BATCH_TASK_WORKING_DIR}, {@code AZ_BATCH_ACCOUNT_NAME}).
 * Batch itself does not use a shell on Linux; a command line written for Batch
 * ({@code /bin/sh -c '...'}) behaves the same under one.
 *
 * <p>Concurrency: the emulator calls {@link #provision}, {@link #release} and {@link #status}
 * under its own lock and expects them to return at once, so they only touch this object's map;
 * every command (ip, nsenter, kill) runs on the backend's own threads, one node's steps in order
 * under that node's monitor. A release that arrives while the node is still booting waits for the
 * current step, then removes whatever exists.
 */
public final class NetnsNodeBackend implements EmulatedNodeBackend, AutoCloseable {
  private static final class Node {
    final String poolId;
    final String id;
    final int offset;
    final Instant requestedAt;
    final Path dir;
    BatchNodeState state = BatchNodeState.CREATING;
    Instant since;
    Optional<String> failureCode = Optional.empty();
    Optional<String> failureMessage = Optional.empty();
    boolean released;

    Node(String poolId, String id, int offset, Instant requestedAt, Path dir) {
      this.poolId = poolId;
      this.id = id;
      this.offset = offset;
      this.requestedAt = requestedAt;
      this.since = requestedAt;
      this.dir = dir;
    }
  }

  private final String accountName;
  private final LocalNetwork network;
  private final AddressBook addresses;
  private final NodeLauncher launcher;
  private final Path nodesDir;
  private final InstantSource clock;
  private final Duration removalGrace;
  private final ExecutorService executor;
  /** Guarded by {@code this}; nodes leave it once their namespace is gone. */
  private final Map<String, Node> nodes = new LinkedHashMap<>();

  /**
   * @param nodesDir where each node gets {@code <node id>/} (start task log, exit code, pids); kept
   *     after removal for reading what a node did
   * @param threads how many node commands run at once (namespace creation, launch, removal)
   */
  public NetnsNodeBackend(String accountName, LocalNetwork network, AddressBook addresses, NodeLauncher launcher, Path nodesDir,
                          InstantSource clock, Duration removalGrace, int threads) {
    this.accountName = Objects.requireNonNull(accountName, "accountName");
    this.network = Objects.requireNonNull(network, "network");
    this.addresses = Objects.requireNonNull(addresses, "addresses");
    this.launcher = Objects.requireNonNull(launcher, "launcher");
    this.nodesDir = Objects.requireNonNull(nodesDir, "nodesDir");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.removalGrace = Objects.requireNonNull(removalGrace, "removalGrace");
    if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "emulator-netns-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public LocalNetwork network() {
    return network;
  }

  /** The namespace that backs an emulated node (whether or not it exists yet). */
  public String namespaceOf(String nodeId) {
    return network.namespaceName(nodeId);
  }

  @Override
  public synchronized Provisioning provision(NodeRequest request) {
    int offset;
    try {
      offset = addresses.allocate(AddressRole.COMPUTE, request.nodeId());
    } catch (IllegalStateException e) {
      // The subnet is the machine's capacity: Batch reports running out of it as a failed allocation.
      return Provisioning.refused("AllocationFailed", e.getMessage());
    }
    Node node = new Node(request.poolId(), request.nodeId(), offset, clock.instant(), nodesDir.resolve(request.nodeId()));
    nodes.put(request.nodeId(), node);
    executor.execute(() -> boot(node, request));
    return Provisioning.allocated();
  }

  @Override
  public synchronized void release(String poolId, String nodeId) {
    Node node = nodes.get(nodeId);
    if (node == null || !node.poolId.equals(poolId) || node.released) {
      return;
    }
    node.released = true;
    moveTo(node, BatchNodeState.LEAVING_POOL);
    executor.execute(() -> remove(node));
  }

  @Override
  public synchronized Optional<NodeStatus> status(String poolId, String nodeId) {
    Node n = nodes.get(nodeId);
    if (n == null || !n.poolId.equals(poolId)) {
      return Optional.empty();
    }
    Optional<String> ip = n.state == BatchNodeState.CREATING ? Optional.empty() : Optional.of(addresses.subnet().address(n.offset));
    return Optional.of(new NodeStatus(n.state, ip, n.since, n.failureCode, n.failureMessage));
  }

  /** Node ids still held (booting, up, failed or leaving), for tests and the standalone command. */
  public synchronized List<String> nodeIds() {
    return List.copyOf(nodes.keySet());
  }

  private void boot(Node node, NodeRequest request) {
    synchronized (node) {
      if (isReleased(node)) return;
      String ns = network.namespaceName(node.id);
      try {
        network.createNamespace(ns, node.offset);
      } catch (RuntimeException e) {
        fail(node, BatchNodeState.UNUSABLE, "NodeCreationFailed", "cannot create namespace " + ns + ": " + e.getMessage());
        return;
      }
      if (request.startTaskCommandLine().isEmpty()) {
        advance(node, BatchNodeState.IDLE);
        return;
      }
      advance(node, BatchNodeState.STARTING);
      Map<String, String> env = new LinkedHashMap<>(request.startTaskEnvironment());
      env.put("AZ_BATCH_ACCOUNT_NAME", accountName);
      env.put("AZ_BATCH_POOL_ID", node.poolId);
      env.put("AZ_BATCH_NODE_ID", node.id);
      env.put("AZ_BATCH_NODE_ROOT_DIR", node.dir.toString());
      env.put("AZ_BATCH_NODE_STARTUP_DIR", node.dir.resolve("startup").toString());
      env.put("AZ_BATCH_TASK_WORKING_DIR", node.dir.resolve("startup").resolve("wd").toString());
      NodeLauncher.Launch launch = new NodeLauncher.Launch(ns, hostnameOf(node.id), node.dir,
          List.of("sh", "-c", request.startTaskCommandLine().get()), env);
      try {
        java.nio.file.Files.createDirectories(node.dir.resolve("startup").resolve("wd"));
        NodeLauncher.StartedProcess p = launcher.launch(launch, node.requestedAt);
        advance(node, BatchNodeState.WAITING_FOR_START_TASK);
        p.exit().whenComplete((code, failure) -> startTaskEnded(node, failure == null ? code : -1, launch.logFile()));
      } catch (IOException | RuntimeException e) {
        fail(node, BatchNodeState.START_TASK_FAILED, "StartTaskNotLaunched", "cannot launch the start task: " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The host name a node boots with: its id with {@code _} (which Batch node ids contain and
   * {@code hostname} refuses) as {@code -}, at most 63 characters.
   */
  public static String hostnameOf(String nodeId) {
    String h = nodeId.replace('_', '-').toLowerCase(java.util.Locale.ROOT);
    return h.length() > 63 ? h.substring(0, 63) : h;
  }

  private synchronized void startTaskEnded(Node node, int exitCode, Path log) {
    if (node.released || node.state != BatchNodeState.WAITING_FOR_START_TASK) return;
    if (exitCode == 0) {
      moveTo(node, BatchNodeState.IDLE);
    } else {
      node.failureCode = Optional.of("FailureExitCode");
      node.failureMessage = Optional.of("The task exited with an exit code representing a failure (exit code "
          + exitCode + "; see " + log + ")");
      moveTo(node, BatchNodeState.START_TASK_FAILED);
    }
  }

  private void remove(Node node) {
    synchronized (node) {
      String ns = network.namespaceName(node.id);
      try {
        network.stopProcesses(ns, removalGrace);
        network.deleteNamespace(ns, node.offset);
        addresses.release(node.id);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        // Keep the node listed (leavingpool) so nothing pretends its namespace is gone.
        synchronized (this) {
          node.failureCode = Optional.of("NodeRemovalFailed");
          node.failureMessage = Optional.of("cannot remove " + ns + ": " + e.getMessage());
        }
        return;
      }
      synchronized (this) {
        nodes.remove(node.id);
      }
    }
  }

  private synchronized boolean isReleased(Node node) {
    return node.released;
  }

  /** A boot step done; ignored once the node is being released. */
  private synchronized void advance(Node node, BatchNodeState state) {
    if (!node.released) moveTo(node, state);
  }

  private synchronized void fail(Node node, BatchNodeState state, String code, String message) {
    if (node.released) return;
    node.failureCode = Optional.of(code);
    node.failureMessage = Optional.of(message);
    moveTo(node, state);
  }

  private void moveTo(Node node, BatchNodeState state) {
    node.state = state;
    node.since = clock.instant();
  }

  /**
   * Removes every node still held (processes stopped by PID, namespaces deleted, addresses
   * released) and stops the backend's threads. The bridge is left alone: it belongs to whoever
   * made the network.
   */
  @Override
  public void close() {
    List<Node> left;
    synchronized (this) {
      left = new ArrayList<>(nodes.values());
      left.forEach(n -> n.released = true);
    }
    executor.shutdownNow();
    try {
      executor.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Node n : left) {
      remove(n);
    }
  }
}
