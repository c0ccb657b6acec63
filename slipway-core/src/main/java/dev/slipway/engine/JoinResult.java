package dev.slipway.engine;

import java.util.Objects;

/** The join service's answer: a host for the node, or a typed refusal the HTTP layer maps to a status. */
public sealed interface JoinResult {
  /** Why a join was refused. */
  enum Rejection {
    /** The request names another cluster. */
    WRONG_CLUSTER,
    /** The pool is not one of this cluster's elastic pools. */
    UNKNOWN_POOL,
    /** The token does not match the pool's join token. */
    BAD_TOKEN,
    /** The provider does not list this node id in this pool. */
    UNKNOWN_NODE,
    /** The provider lists the node with another address than the request came from. */
    ADDRESS_MISMATCH,
    /** The node already served a host that is being released; it must not take another. */
    NODE_RELEASED,
    /** No host of this pool waits for a node; the node should exit and will be removed. */
    NO_HOST_WAITING,
    /** The provider or the store could not be asked; the node may retry. */
    UNAVAILABLE
  }

  record Accepted(JoinResponse response) implements JoinResult {
    public Accepted {
      Objects.requireNonNull(response, "response");
    }
  }

  record Rejected(Rejection reason, String message) implements JoinResult {
    public Rejected {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }
}
