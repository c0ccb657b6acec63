package dev.slipway.engine;

import dev.slipway.engine.JoinResult.Accepted;
import dev.slipway.engine.JoinResult.Rejected;
import dev.slipway.engine.JoinResult.Rejection;
import dev.slipway.model.Secret;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.EngineEvent;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import dev.slipway.spi.StateStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The logic behind {@code POST /v1/join}: a booting node proves who it is and receives a host.
 *
 * <p>The node must present its pool's join token (compared in constant time), and the provider
 * must know the node id in that pool with the address the request came from, so a token alone
 * does not let a stranger take a host name. The node gets the oldest REQUESTED host of its own
 * pool by intent sequence, claimed with a compare-and-set on the binding (a lost race re-reads and
 * tries the next host). Joining is idempotent: a node that already holds a host gets the same
 * host again (its start task may be retried), and it never gets a second one. Claims are
 * serialised within this service, and a claim is checked afterwards for a second binding of the
 * same node (possible only with two services on one store), which is given back.
 */
public final class JoinService {
  private static final int MAX_ATTEMPTS = 16;

  private final StateStore store;
  private final NodeProvider provider;
  private final JoinSettings settings;
  private final InstantSource clock;
  private final EventSink sink;

  public JoinService(StateStore store, NodeProvider provider, JoinSettings settings, InstantSource clock, EventSink sink) {
    this.store = Objects.requireNonNull(store, "store");
    this.provider = Objects.requireNonNull(provider, "provider");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sink = Objects.requireNonNull(sink, "sink");
  }

  public synchronized JoinResult join(JoinRequest request) {
    if (!request.clusterId().equals(settings.clusterId())) {
      return new Rejected(Rejection.WRONG_CLUSTER, "this is cluster " + settings.clusterId() + ", not " + request.clusterId());
    }
    Secret expected = settings.joinTokens().get(request.poolId());
    if (expected == null) {
      return new Rejected(Rejection.UNKNOWN_POOL, "pool " + request.poolId() + " is not an elastic pool of cluster " + settings.clusterId());
    }
    if (!sameSecret(expected, request.token())) {
      return new Rejected(Rejection.BAD_TOKEN, "wrong join token for pool " + request.poolId());
    }
    Optional<ProviderNode> node;
    try {
      Optional<NodePool> pool = provider.pool(request.poolId());
      if (pool.isEmpty()) {
        return new Rejected(Rejection.UNKNOWN_POOL, "provider " + provider.name() + " has no pool " + request.poolId());
      }
      // One lookup of this node, not the pool's list: a burst of n joins to a pool of n nodes
      // would otherwise read O(n^2) nodes (bench/batch-calls.sh).
      node = pool.get().node(request.nodeId()).filter(n -> n.poolId().equals(request.poolId()));
    } catch (RuntimeException e) {
      return new Rejected(Rejection.UNAVAILABLE, "cannot look up node " + request.nodeId() + " in pool " + request.poolId() + ": " + e.getMessage());
    }
    if (node.isEmpty()) {
      return new Rejected(Rejection.UNKNOWN_NODE, "pool " + request.poolId() + " has no node " + request.nodeId());
    }
    if (!node.get().address().equals(Optional.of(request.sourceAddress()))) {
      return new Rejected(Rejection.ADDRESS_MISMATCH, "node " + request.nodeId() + " has address "
          + node.get().address().orElse("(none)") + " but the request came from " + request.sourceAddress());
    }
    if (node.get().state().isFailed() || node.get().state() == ProviderNodeState.LEAVING) {
      return new Rejected(Rejection.NODE_RELEASED, "node " + request.nodeId() + " is " + node.get().state());
    }
    try {
      return claim(request);
    } catch (RuntimeException e) {
      return new Rejected(Rejection.UNAVAILABLE, "state store: " + e.getMessage());
    }
  }

  /*
   * Each attempt reads only what the join needs: the node's own bindings (indexed by node id) and
   * the first claimable host of its pool (an indexed query that stops at the first match), and
   * writes once: the claim and its history line are one transaction. Reading every binding per
   * join made a burst of n joins cost O(n^2); reading the pool's REQUESTED hosts made it O(n^2/pools)
   * (bench/burst.sh).
   */
  private JoinResult claim(JoinRequest request) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Optional<HostBinding> held = store.bindingsOfNode(request.nodeId()).stream().findFirst();
      if (held.isPresent()) {
        return answerFor(held.get(), request);
      }
      Optional<HostBinding> oldest = store.firstClaimable(request.poolId());
      if (oldest.isEmpty()) {
        return new Rejected(Rejection.NO_HOST_WAITING, "no host of pool " + request.poolId() + " waits for a node");
      }
      Instant now = clock.instant();
      HostBinding b = oldest.get();
      HostBinding joined = new HostBinding(b.host(), b.poolId(), BindingPhase.JOINED, Optional.of(request.nodeId()),
          Optional.of(request.sourceAddress()), b.intentSeq(), now, b.error(), b.version());
      HostEvent event = HostEvent.ofHost(now, b.host(), b.poolId(), "joined",
          "node " + request.nodeId() + " at " + request.sourceAddress() + " claimed host " + b.host());
      Optional<HostBinding> stored = store.putBinding(joined, List.of(event));
      if (stored.isEmpty()) {
        continue;
      }
      if (!keepsOnlyOneHost(stored.get(), request.nodeId(), now)) {
        continue;
      }
      sink.accept(new EngineEvent(now, event.kind(), event.message(), Map.of("pool", b.poolId(), "host", b.host())));
      return answer(b.host(), resumeRequestedAt(b.host()));
    }
    return new Rejected(Rejection.UNAVAILABLE, "hosts of pool " + request.poolId() + " kept changing; try again");
  }

  /** After a claim: if another service bound the same node meanwhile, the newer claim is given back. */
  private boolean keepsOnlyOneHost(HostBinding mine, String nodeId, Instant now) {
    List<HostBinding> all = store.bindingsOfNode(nodeId);
    if (all.size() <= 1 || all.get(0).host().equals(mine.host())) {
      return true;
    }
    // The claim's "joined" line is already in the history (same transaction); this one says why
    // the host waits again.
    store.putBinding(new HostBinding(mine.host(), mine.poolId(), BindingPhase.REQUESTED, Optional.empty(), Optional.empty(),
        mine.intentSeq(), mine.since(), mine.error(), mine.version()),
        List.of(HostEvent.ofHost(now, mine.host(), mine.poolId(), "join-given-back",
            "node " + nodeId + " already serves host " + all.get(0).host() + "; host " + mine.host() + " waits for another node")));
    return false;
  }

  private JoinResult answerFor(HostBinding held, JoinRequest request) {
    if (!held.poolId().equals(request.poolId())) {
      return new Rejected(Rejection.UNKNOWN_NODE, "node " + request.nodeId() + " serves host " + held.host() + " of pool " + held.poolId());
    }
    if (held.phase() == BindingPhase.JOINED || held.phase() == BindingPhase.REGISTERED) {
      return answer(held.host(), resumeRequestedAt(held.host()));
    }
    return new Rejected(Rejection.NODE_RELEASED, "node " + request.nodeId() + " served host " + held.host() + ", now " + held.phase());
  }

  private JoinResult answer(String host, Optional<Instant> resumeRequestedAt) {
    return new Accepted(new JoinResponse(host, settings.controllers(), settings.mungeKey(), settings.mounts(), settings.secretFiles(), resumeRequestedAt));
  }

  /*
   * The time of the host's latest intent, when that intent is UP from ResumeProgram. slurmctld sets
   * a node's boot_req_time to the (whole) second of its resume before it runs ResumeProgram, and the
   * hook records the time of its own call (the spool wrapper's clock, truncated to milliseconds),
   * so this instant's second is at or after boot_req_time. The binding's 'since' would be a valid
   * bound too, but a later one (the reconciler's pass after the hook), leaving the node less slack;
   * an operator's UP intent is no bound at all (slurmctld may resume the host after it). The latest
   * intent, not the one the binding was made for: a newer resume means a newer boot_req_time.
   * The host is already claimed here, so a store failure costs only the hint, not the join.
   */
  private Optional<Instant> resumeRequestedAt(String host) {
    try {
      return store.intent(host)
          .filter(i -> i.intent() == Intent.UP && i.source() == IntentSource.RESUME)
          .map(HostIntent::at);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Compares digests so the time taken depends neither on where the values differ nor on their lengths. */
  static boolean sameSecret(Secret expected, Secret given) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] a = sha.digest(expected.reveal().getBytes(StandardCharsets.UTF_8));
      byte[] b = sha.digest(given.reveal().getBytes(StandardCharsets.UTF_8));
      return MessageDigest.isEqual(a, b) && !expected.isEmpty();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
