package dev.slipway.azure.batch.emulator;

import dev.slipway.azure.batch.BatchNodeState;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What stands behind the emulator's compute nodes. The emulator keeps Batch's bookkeeping
 * (pools, targets, allocation state, resize errors, who is leaving); the backend decides whether
 * a node can be had at all and what state each node is in. {@link TimedNodeBackend} walks nodes
 * through the boot states on a clock; the simulator and the netns provider can plug in here so
 * that an emulated pool's nodes are real namespaces running the real join script.
 *
 * <p>The emulator calls these methods while holding its lock, one at a time; implementations
 * need no locking of their own for the emulator's sake, and must not call back into it.
 */
public interface EmulatedNodeBackend {
  /** A node the emulator wants: its id, pool, kind, VM size and the pool's start task. */
  record NodeRequest(String poolId, String nodeId, boolean lowPriority, String vmSize,
                     Optional<String> startTaskCommandLine, Map<String, String> startTaskEnvironment) {
    public NodeRequest {
      Objects.requireNonNull(poolId, "poolId");
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(vmSize, "vmSize");
      Objects.requireNonNull(startTaskCommandLine, "startTaskCommandLine");
      startTaskEnvironment = Map.copyOf(startTaskEnvironment);
    }
  }

  /** The answer to a provisioning request. */
  sealed interface Provisioning permits Provisioning.Allocated, Provisioning.Pending, Provisioning.Refused {
    /** The node exists now (in state creating). */
    record Allocated() implements Provisioning {}

    /** No capacity right now; the emulator asks again later, until the resize times out. */
    record Pending() implements Provisioning {}

    /** The resize stops with this resize error (AllocationFailed, AccountCoreQuotaReached...). */
    record Refused(String code, String message) implements Provisioning {
      public Refused {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
      }
    }

    static Provisioning allocated() {
      return new Allocated();
    }

    static Provisioning pending() {
      return new Pending();
    }

    static Provisioning refused(String code, String message) {
      return new Refused(code, message);
    }
  }

  /**
   * A node's state as the backend sees it. {@code failureCode}/{@code failureMessage} explain
   * starttaskfailed (the start task's failure info) and unusable (the node's error).
   */
  record NodeStatus(BatchNodeState state, Optional<String> ipAddress, Instant since,
                    Optional<String> failureCode, Optional<String> failureMessage) {
    public NodeStatus {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(ipAddress, "ipAddress");
      Objects.requireNonNull(since, "since");
      Objects.requireNonNull(failureCode, "failureCode");
      Objects.requireNonNull(failureMessage, "failureMessage");
    }
  }

  Provisioning provision(NodeRequest request);

  /** Starts taking the node away; it may stay visible (leavingpool) for a while. */
  void release(String poolId, String nodeId);

  /** The node's current state; empty once a released node is gone (or the backend lost it). */
  Optional<NodeStatus> status(String poolId, String nodeId);
}
