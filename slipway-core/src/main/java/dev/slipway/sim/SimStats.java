package dev.slipway.sim;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * What the simulator saw, for reports: API calls by kind and outcome, virtual time spent in calls,
 * and node life events.
 */
public record SimStats(Map<CallKind, Map<CallOutcome, Long>> calls, Duration callTime, Map<NodeEvent, Long> nodeEvents) {
  public SimStats {
    Map<CallKind, Map<CallOutcome, Long>> copy = new EnumMap<>(CallKind.class);
    calls.forEach((k, v) -> copy.put(k, Map.copyOf(v)));
    calls = Map.copyOf(copy);
    nodeEvents = Map.copyOf(nodeEvents);
  }

  /** NODE is the lookup of one node ({@code NodePool.node}), NODES the pool's list. */
  public enum CallKind { RESIZE, REMOVE, NODES, NODE, STATUS }

  public enum CallOutcome {
    OK,
    /** Refused with a ProviderException other than TRANSIENT (resize in progress, above max size). */
    REFUSED,
    /** Failed with an injected TRANSIENT error. */
    TRANSIENT_FAILURE,
    /** Refused as a programming error (IllegalArgumentException: too many ids). */
    INVALID
  }

  public enum NodeEvent { CREATED, READY, START_FAILED, UNUSABLE, PREEMPTED, REMOVED, ALLOCATION_REFUSED }

  public long calls(CallKind kind, CallOutcome outcome) {
    return calls.getOrDefault(kind, Map.of()).getOrDefault(outcome, 0L);
  }

  public long calls(CallKind kind) {
    return calls.getOrDefault(kind, Map.of()).values().stream().mapToLong(Long::longValue).sum();
  }

  public long nodes(NodeEvent event) {
    return nodeEvents.getOrDefault(event, 0L);
  }
}
