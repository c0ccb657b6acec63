package dev.slipway.engine;

import dev.slipway.model.ErrorClass;
import dev.slipway.model.NodeType;
import dev.slipway.spi.Backoff;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Builds planner inputs tersely; every pool starts with an empty, steady provider pool. */
final class SnapshotBuilder {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final List<PoolTopology> topology = new ArrayList<>();
  private final Map<String, HostIntent> intents = new HashMap<>();
  private final Map<String, HostBinding> bindings = new HashMap<>();
  private final Map<String, PoolRecord> pools = new HashMap<>();
  private final Map<String, PoolStatus> statuses = new LinkedHashMap<>();
  private final Map<String, List<ProviderNode>> nodes = new HashMap<>();
  private final Map<String, Integer> maxSizes = new HashMap<>();
  private final Set<String> unreadable = new java.util.HashSet<>();
  private final Map<String, SlurmHostState> slurm = new HashMap<>();
  private boolean slurmReadable = true;

  SnapshotBuilder pool(String id, int max, NodeType type, String partition, String... reclaimExcluded) {
    topology.add(new PoolTopology(id, id, max, type, partition, 1, Set.of(reclaimExcluded)));
    statuses.put(id, new PoolStatus(PoolTarget.ZERO, false, List.of()));
    nodes.put(id, new ArrayList<>());
    maxSizes.put(id, max);
    return this;
  }

  SnapshotBuilder pool(String id, int max) {
    return pool(id, max, NodeType.DEDICATED, "batch");
  }

  SnapshotBuilder intent(String host, String pool, Intent intent, IntentSource source, long seq, Instant at) {
    intents.put(host, new HostIntent(host, pool, intent, source, seq, at, List.of()));
    return this;
  }

  SnapshotBuilder up(String host, String pool, long seq, Instant at) {
    return intent(host, pool, Intent.UP, IntentSource.RESUME, seq, at);
  }

  SnapshotBuilder down(String host, String pool, long seq, Instant at) {
    return intent(host, pool, Intent.DOWN, IntentSource.SUSPEND, seq, at);
  }

  SnapshotBuilder binding(String host, String pool, BindingPhase phase, String nodeId, long seq, Instant since) {
    return binding(host, pool, phase, nodeId, seq, since, null);
  }

  SnapshotBuilder binding(String host, String pool, BindingPhase phase, String nodeId, long seq, Instant since, ProviderError error) {
    bindings.put(host, new HostBinding(host, pool, phase, Optional.ofNullable(nodeId), Optional.ofNullable(nodeId).map(SnapshotBuilder::addressOf),
        seq, since, Optional.ofNullable(error), 7));
    return this;
  }

  SnapshotBuilder node(String id, String pool, ProviderNodeState state, Instant createdAt) {
    return node(id, pool, state, false, createdAt, null);
  }

  SnapshotBuilder node(String id, String pool, ProviderNodeState state, boolean lowPriority, Instant createdAt, ProviderError error) {
    nodes.get(pool).add(new ProviderNode(id, pool, state, lowPriority, Optional.of(addressOf(id)), createdAt, Optional.ofNullable(error)));
    return this;
  }

  SnapshotBuilder status(String pool, int dedicated, int lowPriority, boolean resizing, ProviderError... errors) {
    statuses.put(pool, new PoolStatus(new PoolTarget(dedicated, lowPriority), resizing, List.of(errors)));
    return this;
  }

  SnapshotBuilder maxSize(String pool, int max) {
    maxSizes.put(pool, max);
    return this;
  }

  SnapshotBuilder record(String pool, PoolTarget requested, Instant resizeStartedAt, Backoff backoff) {
    pools.put(pool, new PoolRecord(pool, requested, Optional.ofNullable(resizeStartedAt), backoff, 3));
    return this;
  }

  SnapshotBuilder backoff(String pool, ErrorClass cls, String code, int level, Instant until) {
    return record(pool, PoolTarget.ZERO, null, new Backoff(level, Optional.of(until), Optional.of(cls), Optional.of(code)));
  }

  SnapshotBuilder slurm(String host, SlurmHostState.Power power, boolean down, boolean responding, String address, String reason) {
    slurm.put(host, new SlurmHostState(host, power, down, false, responding, Optional.ofNullable(address), Optional.ofNullable(reason)));
    return this;
  }

  SnapshotBuilder slurmIdleOff(String host) {
    return slurm(host, SlurmHostState.Power.POWERED_DOWN, false, false, null, null);
  }

  SnapshotBuilder slurmPoweringUp(String host) {
    return slurm(host, SlurmHostState.Power.POWERING_UP, false, false, null, null);
  }

  SnapshotBuilder slurmUp(String host, String address) {
    return slurm(host, SlurmHostState.Power.POWERED_UP, false, true, address, null);
  }

  SnapshotBuilder unreadable(String pool) {
    unreadable.add(pool);
    return this;
  }

  SnapshotBuilder slurmUnreadable() {
    slurmReadable = false;
    return this;
  }

  Snapshot build() {
    Map<String, PoolObservation> observed = new HashMap<>();
    statuses.forEach((id, status) -> {
      if (!unreadable.contains(id)) {
        observed.put(id, new PoolObservation(status, nodes.get(id), maxSizes.get(id)));
      }
    });
    return new Snapshot(topology, intents, bindings, pools, observed, slurmReadable ? Optional.of(slurm) : Optional.empty());
  }

  static String addressOf(String nodeId) {
    return "10.0.0." + Math.abs(nodeId.hashCode() % 250);
  }
}
