package dev.slipway.hooks;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.model.HostList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which elastic pool a Slurm host name belongs to. Each pool owns the hostlist
 * {@code <host_prefix>-[0-(max-1)]}; a name belongs to the pool whose hostlist contains it,
 * matched with {@link HostList#contains} (literal text and numeric ranges, never a regular
 * expression: Batch Shipyard's regex matching let {@code gpu-[0-31]} match only {@code gpu-0..3}).
 * A pool listed under several partitions is one pool. Pools without hosts own nothing.
 */
public final class HostPools {
  /** One pool's id and the hosts it owns. */
  public record PoolHosts(String poolId, HostList hosts) {
    public PoolHosts {
      Objects.requireNonNull(poolId, "poolId");
      Objects.requireNonNull(hosts, "hosts");
    }
  }

  private final List<PoolHosts> pools;

  public HostPools(List<PoolHosts> pools) {
    this.pools = List.copyOf(pools);
  }

  /** The pools of every elastic partition, in configuration order, each pool once. */
  public static HostPools of(List<ElasticPartition> partitions) {
    Map<String, PoolHosts> byId = new LinkedHashMap<>();
    for (ElasticPartition partition : partitions) {
      for (ElasticPool pool : partition.pools()) {
        HostList hosts = pool.maxComputeNodes() < 1 ? HostList.empty() : HostList.parse(pool.hostListExpression());
        byId.putIfAbsent(pool.id(), new PoolHosts(pool.id(), hosts));
      }
    }
    return new HostPools(new ArrayList<>(byId.values()));
  }

  /** The pool that owns {@code host}, if any. */
  public Optional<String> poolOf(String host) {
    for (PoolHosts p : pools) {
      if (p.hosts().contains(host)) {
        return Optional.of(p.poolId());
      }
    }
    return Optional.empty();
  }

  public List<PoolHosts> pools() {
    return pools;
  }

  /** {@code cpu (cpu-[0-7]), gpu (gpu-[0-1])}, or {@code none} — for messages about unknown hosts. */
  public String describe() {
    if (pools.isEmpty()) {
      return "none";
    }
    return pools.stream()
        .map(p -> p.poolId() + " (" + (p.hosts().isEmpty() ? "no hosts" : p.hosts().expression()) + ")")
        .collect(Collectors.joining(", "));
  }
}
