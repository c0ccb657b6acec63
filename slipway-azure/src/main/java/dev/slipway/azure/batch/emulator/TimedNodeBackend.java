package dev.slipway.azure.batch.emulator;

import dev.slipway.azure.batch.BatchNodeState;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The emulator's built-in backend: no real machines, only a clock. A node spends
 * {@code creating}, {@code starting} and {@code waitingForStartTask} in those states and is then
 * idle; a released node is leavingpool for {@code leaving} and then gone. Tests steer it with an
 * allocation rule (refuse with a quota or capacity code, or keep allocations pending to make a
 * resize time out) and by failing a node's start task, making a node unusable or preempting it.
 * Time only moves with the injected clock, so tests advance a fake clock and never sleep.
 */
public final class TimedNodeBackend implements EmulatedNodeBackend {
  /** How long each boot phase lasts, and how long a released node takes to leave. */
  public record Timings(Duration creating, Duration starting, Duration waitingForStartTask, Duration leaving) {
    public static final Timings INSTANT = new Timings(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);
    public static final Timings DEFAULT = new Timings(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofSeconds(10));

    public Timings {
      Objects.requireNonNull(creating);
      Objects.requireNonNull(starting);
      Objects.requireNonNull(waitingForStartTask);
      Objects.requireNonNull(leaving);
    }

    Duration untilIdle() {
      return creating.plus(starting).plus(waitingForStartTask);
    }
  }

  private static final class Node {
    final String poolId;
    final boolean lowPriority;
    final Instant allocatedAt;
    final String ip;
    Optional<Instant> releasedAt = Optional.empty();
    Optional<NodeStatus> forced = Optional.empty();
    boolean failStartTask;

    Node(String poolId, boolean lowPriority, Instant allocatedAt, String ip) {
      this.poolId = poolId;
      this.lowPriority = lowPriority;
      this.allocatedAt = allocatedAt;
      this.ip = ip;
    }
  }

  private final InstantSource clock;
  private final Timings timings;
  private final Map<String, Node> nodes = new HashMap<>();
  private Function<NodeRequest, Provisioning> allocationRule = r -> Provisioning.allocated();
  private int nextAddress;

  public TimedNodeBackend(InstantSource clock, Timings timings) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timings = Objects.requireNonNull(timings, "timings");
  }

  /** Decides each provisioning request from now on (default: always allocated). */
  public synchronized void allocateWith(Function<NodeRequest, Provisioning> rule) {
    this.allocationRule = Objects.requireNonNull(rule, "rule");
  }

  /** The node's start task will fail (exit code 1) when it would have finished. */
  public synchronized void failStartTask(String nodeId) {
    node(nodeId).failStartTask = true;
  }

  public synchronized void makeUnusable(String nodeId, String code, String message) {
    Node n = node(nodeId);
    n.forced = Optional.of(new NodeStatus(BatchNodeState.UNUSABLE, Optional.of(n.ip), clock.instant(), Optional.of(code), Optional.of(message)));
  }

  /** Preempts a low-priority node (Batch keeps preempted nodes listed until they are removed). */
  public synchronized void preempt(String nodeId) {
    Node n = node(nodeId);
    if (!n.lowPriority) {
      throw new IllegalArgumentException("node " + nodeId + " is dedicated; only low-priority nodes are preempted");
    }
    n.forced = Optional.of(new NodeStatus(BatchNodeState.PREEMPTED, Optional.empty(), clock.instant(), Optional.of("NodePreempted"),
        Optional.of("the low-priority node was preempted")));
  }

  /** Number of nodes currently held (not yet gone), for tests. */
  public synchronized int liveNodes() {
    Instant now = clock.instant();
    return (int) nodes.values().stream().filter(n -> n.releasedAt.isEmpty() || now.isBefore(n.releasedAt.get().plus(timings.leaving()))).count();
  }

  private Node node(String nodeId) {
    Node n = nodes.get(nodeId);
    if (n == null) throw new IllegalArgumentException("no node " + nodeId);
    return n;
  }

  @Override
  public synchronized Provisioning provision(NodeRequest request) {
    Provisioning p = allocationRule.apply(request);
    if (p instanceof Provisioning.Allocated) {
      int a = nextAddress++;
      nodes.put(request.nodeId(), new Node(request.poolId(), request.lowPriority(), clock.instant(),
          "10.0." + (a / 250) + "." + (a % 250 + 4)));
    }
    return p;
  }

  @Override
  public synchronized void release(String poolId, String nodeId) {
    Node n = nodes.get(nodeId);
    if (n != null && n.releasedAt.isEmpty()) {
      n.releasedAt = Optional.of(clock.instant());
    }
  }

  @Override
  public synchronized Optional<NodeStatus> status(String poolId, String nodeId) {
    Node n = nodes.get(nodeId);
    if (n == null || !n.poolId.equals(poolId)) return Optional.empty();
    Instant now = clock.instant();
    if (n.releasedAt.isPresent()) {
      Instant gone = n.releasedAt.get().plus(timings.leaving());
      if (!now.isBefore(gone)) {
        nodes.remove(nodeId);
        return Optional.empty();
      }
      return Optional.of(plain(BatchNodeState.LEAVING_POOL, n, n.releasedAt.get()));
    }
    if (n.forced.isPresent()) return n.forced;
    Instant startingAt = n.allocatedAt.plus(timings.creating());
    Instant waitingAt = startingAt.plus(timings.starting());
    Instant doneAt = n.allocatedAt.plus(timings.untilIdle());
    if (now.isBefore(startingAt)) return Optional.of(plain(BatchNodeState.CREATING, n, n.allocatedAt));
    if (now.isBefore(waitingAt)) return Optional.of(plain(BatchNodeState.STARTING, n, startingAt));
    if (now.isBefore(doneAt)) return Optional.of(plain(BatchNodeState.WAITING_FOR_START_TASK, n, waitingAt));
    if (n.failStartTask) {
      return Optional.of(new NodeStatus(BatchNodeState.START_TASK_FAILED, Optional.of(n.ip), doneAt,
          Optional.of("FailureExitCode"), Optional.of("The task exited with an exit code representing a failure")));
    }
    return Optional.of(plain(BatchNodeState.IDLE, n, doneAt));
  }

  private static NodeStatus plain(BatchNodeState state, Node n, Instant since) {
    Optional<String> ip = state == BatchNodeState.CREATING ? Optional.empty() : Optional.of(n.ip);
    return new NodeStatus(state, ip, since, Optional.empty(), Optional.empty());
  }
}
