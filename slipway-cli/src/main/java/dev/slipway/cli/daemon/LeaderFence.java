package dev.slipway.cli.daemon;

import dev.slipway.engine.SlurmHostState;
import dev.slipway.engine.SlurmPort;
import dev.slipway.engine.SlurmUpdate;
import dev.slipway.model.ErrorClass;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.Lease;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.StateChanges;
import dev.slipway.spi.StateStore;
import java.time.Duration;
import java.time.Instant;
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
    return new StateStore() {
      @Override
      public List<HostIntent> recordIntents(Collection<IntentRequest> requests, Instant at) {
        return inner.recordIntents(requests, at);
      }

      @Override
      public Map<String, HostIntent> intents() {
        return inner.intents();
      }

      @Override
      public Map<String, HostBinding> bindings() {
        return inner.bindings();
      }

      @Override
      public Optional<HostBinding> binding(String host) {
        return inner.binding(host);
      }

      @Override
      public List<HostBinding> bindings(String poolId, BindingPhase phase) {
        return inner.bindings(poolId, phase);
      }

      @Override
      public List<HostBinding> bindingsOfNode(String nodeId) {
        return inner.bindingsOfNode(nodeId);
      }

      @Override
      public Optional<HostBinding> putBinding(HostBinding binding) {
        return refused("binding of " + binding.host()) ? Optional.empty() : inner.putBinding(binding);
      }

      @Override
      public List<Optional<HostBinding>> putBindings(List<HostBinding> bindings) {
        if (refused(bindings.size() + " bindings")) {
          List<Optional<HostBinding>> none = new java.util.ArrayList<>();
          bindings.forEach(b -> none.add(Optional.empty()));
          return none;
        }
        return inner.putBindings(bindings);
      }

      @Override
      public StateChanges changesSince(long since) {
        // A read: without this the reconciler behind the fence read everything every pass.
        return inner.changesSince(since);
      }

      @Override
      public boolean deleteBinding(String host, long expectedVersion) {
        return !refused("release of " + host) && inner.deleteBinding(host, expectedVersion);
      }

      @Override
      public Map<String, PoolRecord> pools() {
        return inner.pools();
      }

      @Override
      public Optional<PoolRecord> putPool(PoolRecord pool) {
        return refused("pool record of " + pool.poolId()) ? Optional.empty() : inner.putPool(pool);
      }

      @Override
      public void appendEvents(Collection<HostEvent> events) {
        if (!refused(events.size() + " events")) {
          inner.appendEvents(events);
        }
      }

      @Override
      public List<HostEvent> hostEvents(String host, int limit) {
        return inner.hostEvents(host, limit);
      }

      @Override
      public List<HostEvent> poolEvents(String poolId, int limit) {
        return inner.poolEvents(poolId, limit);
      }

      @Override
      public Optional<Lease> acquireLease(String name, String holder, Duration ttl, Instant now) {
        return inner.acquireLease(name, holder, ttl, now);
      }

      @Override
      public void releaseLease(String name, String holder) {
        inner.releaseLease(name, holder);
      }

      @Override
      public Optional<Lease> lease(String name) {
        return inner.lease(name);
      }

      @Override
      public void close() {
        // the runtime closes the store it opened
      }
    };
  }
}
