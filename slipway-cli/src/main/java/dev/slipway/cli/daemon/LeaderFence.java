package dev.slipway.cli.daemon;

import dev.slipway.engine.SlurmHostState;
import dev.slipway.engine.SlurmPort;
import dev.slipway.engine.SlurmUpdate;
import dev.slipway.model.ErrorClass;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ForwardingStateStore;
import dev.slipway.spi.StateStore;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps what the reconciler changes (store, pools, Slurm) so every side effect first asks
 * {@code holds}: does this daemon still hold the lease it started the pass with, with time to spare?
 * The reconciler itself asks once, after planning; a pass can still outlive its lease while it
 * applies (an {@code scontrol} call blocks about 20 s while slurmctld fails over, longer than the
 * 15 s lease), and a standby may lead by then. A refused side effect looks like what the reconciler
 * already handles: a store write is a lost compare-and-set, a pool call a refusal that did not
 * start ({@link ErrorClass#RESIZE_IN_PROGRESS}, code {@value #CODE}: no backoff, no failure
 * counted), a Slurm update a failed call. The next leader recomputes all of it from the store.
 */
final class LeaderFence {
  static final String CODE = "NotLeader";
  private static final Logger log = LoggerFactory.getLogger(LeaderFence.class);

  private final BooleanSupplier holds;

  LeaderFence(BooleanSupplier holds) {
    this.holds = Objects.requireNonNull(holds, "holds");
  }

  private boolean refused(String what) {
    if (holds.getAsBoolean()) {
      return false;
    }
    log.warn("not leading any more: {} refused", what);
    return true;
  }

  NodeProvider provider(NodeProvider inner) {
    return new NodeProvider() {
      @Override
      public String name() {
        return inner.name();
      }

      @Override
      public List<NodePool> pools() {
        return inner.pools().stream().map(LeaderFence.this::pool).toList();
      }

      @Override
      public Optional<NodePool> pool(String id) {
        return inner.pool(id).map(LeaderFence.this::pool);
      }
    };
  }

  private NodePool pool(NodePool inner) {
    return new NodePool() {
      @Override
      public String id() {
        return inner.id();
      }

      @Override
      public int maxSize() {
        return inner.maxSize();
      }

      @Override
      public PoolStatus status() {
        return inner.status();
      }

      @Override
      public List<ProviderNode> nodes() {
        return inner.nodes();
      }

      @Override
      public void resize(PoolTarget target) {
        check("resize of pool " + inner.id() + " to " + target);
        inner.resize(target);
      }

      @Override
      public void remove(Collection<String> nodeIds) {
        check("removal of " + nodeIds.size() + " nodes from pool " + inner.id());
        inner.remove(nodeIds);
      }
    };
  }

  private void check(String what) {
    if (refused(what)) {
      throw new ProviderException(new ProviderError(ErrorClass.RESIZE_IN_PROGRESS, CODE, what + " refused: this daemon no longer leads"));
    }
  }

  SlurmPort slurm(SlurmPort inner) {
    return new SlurmPort() {
      @Override
      public Map<String, SlurmHostState> hostStates(Collection<String> hosts) {
        return inner.hostStates(hosts);
      }

      @Override
      public void update(SlurmUpdate update) {
        if (refused("Slurm update " + update.getClass().getSimpleName())) {
          throw new IllegalStateException("Slurm update refused: this daemon no longer leads");
        }
        inner.update(update);
      }
    };
  }

  StateStore store(StateStore inner) {
    // Reads pass through (ForwardingStateStore forwards every method, defaults included, so the
    // reconciler keeps the store's incremental reads); every binding, pool and event write is fenced.
    return new ForwardingStateStore(inner) {
      @Override
      public Optional<HostBinding> putBinding(HostBinding binding) {
        return refused("binding of " + binding.host()) ? Optional.empty() : super.putBinding(binding);
      }

      @Override
      public Optional<HostBinding> putBinding(HostBinding binding, Collection<HostEvent> events) {
        return refused("binding of " + binding.host()) ? Optional.empty() : super.putBinding(binding, events);
      }

      @Override
      public List<Optional<HostBinding>> putBindings(List<HostBinding> bindings) {
        if (refused(bindings.size() + " bindings")) {
          return bindings.stream().map(b -> Optional.<HostBinding>empty()).toList();
        }
        return super.putBindings(bindings);
      }

      @Override
      public boolean deleteBinding(String host, long expectedVersion) {
        return !refused("release of " + host) && super.deleteBinding(host, expectedVersion);
      }

      @Override
      public Optional<PoolRecord> putPool(PoolRecord pool) {
        return refused("pool record of " + pool.poolId()) ? Optional.empty() : super.putPool(pool);
      }

      @Override
      public void appendEvents(Collection<HostEvent> events) {
        if (!refused(events.size() + " events")) {
          super.appendEvents(events);
        }
      }

      @Override
      public void close() {
        // the runtime closes the store it opened
      }
    };
  }
}
