package dev.slipway.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A store that passes every call to another one, for wrappers that change a few calls (a leader's
 * fence, a simulated crash, a test's race) and must not change the others.
 *
 * <p>It forwards the SPI's default methods too. A wrapper that implemented {@link StateStore}
 * directly inherited the defaults instead, and so silently lost what the wrapped store does
 * better: the daemon's fence once did exactly that with {@link #changesSince}, and every pass read
 * every intent and binding. {@code ForwardingStateStoreTest} fails when a method of the SPI is not
 * forwarded here, so a new SPI method cannot be missed again.
 *
 * <p>A wrapper that intercepts a write must consider every method that writes the same thing:
 * {@link #putBinding(HostBinding)}, {@link #putBinding(HostBinding, Collection)} and
 * {@link #putBindings(List)} all write bindings.
 */
public abstract class ForwardingStateStore implements StateStore {
  private final StateStore delegate;

  protected ForwardingStateStore(StateStore delegate) {
    this.delegate = java.util.Objects.requireNonNull(delegate, "delegate");
  }

  /** The store calls are passed to. */
  protected final StateStore delegate() {
    return delegate;
  }

  @Override
  public List<HostIntent> recordIntents(Collection<IntentRequest> requests, Instant at) {
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
  public StateChanges changesSince(long since) {
    return delegate.changesSince(since);
  }

  @Override
  public Optional<HostBinding> firstClaimable(String poolId) {
    return delegate.firstClaimable(poolId);
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding, Collection<HostEvent> events) {
    return delegate.putBinding(binding, events);
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding) {
    return delegate.putBinding(binding);
  }

  @Override
  public List<Optional<HostBinding>> putBindings(List<HostBinding> bindings) {
    return delegate.putBindings(bindings);
  }

  @Override
  public boolean deleteBinding(String host, long expectedVersion) {
    return delegate.deleteBinding(host, expectedVersion);
  }

  @Override
  public Map<String, PoolRecord> pools() {
    return delegate.pools();
  }

  @Override
  public Optional<PoolRecord> putPool(PoolRecord pool) {
    return delegate.putPool(pool);
  }

  @Override
  public void appendEvents(Collection<HostEvent> events) {
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
  public int deleteEventsBefore(Instant before, int limit) {
    return delegate.deleteEventsBefore(before, limit);
  }

  @Override
  public StoreActivity activity() {
    return delegate.activity();
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
