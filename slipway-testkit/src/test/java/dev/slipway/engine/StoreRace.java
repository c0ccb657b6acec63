package dev.slipway.engine;

import dev.slipway.spi.ForwardingStateStore;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.StateStore;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A store that lets another writer act just before each binding write (single, with events, or a
 * batch, which is one transaction), to provoke compare-and-set races.
 */
final class StoreRace extends ForwardingStateStore {
  private final Runnable beforePut;

  StoreRace(StateStore delegate, Runnable beforePut) {
    super(delegate);
    this.beforePut = beforePut;
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding) {
    beforePut.run();
    return super.putBinding(binding);
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding, Collection<HostEvent> events) {
    beforePut.run();
    return super.putBinding(binding, events);
  }

  @Override
  public List<Optional<HostBinding>> putBindings(List<HostBinding> bindings) {
    beforePut.run();
    return super.putBindings(bindings);
  }

  @Override
  public void close() {
    // the test closes the store it made
  }
}
