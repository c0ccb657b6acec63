package dev.slipway.simulate;

import dev.slipway.spi.BindingPhase;
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
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The daemon's store connection, which can "lose power" after a given number of writes: the write
 * that would exceed the budget is not made and {@link DaemonCrashed} is thrown instead. The harness
 * arms it for one pass to crash the daemon in the middle of applying a plan, between any two of
 * its durable steps, which is where crash safety is tested hardest.
 */
final class CrashPointStore implements StateStore {
  /** Thrown in place of the write the crash interrupted. */
  static final class DaemonCrashed extends RuntimeException {
    DaemonCrashed(int writes) {
      super("simulated daemon crash after " + writes + " store writes of the pass", null, false, false);
    }
  }

  private final StateStore delegate;
  private int budget = -1;
  private int writes;

  CrashPointStore(StateStore delegate) {
    this.delegate = delegate;
  }

  /** The next {@code writes} writes succeed; the one after crashes. */
  void crashAfter(int writesAllowed) {
    this.budget = writesAllowed;
    this.writes = 0;
  }

  void disarm() {
    budget = -1;
  }

  private void write() {
    if (budget >= 0) {
      if (writes >= budget) {
        int made = writes;
        budget = -1;
        throw new DaemonCrashed(made);
      }
      writes++;
    }
  }

  @Override
  public List<HostIntent> recordIntents(Collection<IntentRequest> requests, Instant at) {
    write();
    return delegate.recordIntents(requests, at);
  }

  @Override
  public Map<String, HostIntent> intents() {
    return delegate.intents();
  }

  @Override
  public Map<String, HostBinding> bindings() {
    return delegate.bindings();
  }

  @Override
  public Optional<HostBinding> binding(String host) {
    return delegate.binding(host);
  }

  @Override
  public List<HostBinding> bindings(String poolId, BindingPhase phase) {
    return delegate.bindings(poolId, phase);
  }

  @Override
  public List<HostBinding> bindingsOfNode(String nodeId) {
    return delegate.bindingsOfNode(nodeId);
  }

  @Override
  public Optional<HostIntent> intent(String host) {
    return delegate.intent(host);
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding) {
    write();
    return delegate.putBinding(binding);
  }

  /** One transaction in the store, so one durable step: the crash comes before the batch or after it. */
  @Override
  public List<Optional<HostBinding>> putBindings(List<HostBinding> bindings) {
    write();
    return delegate.putBindings(bindings);
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding, Collection<HostEvent> events) {
    write();
    return delegate.putBinding(binding, events);
  }

  @Override
  public StateChanges changesSince(long since) {
    return delegate.changesSince(since);
  }

  @Override
  public Optional<HostBinding> firstClaimable(String poolId) {
    return delegate.firstClaimable(poolId);
  }

  @Override
  public boolean deleteBinding(String host, long expectedVersion) {
    write();
    return delegate.deleteBinding(host, expectedVersion);
  }

  @Override
  public Map<String, PoolRecord> pools() {
    return delegate.pools();
  }

  @Override
  public Optional<PoolRecord> putPool(PoolRecord pool) {
    write();
    return delegate.putPool(pool);
  }

  @Override
  public void appendEvents(Collection<HostEvent> events) {
    write();
    delegate.appendEvents(events);
  }

  @Override
  public List<HostEvent> hostEvents(String host, int limit) {
    return delegate.hostEvents(host, limit);
  }

  @Override
  public List<HostEvent> poolEvents(String poolId, int limit) {
    return delegate.poolEvents(poolId, limit);
  }

  @Override
  public Optional<Lease> acquireLease(String name, String holder, Duration ttl, Instant now) {
    return delegate.acquireLease(name, holder, ttl, now);
  }

  @Override
  public void releaseLease(String name, String holder) {
    delegate.releaseLease(name, holder);
  }

  @Override
  public Optional<Lease> lease(String name) {
    return delegate.lease(name);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
