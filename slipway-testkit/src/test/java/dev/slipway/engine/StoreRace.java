package dev.slipway.engine;

import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.Lease;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.StateStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A store that lets another writer act just before each binding write, to provoke compare-and-set races. */
final class StoreRace implements StateStore {
  private final StateStore delegate;
  private final Runnable beforePut;

  StoreRace(StateStore delegate, Runnable beforePut) {
    this.delegate = delegate;
    this.beforePut = beforePut;
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
  public Optional<HostBinding> putBinding(HostBinding binding) {
    beforePut.run();
    return delegate.putBinding(binding);
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
  public void close() {}
}
