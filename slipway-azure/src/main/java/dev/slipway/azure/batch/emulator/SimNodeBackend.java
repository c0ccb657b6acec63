package dev.slipway.azure.batch.emulator;

import dev.slipway.azure.batch.BatchNodeState;
import dev.slipway.model.ErrorClass;
import dev.slipway.sim.SimProvider;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An emulator backend whose machines are the simulator's: each emulated node is backed by a node
 * of the {@link SimProvider} pool of the same name (the ids differ; the backend keeps the
 * mapping), so boot latencies, start-task failures, unusable nodes, preemption, allocation limits and API failures come from the same seeded simulator the
 * engine is tested against, but arrive through Batch's REST API and the azure-batch provider.
 *
 * <p>The emulator asks for one node at a time and the simulator only grows a pool by resizing it,
 * so each provisioning request is one simulator resize of one more node; while that resize is
 * running (the pool's {@code resizeLatency}) further requests are answered "pending" and the
 * emulator asks again on its next update. A pool therefore grows one node per resize latency:
 * give emulated pools a short {@code resizeLatency}. Releases queue in the same way until the
 * simulated pool is steady. A simulator call that fails (its API failure rate) is treated like
 * "not yet": provisioning stays pending, a release stays queued and a node keeps its last state.
 * The simulator's clock must be the emulator's.
 */
public final class SimNodeBackend implements EmulatedNodeBackend {
  private final SimProvider sim;
  private final InstantSource clock;
  /** Emulator node id -> simulator node id, per pool. */
  private final Map<String, Map<String, String>> simIds = new HashMap<>();
  /** Emulator node ids whose release has not reached the simulator yet. */
  private final Map<String, Set<String>> releasing = new HashMap<>();
  private final Map<String, NodeStatus> lastSeen = new HashMap<>();

  public SimNodeBackend(SimProvider sim, InstantSource clock) {
    this.sim = Objects.requireNonNull(sim, "sim");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * The emulated node a simulator node backs, if the emulator asked for it. Like the emulator's
   * calls, not thread-safe: call it while no request is being served (a simulation harness that
   * makes its HTTP calls synchronously from one thread).
   */
  public Optional<String> emulatedNodeId(String poolId, String simulatorNodeId) {
    return simIds.getOrDefault(poolId, Map.of()).entrySet().stream()
        .filter(e -> e.getValue().equals(simulatorNodeId)).map(Map.Entry::getKey).findFirst();
  }

  @Override
  public Provisioning provision(NodeRequest request) {
    NodePool pool = sim.pool(request.poolId())
        .orElseThrow(() -> new IllegalArgumentException("the simulator has no pool " + request.poolId()));
    try {
      flushReleases(request.poolId(), pool);
      PoolStatus status = pool.status();
      if (status.resizing()) {
        return Provisioning.pending();
      }
      Map<String, String> mapped = simIds.computeIfAbsent(request.poolId(), p -> new HashMap<>());
      Optional<ProviderNode> unclaimed = unclaimed(pool, mapped, request.lowPriority());
      if (unclaimed.isPresent()) {
        mapped.put(request.nodeId(), unclaimed.get().id());
        return Provisioning.allocated();
      }
      if (!status.resizeErrors().isEmpty() && wantedMoreThanItHas(pool, status.target())) {
        // The last one-node resize ended short: the simulator refused the allocation.
        // Its target is left one above what it has; bring it back so that a later request starts
        // from a clean pool (the errors clear when that resize ends).
        ProviderError e = status.resizeErrors().get(0);
        List<ProviderNode> live = pool.nodes().stream().filter(n -> n.state() != ProviderNodeState.LEAVING).toList();
        int low = (int) live.stream().filter(ProviderNode::lowPriority).count();
        pool.resize(new PoolTarget(live.size() - low, low));
        return Provisioning.refused(batchCode(e), e.message());
      }
      PoolTarget t = status.target();
      pool.resize(request.lowPriority() ? new PoolTarget(t.dedicated(), t.lowPriority() + 1) : new PoolTarget(t.dedicated() + 1, t.lowPriority()));
      Optional<ProviderNode> fresh = unclaimed(pool, mapped, request.lowPriority());
      if (fresh.isPresent()) {
        mapped.put(request.nodeId(), fresh.get().id());
        return Provisioning.allocated();
      }
      return Provisioning.pending();
    } catch (ProviderException e) {
      if (e.error().errorClass() == ErrorClass.TRANSIENT || e.error().errorClass() == ErrorClass.RESIZE_IN_PROGRESS) {
        return Provisioning.pending();
      }
      return Provisioning.refused(batchCode(e.error()), e.error().message());
    }
  }

  @Override
  public void release(String poolId, String nodeId) {
    if (!simIds.getOrDefault(poolId, Map.of()).containsKey(nodeId)) {
      return;
    }
    releasing.computeIfAbsent(poolId, p -> new LinkedHashSet<>()).add(nodeId);
    sim.pool(poolId).ifPresent(pool -> flushReleases(poolId, pool));
  }

  @Override
  public Optional<NodeStatus> status(String poolId, String nodeId) {
    String simId = simIds.getOrDefault(poolId, Map.of()).get(nodeId);
    if (simId == null) {
      return Optional.empty();
    }
    NodePool pool = sim.pool(poolId).orElseThrow();
    flushReleases(poolId, pool);
    List<ProviderNode> nodes;
    try {
      nodes = pool.nodes();
    } catch (ProviderException e) {
      return Optional.ofNullable(lastSeen.get(nodeId));
    }
    Optional<ProviderNode> node = nodes.stream().filter(n -> n.id().equals(simId)).findFirst();
    if (node.isEmpty()) {
      simIds.get(poolId).remove(nodeId);
      lastSeen.remove(nodeId);
      return Optional.empty();
    }
    boolean leaving = releasing.getOrDefault(poolId, Set.of()).contains(nodeId);
    NodeStatus status = statusOf(node.get(), leaving);
    NodeStatus previous = lastSeen.get(nodeId);
    if (previous != null && previous.state() == status.state()) {
      status = previous;
    }
    lastSeen.put(nodeId, status);
    return Optional.of(status);
  }

  private void flushReleases(String poolId, NodePool pool) {
    Set<String> queued = releasing.getOrDefault(poolId, Set.of());
    if (queued.isEmpty()) {
      return;
    }
    try {
      if (pool.status().resizing()) {
        return;
      }
      Map<String, String> mapped = simIds.get(poolId);
      List<String> ids = queued.stream().map(mapped::get).filter(Objects::nonNull).limit(NodePool.MAX_REMOVE_PER_CALL).toList();
      pool.remove(ids);
      queued.removeIf(id -> ids.contains(mapped.get(id)));
    } catch (ProviderException e) {
      // Busy or resizing: the next call tries again.
    }
  }

  private static Optional<ProviderNode> unclaimed(NodePool pool, Map<String, String> mapped, boolean lowPriority) {
    Set<String> claimed = new HashSet<>(mapped.values());
    return pool.nodes().stream()
        .filter(n -> n.lowPriority() == lowPriority && !claimed.contains(n.id()) && n.state() != ProviderNodeState.LEAVING)
        .findFirst();
  }

  private static boolean wantedMoreThanItHas(NodePool pool, PoolTarget target) {
    return pool.nodes().stream().filter(n -> n.state() != ProviderNodeState.LEAVING).count() < target.total();
  }

  private NodeStatus statusOf(ProviderNode n, boolean leaving) {
    Instant now = clock.instant();
    if (leaving || n.state() == ProviderNodeState.LEAVING) {
      return new NodeStatus(BatchNodeState.LEAVING_POOL, n.address(), now, Optional.empty(), Optional.empty());
    }
    BatchNodeState state = switch (n.state()) {
      case CREATING -> BatchNodeState.CREATING;
      case STARTING -> BatchNodeState.STARTING;
      case READY -> BatchNodeState.IDLE;
      case START_FAILED -> BatchNodeState.START_TASK_FAILED;
      case UNUSABLE -> BatchNodeState.UNUSABLE;
      case PREEMPTED -> BatchNodeState.PREEMPTED;
      case LEAVING -> BatchNodeState.LEAVING_POOL;
    };
    Optional<String> address = state == BatchNodeState.CREATING ? Optional.empty() : n.address();
    return new NodeStatus(state, address, now, n.error().map(ProviderError::code), n.error().map(ProviderError::message));
  }

  /** The Batch resize error code the azure-batch provider maps back to the same error class. */
  private static String batchCode(ProviderError e) {
    return switch (e.errorClass()) {
      case QUOTA -> e.code().startsWith("Account") || e.code().startsWith("PoolQuota") ? e.code() : "AccountCoreQuotaReached";
      case CAPACITY -> "AllocationFailed";
      default -> e.code();
    };
  }
}
