package dev.slipway.sim;

import dev.slipway.model.ErrorClass;
import dev.slipway.sim.SimStats.CallKind;
import dev.slipway.sim.SimStats.NodeEvent;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One simulated pool. All state changes go through its {@link SimProvider} (clock, generator,
 * event queue, statistics), whose monitor guards them.
 *
 * <p>Azure Batch semantics kept: the target is what was asked even when allocation falls short;
 * failed and preempted nodes count against the target until removed; removing nodes lowers the
 * target of their type and is itself a resize; resize errors show only once the pool is steady.
 */
public final class SimPool implements NodePool {
  private final SimProvider sim;
  private final SimPoolSpec spec;
  private final int index;
  private final Map<String, SimNode> nodes = new LinkedHashMap<>();
  private SimFaults faults;
  private PoolTarget target = PoolTarget.ZERO;
  private Optional<Instant> operationEndsAt = Optional.empty();
  private List<ProviderError> pendingErrors = List.of();
  private List<ProviderError> resizeErrors = List.of();
  private Optional<AllocationLimit> limit = Optional.empty();
  private long nodeSeq;

  private static final class SimNode {
    final String id;
    final boolean lowPriority;
    final String address;
    final Instant createdAt;
    final long seq;
    ProviderNodeState state = ProviderNodeState.CREATING;
    Optional<ProviderError> error = Optional.empty();

    SimNode(String id, boolean lowPriority, String address, Instant createdAt, long seq) {
      this.id = id;
      this.lowPriority = lowPriority;
      this.address = address;
      this.createdAt = createdAt;
      this.seq = seq;
    }
  }

  private record AllocationLimit(ErrorClass errorClass, int remaining) {}

  SimPool(SimProvider sim, SimPoolSpec spec, int index) {
    this.sim = sim;
    this.spec = spec;
    this.index = index;
    this.faults = spec.faults();
  }

  @Override
  public String id() {
    return spec.id();
  }

  @Override
  public int maxSize() {
    return spec.maxSize();
  }

  public SimPoolSpec spec() {
    return spec;
  }

  @Override
  public PoolStatus status() {
    synchronized (sim) {
      return sim.call(CallKind.STATUS, faults, this::statusNow);
    }
  }

  @Override
  public List<ProviderNode> nodes() {
    synchronized (sim) {
      return sim.call(CallKind.NODES, faults, this::nodesNow);
    }
  }

  @Override
  public Optional<ProviderNode> node(String nodeId) {
    synchronized (sim) {
      return sim.call(CallKind.NODE, faults, () -> Optional.ofNullable(nodes.get(nodeId)).map(this::view));
    }
  }

  @Override
  public void resize(PoolTarget newTarget) {
    synchronized (sim) {
      sim.call(CallKind.RESIZE, faults, () -> {
        resizeNow(newTarget);
        return null;
      });
    }
  }

  @Override
  public void remove(Collection<String> nodeIds) {
    synchronized (sim) {
      if (nodeIds.size() > MAX_REMOVE_PER_CALL) {
        sim.countInvalid(CallKind.REMOVE);
        throw new IllegalArgumentException("pool " + id() + ": remove takes at most " + MAX_REMOVE_PER_CALL
            + " node ids per call, got " + nodeIds.size());
      }
      sim.call(CallKind.REMOVE, faults, () -> {
        removeNow(nodeIds);
        return null;
      });
    }
  }

  // ---- simulation-only controls (through SimProvider) ----

  void setFaults(SimFaults newFaults) {
    this.faults = java.util.Objects.requireNonNull(newFaults, "faults");
  }

  SimFaults faults() {
    return faults;
  }

  void limitAllocation(ErrorClass errorClass, int allocatable) {
    if (errorClass != ErrorClass.CAPACITY && errorClass != ErrorClass.QUOTA) {
      throw new IllegalArgumentException("allocation can be limited for CAPACITY or QUOTA, not " + errorClass);
    }
    if (allocatable < 0) {
      throw new IllegalArgumentException("allocatable must be >= 0, got " + allocatable);
    }
    limit = Optional.of(new AllocationLimit(errorClass, allocatable));
  }

  void clearAllocationLimit() {
    limit = Optional.empty();
  }

  List<String> preempt(int count, Instant at) {
    List<String> preempted = new ArrayList<>();
    for (SimNode node : nodes.values()) {
      if (preempted.size() == count) {
        break;
      }
      if (node.lowPriority && node.state == ProviderNodeState.READY) {
        node.state = ProviderNodeState.PREEMPTED;
        node.error = Optional.of(new ProviderError(ErrorClass.PREEMPTED, "NodePreempted",
            "simulated: low-priority node preempted at " + at));
        preempted.add(node.id);
      }
    }
    sim.nodeEvent(NodeEvent.PREEMPTED, preempted.size());
    return preempted;
  }

  void makeUnusable(String nodeId) {
    SimNode node = nodes.get(nodeId);
    if (node == null || node.state == ProviderNodeState.LEAVING) {
      throw new IllegalArgumentException("pool " + id() + " has no live node '" + nodeId + "'");
    }
    markUnusable(node);
  }

  // ---- the calls' effects ----

  private PoolStatus statusNow() {
    boolean resizing = operationEndsAt.isPresent();
    return new PoolStatus(target, resizing, resizing ? List.of() : resizeErrors);
  }

  private List<ProviderNode> nodesNow() {
    List<ProviderNode> list = new ArrayList<>(nodes.size());
    for (SimNode n : nodes.values()) {
      list.add(view(n));
    }
    return list;
  }

  private ProviderNode view(SimNode n) {
    return new ProviderNode(n.id, id(), n.state, n.lowPriority, Optional.of(n.address), n.createdAt, n.error);
  }

  private void resizeNow(PoolTarget newTarget) {
    if (newTarget.total() > spec.maxSize()) {
      throw new ProviderException(new ProviderError(ErrorClass.CONFIGURATION, "TargetAboveMaxSize",
          "pool " + id() + ": target " + newTarget.dedicated() + " dedicated + " + newTarget.lowPriority()
              + " low-priority is above the pool's maximum of " + spec.maxSize() + " nodes"));
    }
    requireSteady("resize");
    Instant now = sim.now();
    target = newTarget;
    resizeErrors = List.of();
    List<ProviderError> errors = new ArrayList<>();
    boolean removing = adjust(false, newTarget.dedicated(), now, errors);
    removing |= adjust(true, newTarget.lowPriority(), now, errors);
    Instant endsAt = now.plus(spec.resizeLatency().sample(sim.random()));
    if (removing) {
      Instant goneAt = now.plus(spec.removeLatency().sample(sim.random()));
      scheduleGone(goneAt);
      endsAt = endsAt.isAfter(goneAt) ? endsAt : goneAt;
    }
    startOperation(endsAt, errors);
  }

  /** Grows or shrinks one node type toward {@code wanted}; true when nodes were set leaving. */
  private boolean adjust(boolean lowPriority, int wanted, Instant now, List<ProviderError> errors) {
    List<SimNode> live = nodes.values().stream()
        .filter(n -> n.lowPriority == lowPriority && n.state != ProviderNodeState.LEAVING).toList();
    int delta = wanted - live.size();
    if (delta > 0) {
      int allocatable = limit.map(l -> Math.min(l.remaining(), delta)).orElse(delta);
      for (int i = 0; i < allocatable; i++) {
        createNode(lowPriority, now);
      }
      if (limit.isPresent()) {
        AllocationLimit l = limit.get();
        limit = Optional.of(new AllocationLimit(l.errorClass(), l.remaining() - allocatable));
        if (allocatable < delta) {
          errors.add(ProviderError.allocationShortfall("simulated", l.errorClass(), lowPriority, allocatable, delta));
          sim.nodeEvent(NodeEvent.ALLOCATION_REFUSED, delta - allocatable);
        }
      }
      return false;
    }
    if (delta < 0) {
      // Like Azure, shed what serves no one first: failed nodes, then nodes still booting, then
      // running ones; newest first within each group.
      List<SimNode> victims = live.stream()
          .sorted(Comparator.comparingInt((SimNode n) -> n.state.shedOrder()).thenComparing(n -> -n.seq))
          .limit(-delta).toList();
      victims.forEach(n -> n.state = ProviderNodeState.LEAVING);
      return !victims.isEmpty();
    }
    return false;
  }

  private void removeNow(Collection<String> nodeIds) {
    requireSteady("remove nodes from");
    Set<String> ids = new LinkedHashSet<>(nodeIds);
    List<SimNode> removing = new ArrayList<>();
    for (String nodeId : ids) {
      SimNode node = nodes.get(nodeId);
      if (node != null && node.state != ProviderNodeState.LEAVING) {
        removing.add(node);
      }
    }
    if (removing.isEmpty()) {
      return;
    }
    int dedicated = (int) removing.stream().filter(n -> !n.lowPriority).count();
    int lowPriority = removing.size() - dedicated;
    target = new PoolTarget(Math.max(0, target.dedicated() - dedicated), Math.max(0, target.lowPriority() - lowPriority));
    removing.forEach(n -> n.state = ProviderNodeState.LEAVING);
    resizeErrors = List.of();
    Instant goneAt = sim.now().plus(spec.removeLatency().sample(sim.random()));
    scheduleGone(goneAt);
    startOperation(goneAt, List.of());
  }

  private void requireSteady(String what) {
    if (operationEndsAt.isPresent()) {
      throw new ProviderException(new ProviderError(ErrorClass.RESIZE_IN_PROGRESS, "PoolBeingResized",
          "pool " + id() + " is resizing until " + operationEndsAt.get() + "; cannot " + what + " it now"));
    }
  }

  private void startOperation(Instant endsAt, List<ProviderError> errors) {
    operationEndsAt = Optional.of(endsAt);
    pendingErrors = List.copyOf(errors);
    sim.schedule(endsAt, at -> {
      operationEndsAt = Optional.empty();
      resizeErrors = pendingErrors;
      pendingErrors = List.of();
    });
  }

  private void scheduleGone(Instant goneAt) {
    sim.schedule(goneAt, at -> {
      int before = nodes.size();
      nodes.values().removeIf(n -> n.state == ProviderNodeState.LEAVING);
      sim.nodeEvent(NodeEvent.REMOVED, before - nodes.size());
    });
  }

  private void createNode(boolean lowPriority, Instant now) {
    long seq = ++nodeSeq;
    // sim-<pool>-00042 (five digits at least), without String.format, which parses its pattern on
    // every call: a burst names 10,000 nodes inside the engine's resize calls, on its thread.
    String digits = Long.toString(seq);
    String nodeId = "sim-" + id() + "-" + "00000".substring(Math.min(5, digits.length())) + digits;
    String address = "10." + (index % 256) + "." + ((seq >> 8) & 0xff) + "." + (seq & 0xff);
    SimNode node = new SimNode(nodeId, lowPriority, address, now, seq);
    nodes.put(nodeId, node);
    sim.nodeEvent(NodeEvent.CREATED, 1);
    sim.schedule(now.plus(spec.allocationLatency().sample(sim.random())), at -> {
      if (node.state == ProviderNodeState.CREATING) {
        node.state = ProviderNodeState.STARTING;
        sim.schedule(at.plus(spec.bootLatency().sample(sim.random())), bootedAt -> boot(node));
      }
    });
  }

  private void boot(SimNode node) {
    if (node.state != ProviderNodeState.STARTING) {
      return;
    }
    if (faults.unusableRate() > 0 && sim.random().nextDouble() < faults.unusableRate()) {
      markUnusable(node);
      return;
    }
    if (faults.startTaskFailureRate() > 0 && sim.random().nextDouble() < faults.startTaskFailureRate()) {
      failStartTask(node, "simulated: the start task exited with code 1");
      return;
    }
    boolean ok;
    String why = "the start task reported failure";
    try {
      ok = sim.startTask().run(view(node));
    } catch (RuntimeException e) {
      ok = false;
      why = "the start task threw " + e;
    }
    // The start task may have removed the node meanwhile (through the provider).
    if (node.state != ProviderNodeState.STARTING) {
      return;
    }
    if (ok) {
      node.state = ProviderNodeState.READY;
      sim.nodeEvent(NodeEvent.READY, 1);
    } else {
      failStartTask(node, why);
    }
  }

  private void failStartTask(SimNode node, String message) {
    node.state = ProviderNodeState.START_FAILED;
    node.error = Optional.of(new ProviderError(ErrorClass.START_TASK, "FailureExitCode", message));
    sim.nodeEvent(NodeEvent.START_FAILED, 1);
  }

  private void markUnusable(SimNode node) {
    node.state = ProviderNodeState.UNUSABLE;
    node.error = Optional.of(new ProviderError(ErrorClass.UNUSABLE, "NodeUnusable", "simulated: the node became unusable"));
    sim.nodeEvent(NodeEvent.UNUSABLE, 1);
  }

  @Override
  public String toString() {
    return "sim pool " + id() + " (max " + spec.maxSize() + ")";
  }
}
