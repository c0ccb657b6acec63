package dev.slipway.simulate;

import dev.slipway.spi.ForwardingStateStore;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.StateStore;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The daemon's store connection, which can "lose power" after a given number of writes: the write
 * that would exceed the budget is not made and {@link DaemonCrashed} is thrown instead. The harness
 * arms it for one pass to crash the daemon in the middle of applying a plan, between any two of
 * its durable steps, which is where crash safety is tested hardest.
 */
final class CrashPointStore extends ForwardingStateStore {
  /** Thrown in place of the write the crash interrupted. */
  static final class DaemonCrashed extends RuntimeException {
    DaemonCrashed(int writes) {
      super("simulated daemon crash after " + writes + " store writes of the pass", null, false, false);
    }
  }

  private int budget = -1;
  private int writes;

  CrashPointStore(StateStore delegate) {
    super(delegate);
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
    return super.recordIntents(requests, at);
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding) {
    write();
    return super.putBinding(binding);
  }

  /** One transaction in the store, so one durable step: the crash comes before the batch or after it. */
  @Override
  public List<Optional<HostBinding>> putBindings(List<HostBinding> bindings) {
    write();
    return super.putBindings(bindings);
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding, Collection<HostEvent> events) {
    write();
    return super.putBinding(binding, events);
  }

  @Override
  public boolean deleteBinding(String host, long expectedVersion) {
    write();
    return super.deleteBinding(host, expectedVersion);
  }

  @Override
  public Optional<PoolRecord> putPool(PoolRecord pool) {
    write();
    return super.putPool(pool);
  }

  @Override
  public void appendEvents(Collection<HostEvent> events) {
    write();
    super.appendEvents(events);
  }
}
