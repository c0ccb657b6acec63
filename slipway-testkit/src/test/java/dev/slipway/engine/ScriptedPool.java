package dev.slipway.engine;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A node pool the test drives step by step, keeping the NodePool contract: one resize at a time,
 * removal of at most 100 named nodes lowering the target, targets above the maximum refused. A
 * resize runs until {@link #completeResize()}; nodes are created CREATING and boot on {@link #boot}.
 */
final class ScriptedPool implements NodePool {
  private final String id;
  private final int maxSize;
  private final boolean lowPriority;
  private final InstantSource clock;
  private final Map<String, ProviderNode> nodes = new LinkedHashMap<>();
  private PoolTarget target = PoolTarget.ZERO;
  private boolean resizing;
  private List<ProviderError> resizeErrors = List.of();
  private int capacity = Integer.MAX_VALUE;
  private Optional<ProviderError> failCalls = Optional.empty();
  private int created;
  private Runnable onNextListing;
  final List<String> calls = new ArrayList<>();

  ScriptedPool(String id, int maxSize, boolean lowPriority, InstantSource clock) {
    this.id = id;
    this.maxSize = maxSize;
    this.lowPriority = lowPriority;
    this.clock = clock;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public int maxSize() {
    return maxSize;
  }

  @Override
  public synchronized PoolStatus status() {
    return new PoolStatus(target, resizing, resizeErrors);
  }

  @Override
  public List<ProviderNode> nodes() {
    Runnable hook;
    synchronized (this) {
      hook = onNextListing;
      onNextListing = null;
    }
    if (hook != null) {
      hook.run();
    }
    synchronized (this) {
      return List.copyOf(nodes.values());
    }
  }

  /** Runs {@code hook} once, at the next listing, before the nodes are returned. */
  synchronized void onNextListing(Runnable hook) {
    onNextListing = hook;
  }

  @Override
  public synchronized void resize(PoolTarget t) {
    calls.add("resize " + managed(t));
    failIfAsked();
    if (resizing) {
      throw new ProviderException(new ProviderError(ErrorClass.RESIZE_IN_PROGRESS, "ResizeInProgress", "pool " + id + " is resizing"));
    }
    if (t.total() > maxSize) {
      throw new ProviderException(new ProviderError(ErrorClass.CONFIGURATION, "TargetAboveMax", t.total() + " > " + maxSize));
    }
    target = t;
    resizing = true;
    resizeErrors = List.of();
  }

  @Override
  public synchronized void remove(Collection<String> ids) {
    calls.add("remove " + ids.size());
    failIfAsked();
    if (ids.size() > MAX_REMOVE_PER_CALL) {
      throw new IllegalArgumentException("too many ids: " + ids.size());
    }
    if (resizing) {
      throw new ProviderException(new ProviderError(ErrorClass.RESIZE_IN_PROGRESS, "ResizeInProgress", "pool " + id + " is resizing"));
    }
    int removed = 0;
    for (String n : ids) {
      if (nodes.remove(n) != null) {
        removed++;
      }
    }
    int left = Math.max(0, managed(target) - removed);
    target = lowPriority ? new PoolTarget(target.dedicated(), left) : new PoolTarget(left, target.lowPriority());
  }

  /** Ends the running resize: creates nodes up to the target (as capacity allows) or drops the newest. */
  synchronized void completeResize() {
    if (!resizing) {
      return;
    }
    resizing = false;
    int want = managed(target);
    while (nodes.size() > want) {
      String newest = new ArrayList<>(nodes.keySet()).get(nodes.size() - 1);
      nodes.remove(newest);
    }
    while (nodes.size() < want) {
      if (capacity <= 0) {
        resizeErrors = List.of(new ProviderError(ErrorClass.CAPACITY, "AllocationFailed", "no capacity for pool " + id));
        break;
      }
      capacity--;
      String nodeId = id + "-node-" + (created++);
      nodes.put(nodeId, new ProviderNode(nodeId, id, ProviderNodeState.CREATING, lowPriority,
          Optional.of("10." + Math.abs(id.hashCode() % 200) + "." + (created / 250) + "." + (created % 250)), clock.instant(), Optional.empty()));
    }
  }

  synchronized void setState(String nodeId, ProviderNodeState state) {
    ProviderNode n = nodes.get(nodeId);
    nodes.put(nodeId, new ProviderNode(n.id(), n.poolId(), state, n.lowPriority(), n.address(), n.createdAt(), n.error()));
  }

  synchronized void bootAll() {
    new ArrayList<>(nodes.values()).stream().filter(n -> n.state() == ProviderNodeState.CREATING || n.state() == ProviderNodeState.STARTING)
        .forEach(n -> setState(n.id(), ProviderNodeState.READY));
  }

  synchronized void vanish(String nodeId) {
    nodes.remove(nodeId);
  }

  synchronized void capacity(int nodesLeft) {
    capacity = nodesLeft;
  }

  synchronized void failCalls(Optional<ProviderError> error) {
    failCalls = error;
  }

  private void failIfAsked() {
    failCalls.ifPresent(e -> {
      throw new ProviderException(e);
    });
  }

  private int managed(PoolTarget t) {
    return lowPriority ? t.lowPriority() : t.dedicated();
  }
}
