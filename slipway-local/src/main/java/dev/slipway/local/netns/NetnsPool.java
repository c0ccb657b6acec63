package dev.slipway.local.netns;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A pool of namespace nodes with Azure Batch's semantics (see {@link NodePool}).
 *
 * <p>Concurrency: the pool's monitor guards the node map, the target and the operation in flight,
 * and is held only for bookkeeping, never across a command. Each node's I/O (create its namespace,
 * launch its start task, remove it) runs on the provider's small executor under the node's own
 * monitor, so steps on one node are serialized while different nodes progress in parallel. Lock
 * order is node, then pool.
 *
 * <p>A node's life: CREATING (address and namespace made, then the pool's boot delay) -> STARTING
 * (start task running inside the namespace) -> READY on exit 0, START_FAILED otherwise. A resize
 * runs until each node it adds has left CREATING and each node it sheds is gone; only then are its
 * allocation errors reported, as Azure Batch reports resizeErrors on a steady pool.
 */
public final class NetnsPool implements NodePool {
  private final NetnsProvider provider;
  private final NetnsPoolSpec spec;
  private final Map<String, NetnsNode> nodes = new LinkedHashMap<>();
  private PoolTarget target = PoolTarget.ZERO;
  private Optional<Operation> operation = Optional.empty();
  private List<ProviderError> resizeErrors = List.of();
  private Optional<AllocationLimit> limit = Optional.empty();

  /** A resize or removal in flight: the nodes it waits for and the errors it will report. */
  private static final class Operation {
    final Set<String> waitingFor = new LinkedHashSet<>();
    final List<ProviderError> errors = new ArrayList<>();
  }

  private record AllocationLimit(ErrorClass errorClass, int remaining) {}

  NetnsPool(NetnsProvider provider, NetnsPoolSpec spec) {
    this.provider = provider;
    this.spec = spec;
  }

  @Override
  public String id() {
    return spec.id();
  }

  @Override
  public int maxSize() {
    return spec.maxSize();
  }

  public NetnsPoolSpec spec() {
    return spec;
  }

  @Override
  public synchronized PoolStatus status() {
    boolean resizing = operation.isPresent();
    return new PoolStatus(target, resizing, resizing ? List.of() : resizeErrors);
  }

  /**
   * The pool's nodes, checked against the namespaces that really exist: a node whose namespace
   * vanished behind our back is reported UNUSABLE so that the engine replaces it.
   */
  @Override
  public List<ProviderNode> nodes() {
    Set<String> namespaces = provider.network().namespaces();
    synchronized (this) {
      List<ProviderNode> list = new ArrayList<>(nodes.size());
      for (NetnsNode n : nodes.values()) {
        boolean needsNamespace = n.state != ProviderNodeState.CREATING && n.state != ProviderNodeState.LEAVING
            && n.state != ProviderNodeState.UNUSABLE;
        if (needsNamespace && !namespaces.contains(provider.network().namespaceName(n.id))) {
          n.fail(ProviderNodeState.UNUSABLE, ErrorClass.UNUSABLE, "NamespaceMissing",
              "network namespace " + provider.network().namespaceName(n.id) + " no longer exists");
          n.save();
        }
        list.add(n.view(provider.network().subnet().address(n.hostOffset)));
      }
      return list;
    }
  }

  /**
   * The node from the pool's map alone. Unlike {@link #nodes()} this does not list the host's
   * namespaces (one {@code ip} process per call): a lookup answers a join, which comes from inside
   * the node's namespace, and the reconciler's next listing still marks a node whose namespace
   * vanished.
   */
  @Override
  public synchronized Optional<ProviderNode> node(String nodeId) {
    return Optional.ofNullable(nodes.get(nodeId)).map(n -> n.view(provider.network().subnet().address(n.hostOffset)));
  }

  @Override
  public void resize(PoolTarget newTarget) {
    List<NetnsNode> created = new ArrayList<>();
    List<NetnsNode> leaving = new ArrayList<>();
    synchronized (this) {
      if (newTarget.total() > spec.maxSize()) {
        throw new ProviderException(new ProviderError(ErrorClass.CONFIGURATION, "TargetAboveMaxSize",
            "pool " + id() + ": target " + newTarget.dedicated() + " dedicated + " + newTarget.lowPriority()
                + " low-priority is above the pool's maximum of " + spec.maxSize() + " nodes"));
      }
      requireSteady("resize");
      target = newTarget;
      resizeErrors = List.of();
      Operation op = new Operation();
      adjust(false, newTarget.dedicated(), op, created, leaving);
      adjust(true, newTarget.lowPriority(), op, created, leaving);
      created.forEach(n -> op.waitingFor.add(n.id));
      leaving.forEach(n -> op.waitingFor.add(n.id));
      operation = Optional.of(op);
      finishIfDone(op);
    }
    created.forEach(n -> provider.executor().execute(() -> create(n)));
    leaving.forEach(n -> provider.executor().execute(() -> removeNode(n)));
  }

  @Override
  public void remove(Collection<String> nodeIds) {
    if (nodeIds.size() > MAX_REMOVE_PER_CALL) {
      throw new IllegalArgumentException("pool " + id() + ": remove takes at most " + MAX_REMOVE_PER_CALL
          + " node ids per call, got " + nodeIds.size());
    }
    List<NetnsNode> leaving = new ArrayList<>();
    synchronized (this) {
      requireSteady("remove nodes from");
      for (String nodeId : new LinkedHashSet<>(nodeIds)) {
        NetnsNode node = nodes.get(nodeId);
        if (node != null && node.state != ProviderNodeState.LEAVING) {
          leaving.add(node);
        }
      }
      if (leaving.isEmpty()) {
        return;
      }
      int dedicated = (int) leaving.stream().filter(n -> !n.lowPriority).count();
      int lowPriority = leaving.size() - dedicated;
      target = new PoolTarget(Math.max(0, target.dedicated() - dedicated), Math.max(0, target.lowPriority() - lowPriority));
      resizeErrors = List.of();
      Operation op = new Operation();
      for (NetnsNode n : leaving) {
        n.state = ProviderNodeState.LEAVING;
        n.save();
        op.waitingFor.add(n.id);
      }
      operation = Optional.of(op);
    }
    leaving.forEach(n -> provider.executor().execute(() -> removeNode(n)));
  }

  // ---- fault injection (through the provider) ----

  synchronized void limitAllocation(ErrorClass errorClass, int allocatable) {
    if (errorClass != ErrorClass.CAPACITY && errorClass != ErrorClass.QUOTA) {
      throw new IllegalArgumentException("allocation can be limited for CAPACITY or QUOTA, not " + errorClass);
    }
    if (allocatable < 0) {
      throw new IllegalArgumentException("allocatable must be >= 0, got " + allocatable);
    }
    limit = Optional.of(new AllocationLimit(errorClass, allocatable));
  }

  synchronized void clearAllocationLimit() {
    limit = Optional.empty();
  }

  /** Marks up to {@code count} READY low-priority nodes PREEMPTED and kills their processes at once. */
  List<String> preempt(int count) {
    List<NetnsNode> victims = new ArrayList<>();
    synchronized (this) {
      for (NetnsNode n : nodes.values()) {
        if (victims.size() == count) {
          break;
        }
        if (n.lowPriority && n.state == ProviderNodeState.READY) {
          n.fail(ProviderNodeState.PREEMPTED, ErrorClass.PREEMPTED, "NodePreempted",
              "injected: low-priority node preempted at " + provider.clock().instant() + "; its processes were killed");
          n.save();
          victims.add(n);
        }
      }
    }
    for (NetnsNode n : victims) {
      synchronized (n) {
        try {
          // SIGKILL without grace: a preempted VM vanishes; a SIGTERM would let slurmd and slurmstepd
          // report the job as failed (JobLaunchFailure) instead of lost with its node, which Slurm requeues.
          provider.network().killProcesses(provider.network().namespaceName(n.id));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while preempting " + n.id, e);
        }
      }
    }
    return victims.stream().map(n -> n.id).toList();
  }

  // ---- restart: adopt what exists ----

  /** Takes over a node found on disk by a new provider (daemon restart). */
  void adopt(NetnsNode node, Set<String> namespaces) {
    boolean exists = namespaces.contains(provider.network().namespaceName(node.id));
    synchronized (this) {
      nodes.put(node.id, node);
      if (node.lowPriority) {
        target = new PoolTarget(target.dedicated(), target.lowPriority() + 1);
      } else {
        target = new PoolTarget(target.dedicated() + 1, target.lowPriority());
      }
    }
    switch (node.state) {
      case LEAVING, CREATING -> {
        // Interrupted half-way: a node still being created was never handed to anyone.
        synchronized (this) {
          node.state = ProviderNodeState.LEAVING;
          target = shrink(target, node.lowPriority);
        }
        provider.executor().execute(() -> removeNode(node));
      }
      case STARTING -> {
        if (!exists) {
          break;
        }
        Optional<Integer> exit = readExitCode(node);
        if (exit.isPresent()) {
          startTaskEnded(node, exit.get());
        } else {
          Optional<ProcessHandle> alive = node.startTaskPid.flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
          if (alive.isPresent()) {
            alive.get().onExit().thenRunAsync(() -> startTaskEnded(node, readExitCode(node).orElse(-1)), provider.executor());
          } else {
            startTaskEnded(node, -1);
          }
        }
      }
      default -> { }
    }
  }

  private static PoolTarget shrink(PoolTarget t, boolean lowPriority) {
    return lowPriority ? new PoolTarget(t.dedicated(), Math.max(0, t.lowPriority() - 1))
        : new PoolTarget(Math.max(0, t.dedicated() - 1), t.lowPriority());
  }

  // ---- the node steps, on the executor ----

  private void adjust(boolean lowPriority, int wanted, Operation op, List<NetnsNode> created, List<NetnsNode> leaving) {
    List<NetnsNode> live = nodes.values().stream()
        .filter(n -> n.lowPriority == lowPriority && n.state != ProviderNodeState.LEAVING).toList();
    int delta = wanted - live.size();
    if (delta > 0) {
      int allocatable = limit.map(l -> Math.min(l.remaining(), delta)).orElse(delta);
      for (int i = 0; i < allocatable; i++) {
        created.add(newNode(lowPriority));
      }
      if (limit.isPresent()) {
        AllocationLimit l = limit.get();
        limit = Optional.of(new AllocationLimit(l.errorClass(), l.remaining() - allocatable));
        if (allocatable < delta) {
          op.errors.add(ProviderError.allocationShortfall("injected", l.errorClass(), lowPriority, allocatable, delta));
        }
      }
    } else if (delta < 0) {
      // Like Azure: shed what serves no one first (failed, then creating, then starting nodes),
      // newest first within each group.
      List<NetnsNode> victims = live.stream()
          .sorted(Comparator.comparingInt((NetnsNode n) -> n.state.shedOrder())
              .thenComparing((NetnsNode n) -> n.createdAt, Comparator.reverseOrder()))
          .limit(-delta).toList();
      for (NetnsNode n : victims) {
        n.state = ProviderNodeState.LEAVING;
        n.save();
        leaving.add(n);
      }
    }
  }

  private NetnsNode newNode(boolean lowPriority) {
    String nodeId = provider.nextNodeId(id());
    int offset = provider.addresses().allocate(AddressRole.COMPUTE, nodeId);
    NetnsNode node = new NetnsNode(nodeId, id(), lowPriority, offset, provider.clock().instant(),
        provider.nodeDir(nodeId), ProviderNodeState.CREATING);
    node.save();
    nodes.put(nodeId, node);
    return node;
  }

  private void create(NetnsNode node) {
    synchronized (node) {
      if (!stillIn(node, ProviderNodeState.CREATING)) {
        return;
      }
      try {
        provider.network().createNamespace(provider.network().namespaceName(node.id), node.hostOffset);
      } catch (RuntimeException e) {
        synchronized (this) {
          if (node.state == ProviderNodeState.CREATING) {
            node.fail(ProviderNodeState.UNUSABLE, ErrorClass.UNUSABLE, "NamespaceCreationFailed", e.getMessage());
            node.save();
          }
          settle(node.id);
        }
        return;
      }
    }
    provider.executor().schedule(() -> start(node), spec.bootDelay().toNanos(), TimeUnit.NANOSECONDS);
  }

  private void start(NetnsNode node) {
    synchronized (node) {
      List<String> command;
      synchronized (this) {
        if (node.state != ProviderNodeState.CREATING) {
          return;
        }
        node.state = ProviderNodeState.STARTING;
        node.save();
        settle(node.id);
        command = spec.startTaskFailureRate() > 0 && provider.random().nextDouble() < spec.startTaskFailureRate()
            ? List.of("sh", "-c", "echo 'slipway: injected start task failure' >&2; exit 1")
            : provider.startTask().command();
      }
      Map<String, String> env = new HashMap<>(provider.startTask().environment());
      env.put("SLIPWAY_CLUSTER_ID", provider.network().clusterId());
      env.put("SLIPWAY_POOL_ID", id());
      env.put("SLIPWAY_NODE_ID", node.id);
      env.put("SLIPWAY_NODE_DIR", node.dir.toString());
      NodeLauncher.Launch launch = new NodeLauncher.Launch(provider.network().namespaceName(node.id), node.id, node.dir, command, env);
      try {
        // No wait for a boot instant after the request: slurmd gets its own time namespace,
        // anchored at the join, from slipway-node-slurmd (gotcha 1 is handled there).
        NodeLauncher.StartedProcess p = provider.launcher().launchNow(launch);
        synchronized (this) {
          node.startTaskPid = Optional.of(p.pid());
          node.save();
        }
        p.exit().whenCompleteAsync((code, failure) -> startTaskEnded(node, failure == null ? code : -1), provider.executor());
      } catch (IOException | RuntimeException e) {
        synchronized (this) {
          if (node.state == ProviderNodeState.STARTING) {
            node.fail(ProviderNodeState.START_FAILED, ErrorClass.START_TASK, "StartTaskNotLaunched",
                "cannot launch the start task: " + e.getMessage());
            node.save();
          }
        }
      }
    }
  }

  private synchronized void startTaskEnded(NetnsNode node, int exitCode) {
    if (node.state != ProviderNodeState.STARTING) {
      return;
    }
    if (exitCode == 0) {
      node.state = ProviderNodeState.READY;
      node.error = Optional.empty();
    } else {
      node.fail(ProviderNodeState.START_FAILED, ErrorClass.START_TASK, "FailureExitCode",
          (exitCode < 0 ? "the start task ended without an exit code" : "the start task exited with code " + exitCode)
              + "; see " + node.dir.resolve("logs").resolve("start-task.log"));
    }
    node.save();
  }

  private static Optional<Integer> readExitCode(NetnsNode node) {
    try {
      java.nio.file.Path status = node.dir.resolve("start-task.exit");
      return java.nio.file.Files.exists(status) ? Optional.of(Integer.parseInt(java.nio.file.Files.readString(status).strip()))
          : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private void removeNode(NetnsNode node) {
    synchronized (node) {
      String ns = provider.network().namespaceName(node.id);
      try {
        provider.network().stopProcesses(ns, provider.removalGrace());
        provider.network().deleteNamespace(ns, node.hostOffset);
        provider.archive(node);
        provider.addresses().release(node.id);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        // Keep the node listed as LEAVING-failed so nothing pretends it is gone; the next
        // provider start retries the removal.
        synchronized (this) {
          node.fail(ProviderNodeState.UNUSABLE, ErrorClass.UNUSABLE, "RemovalFailed", "cannot remove " + ns + ": " + e.getMessage());
          node.save();
          settle(node.id);
        }
        return;
      }
      synchronized (this) {
        nodes.remove(node.id);
        settle(node.id);
      }
    }
  }

  private synchronized boolean stillIn(NetnsNode node, ProviderNodeState state) {
    return node.state == state;
  }

  /** A node the operation waited for has reached its end; the operation ends with the last one. */
  private void settle(String nodeId) {
    operation.ifPresent(op -> {
      op.waitingFor.remove(nodeId);
      finishIfDone(op);
    });
  }

  private void finishIfDone(Operation op) {
    if (op.waitingFor.isEmpty() && operation.filter(o -> o == op).isPresent()) {
      operation = Optional.empty();
      resizeErrors = List.copyOf(op.errors);
    }
  }

  private void requireSteady(String what) {
    if (operation.isPresent()) {
      throw new ProviderException(new ProviderError(ErrorClass.RESIZE_IN_PROGRESS, "PoolBeingResized",
          "pool " + id() + " is resizing (" + operation.get().waitingFor.size() + " nodes in flight); cannot " + what + " it now"));
    }
  }

  /** Nodes of this pool (any state), for the provider's teardown. */
  synchronized List<NetnsNode> allNodes() {
    return List.copyOf(nodes.values());
  }

  void removeNow(NetnsNode node) {
    synchronized (this) {
      node.state = ProviderNodeState.LEAVING;
    }
    removeNode(node);
  }

  @Override
  public String toString() {
    return "netns pool " + id() + " (max " + spec.maxSize() + ")";
  }
}
