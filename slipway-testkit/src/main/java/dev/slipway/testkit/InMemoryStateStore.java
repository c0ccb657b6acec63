package dev.slipway.testkit;

import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.Lease;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.StateChanges;
import dev.slipway.spi.StateStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A {@link StateStore} in memory with the same semantics as the durable ones: compare-and-set on
 * versions (a new record must be put with version 0; each write returns version + 1), one
 * cluster-wide intent sequence, store-assigned event ids, and leases whose fencing token grows
 * only when the holder changes. Tests "crash" an engine by building a new one on the same store.
 * All methods are synchronized, so it is safe to share between threads.
 */
public final class InMemoryStateStore implements StateStore {
  private final Map<String, HostIntent> intents = new TreeMap<>();
  private final Map<String, HostBinding> bindings = new TreeMap<>();
  private final Map<String, PoolRecord> pools = new TreeMap<>();
  private final List<HostEvent> events = new ArrayList<>();
  private final Map<String, Lease> leases = new HashMap<>();
  private final Map<String, Long> lastFencing = new HashMap<>();
  /** The last version a deleted binding had, so a re-created binding never reuses a version. */
  private final Map<String, Long> retiredVersions = new HashMap<>();
  /** The change sequence of each host's last intent or binding write (see {@link #changesSince}). */
  private final Map<String, Long> changed = new HashMap<>();
  private long changeSeq;
  /** The change sequence at the last {@link #wipe()}: a reader from before it must read everything. */
  private long wipedAt;
  private long seq;
  private long eventId;
  private boolean closed;

  @Override
  public synchronized List<HostIntent> recordIntents(Collection<IntentRequest> requests, Instant at) {
    open();
    // Build every intent before storing any, so an invalid request leaves the store untouched.
    List<HostIntent> out = new ArrayList<>();
    long next = seq;
    for (IntentRequest r : requests) {
      r.requireValid();
      out.add(new HostIntent(r.host(), r.poolId(), r.intent(), r.source(), ++next, at, r.jobIds()));
    }
    seq = next;
    changeSeq++;
    out.forEach(i -> {
      intents.put(i.host(), i);
      changed.put(i.host(), changeSeq);
    });
    return out;
  }

  @Override
  public synchronized Map<String, HostIntent> intents() {
    open();
    return Map.copyOf(intents);
  }

  @Override
  public synchronized Map<String, HostBinding> bindings() {
    open();
    return Map.copyOf(bindings);
  }

  @Override
  public synchronized Optional<HostBinding> binding(String host) {
    open();
    return Optional.ofNullable(bindings.get(host));
  }

  @Override
  public synchronized Optional<HostBinding> putBinding(HostBinding b) {
    open();
    long stored = Optional.ofNullable(bindings.get(b.host())).map(HostBinding::version).orElse(0L);
    if (stored != b.version()) {
      return Optional.empty();
    }
    long base = stored == 0 ? retiredVersions.getOrDefault(b.host(), 0L) : stored;
    HostBinding next = new HostBinding(b.host(), b.poolId(), b.phase(), b.nodeId(), b.address(), b.intentSeq(), b.since(), b.error(), base + 1);
    bindings.put(b.host(), next);
    changed.put(b.host(), ++changeSeq);
    return Optional.of(next);
  }

  @Override
  public synchronized Optional<HostBinding> putBinding(HostBinding b, Collection<HostEvent> newEvents) {
    // Synchronized as a whole: the claim and its events are one step, like one SQLite transaction.
    Optional<HostBinding> stored = putBinding(b);
    if (stored.isPresent()) {
      appendEvents(newEvents);
    }
    return stored;
  }

  @Override
  public synchronized List<Optional<HostBinding>> putBindings(List<HostBinding> batch) {
    // Synchronized as a whole, like the one SQLite transaction: no reader sees half the batch.
    List<Optional<HostBinding>> out = new ArrayList<>(batch.size());
    batch.forEach(b -> out.add(putBinding(b)));
    return out;
  }

  @Override
  public synchronized StateChanges changesSince(long since) {
    open();
    if (since <= 0 || since < wipedAt || since > changeSeq) {
      return StateChanges.complete(changeSeq, Map.copyOf(intents), Map.copyOf(bindings));
    }
    Set<String> hosts = new HashSet<>();
    Map<String, HostIntent> changedIntents = new HashMap<>();
    Map<String, HostBinding> changedBindings = new HashMap<>();
    changed.forEach((host, at) -> {
      if (at > since) {
        hosts.add(host);
        Optional.ofNullable(intents.get(host)).ifPresent(i -> changedIntents.put(host, i));
        Optional.ofNullable(bindings.get(host)).ifPresent(b -> changedBindings.put(host, b));
      }
    });
    return new StateChanges(changeSeq, false, Set.copyOf(hosts), Map.copyOf(changedIntents), Map.copyOf(changedBindings));
  }

  @Override
  public synchronized boolean deleteBinding(String host, long expectedVersion) {
    open();
    HostBinding b = bindings.get(host);
    if (b == null || b.version() != expectedVersion) {
      return false;
    }
    bindings.remove(host);
    retiredVersions.put(host, b.version());
    changed.put(host, ++changeSeq);
    return true;
  }

  @Override
  public synchronized Map<String, PoolRecord> pools() {
    open();
    return Map.copyOf(pools);
  }

  @Override
  public synchronized Optional<PoolRecord> putPool(PoolRecord p) {
    open();
    long stored = Optional.ofNullable(pools.get(p.poolId())).map(PoolRecord::version).orElse(0L);
    if (stored != p.version()) {
      return Optional.empty();
    }
    PoolRecord next = new PoolRecord(p.poolId(), p.requested(), p.resizeStartedAt(), p.backoff(), stored + 1);
    pools.put(p.poolId(), next);
    return Optional.of(next);
  }

  @Override
  public synchronized void appendEvents(Collection<HostEvent> newEvents) {
    open();
    for (HostEvent e : newEvents) {
      events.add(new HostEvent(++eventId, e.at(), e.host(), e.poolId(), e.kind(), e.message()));
    }
  }

  @Override
  public synchronized List<HostEvent> hostEvents(String host, int limit) {
    return newest(e -> e.host().equals(Optional.of(host)), limit);
  }

  @Override
  public synchronized List<HostEvent> poolEvents(String poolId, int limit) {
    return newest(e -> e.poolId().equals(poolId), limit);
  }

  @Override
  public synchronized int deleteEventsBefore(Instant before, int limit) {
    open();
    java.util.Objects.requireNonNull(before, "before");
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive, not " + limit);
    }
    int deleted = 0;
    for (java.util.Iterator<HostEvent> it = events.iterator(); it.hasNext() && deleted < limit; ) {
      if (it.next().at().isBefore(before)) {
        it.remove();
        deleted++;
      }
    }
    return deleted;
  }

  private List<HostEvent> newest(Predicate<HostEvent> filter, int limit) {
    open();
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive, not " + limit);
    }
    List<HostEvent> matching = events.stream().filter(filter)
        .sorted(java.util.Comparator.comparing(HostEvent::at).thenComparingLong(HostEvent::id)).toList();
    return List.copyOf(matching.subList(Math.max(0, matching.size() - limit), matching.size()));
  }

  @Override
  public synchronized Optional<Lease> acquireLease(String name, String holder, Duration ttl, Instant now) {
    open();
    Lease current = leases.get(name);
    boolean free = current == null || !current.expiresAt().isAfter(now);
    if (!free && !current.holder().equals(holder)) {
      return Optional.empty();
    }
    long token = lastFencing.getOrDefault(name, 0L);
    if (current == null || !current.holder().equals(holder)) {
      token++;
    }
    Lease next = new Lease(name, holder, token, now.plus(ttl));
    leases.put(name, next);
    lastFencing.put(name, token);
    return Optional.of(next);
  }

  @Override
  public synchronized void releaseLease(String name, String holder) {
    open();
    Lease current = leases.get(name);
    if (current != null && current.holder().equals(holder)) {
      leases.remove(name);
    }
  }

  @Override
  public synchronized Optional<Lease> lease(String name) {
    open();
    return Optional.ofNullable(leases.get(name));
  }

  /** Forgets everything, as after the loss of the store's file (drift tests). Sequences keep growing. */
  public synchronized void wipe() {
    wipedAt = ++changeSeq;
    changed.clear();
    intents.clear();
    bindings.clear();
    pools.clear();
    events.clear();
    leases.clear();
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  private void open() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }
}
