package dev.slipway.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Durable cluster state shared by the hooks, the daemon(s) and the CLI. Every write that another
 * process may race is compare-and-set on a version; a failed compare-and-set returns false and
 * changes nothing. Implementations: {@code sqlite} (one file, many processes on one machine) and
 * {@code azure-storage} (Tables with ETags, blob lease). All pass the contract suite in
 * slipway-testkit.
 */
public interface StateStore extends AutoCloseable {
  /** Records intents atomically (all or none) and returns them with their sequence numbers. */
  List<HostIntent> recordIntents(Collection<IntentRequest> requests, Instant at);

  /** The latest intent of every host that has one. */
  Map<String, HostIntent> intents();

  Map<String, HostBinding> bindings();

  Optional<HostBinding> binding(String host);

  /**
   * The bindings of one pool in one phase, oldest intent first (by {@code intentSeq}, then host):
   * the join service hands a new node the first REQUESTED host of its pool. Stores with an index
   * override this; the default filters {@link #bindings()}.
   */
  default List<HostBinding> bindings(String poolId, BindingPhase phase) {
    return bindings().values().stream()
        .filter(b -> b.poolId().equals(poolId) && b.phase() == phase)
        .sorted(Comparator.comparingLong(HostBinding::intentSeq).thenComparing(HostBinding::host))
        .collect(Collectors.toList());
  }

  /**
   * The bindings that name {@code nodeId} (normally at most one): how the join service finds the
   * host a node already claimed without reading every binding. Stores with an index override this.
   */
  default List<HostBinding> bindingsOfNode(String nodeId) {
    return bindings().values().stream()
        .filter(b -> b.nodeId().equals(Optional.of(nodeId)))
        .sorted(Comparator.comparingLong(HostBinding::intentSeq).thenComparing(HostBinding::host))
        .collect(Collectors.toList());
  }

  /** The latest intent of one host; stores override this to avoid reading every intent. */
  default Optional<HostIntent> intent(String host) {
    return Optional.ofNullable(intents().get(host));
  }

  /**
   * The intents and bindings written after change sequence {@code since} (0: everything), so a
   * long-lived reader (the reconciler) pays for what changed, not for what exists. Every intent
   * write, binding write and binding delete is stamped with a store-wide change sequence that
   * increases in commit order; a write committed after this read gets a sequence above the
   * returned {@link StateChanges#sequence()}. The answer is one consistent read. A store may
   * answer complete at any time (it must when {@code since} is 0, or when it cannot tell what
   * changed, e.g. {@code since} is ahead of it because it was replaced); this default always does.
   */
  default StateChanges changesSince(long since) {
    return StateChanges.complete(0, intents(), bindings());
  }

  /**
   * The first host of the pool a booting node may claim: the REQUESTED binding without a node
   * whose host's latest intent is UP, oldest intent first (by {@code intentSeq}, then host).
   * Stores with an index override this; the default filters {@link #bindings(String, BindingPhase)}.
   */
  default Optional<HostBinding> firstClaimable(String poolId) {
    return bindings(poolId, BindingPhase.REQUESTED).stream()
        .filter(b -> b.nodeId().isEmpty())
        .filter(b -> intent(b.host()).map(i -> i.intent() == Intent.UP).orElse(false))
        .findFirst();
  }

  /**
   * {@link #putBinding} and, only if the binding was stored, {@link #appendEvents} of
   * {@code events}: one transaction in stores that have them (a join's claim and its history
   * line are one write). This default makes two writes, the event after the binding.
   */
  default Optional<HostBinding> putBinding(HostBinding binding, Collection<HostEvent> events) {
    Optional<HostBinding> stored = putBinding(binding);
    if (stored.isPresent() && !events.isEmpty()) {
      appendEvents(events);
    }
    return stored;
  }

  /**
   * Stores {@code binding} if the stored version equals {@code binding.version()} (0: must not
   * exist). Returns the stored binding with its new version, or empty when the compare failed.
   * A new version differs from every version the host's binding had before, also across a delete
   * and re-create, so a writer holding a binding from before the delete cannot overwrite the new one.
   */
  Optional<HostBinding> putBinding(HostBinding binding);

  /**
   * {@link #putBinding} of each binding in order, each compare-and-set on its own version: one
   * result per binding, empty where its compare failed (the others are still written). Stores with
   * transactions write the batch in one transaction, so a reconcile pass that requests many hosts
   * makes one durable write instead of one each; this default loops over {@link #putBinding}.
   */
  default List<Optional<HostBinding>> putBindings(List<HostBinding> bindings) {
    List<Optional<HostBinding>> out = new java.util.ArrayList<>(bindings.size());
    for (HostBinding b : bindings) {
      out.add(putBinding(b));
    }
    return out;
  }

  /** Deletes the binding if its stored version equals {@code expectedVersion}. */
  boolean deleteBinding(String host, long expectedVersion);

  Map<String, PoolRecord> pools();

  /** Compare-and-set like {@link #putBinding}. */
  Optional<PoolRecord> putPool(PoolRecord pool);

  /** Appends events (the store assigns their ids, increasing in append order). */
  void appendEvents(Collection<HostEvent> events);

  /**
   * The newest {@code limit} events of a host, oldest first. Order is by {@code at}, then append
   * order for equal times. {@code limit} must be positive.
   */
  List<HostEvent> hostEvents(String host, int limit);

  /** The newest {@code limit} events of a pool (its own and its hosts'), ordered like {@link #hostEvents}. */
  List<HostEvent> poolEvents(String poolId, int limit);

  /**
   * Deletes at most {@code limit} events whose time is before {@code before} and returns how many it
   * deleted; 0 means none is left. The leader calls this at a low rate to keep the events table
   * bounded (see docs/state-store.md, "Event retention"); a large backlog is deleted over several
   * calls so that no call holds a store lock for long. Which of the old events a call deletes first
   * is up to the store. {@code limit} must be positive. This default deletes nothing (a store that
   * cannot delete keeps every event); the SQLite, Azure Table and in-memory stores override it.
   */
  default int deleteEventsBefore(Instant before, int limit) {
    java.util.Objects.requireNonNull(before, "before");
    if (limit < 1) {
      throw new IllegalArgumentException("event limit must be positive: " + limit);
    }
    return 0;
  }

  /**
   * The newest intent sequence and the JOINED hosts ({@link StoreActivity}), for the daemon's poll
   * every second while idle: stores override this to read a counter and an index instead of every
   * intent and binding; this default filters {@link #intents()} and {@link #bindings()}.
   */
  default StoreActivity activity() {
    long newest = intents().values().stream().mapToLong(HostIntent::seq).max().orElse(0);
    return new StoreActivity(newest, bindings().values().stream().filter(b -> b.phase() == BindingPhase.JOINED)
        .map(HostBinding::host).collect(Collectors.toUnmodifiableSet()));
  }

  /**
   * Takes or renews the named lease for {@code holder} until {@code now + ttl}. Succeeds when the
   * lease is free, expired, or already held by {@code holder}; the fencing token increases only
   * when the holder changes. Empty when someone else holds it.
   */
  Optional<Lease> acquireLease(String name, String holder, Duration ttl, Instant now);

  /**
   * Gives the lease up if {@code holder} holds it (otherwise does nothing), so a standby need not
   * wait for the expiry. The next holder gets a higher fencing token.
   */
  void releaseLease(String name, String holder);

  /** The lease as stored, even if expired (the store reads no clock); empty when free. */
  Optional<Lease> lease(String name);

  @Override
  void close();
}
