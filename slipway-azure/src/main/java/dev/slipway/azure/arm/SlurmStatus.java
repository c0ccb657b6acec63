package dev.slipway.azure.arm;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.slurm.NodeBaseState;
import dev.slipway.slurm.SlurmNodeState;
import dev.slipway.spi.ClusterStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** Reads {@code scontrol ping} and {@code sinfo -h -N -o %N|%P|%t} as run on the primary controller. */
final class SlurmStatus {
  private SlurmStatus() {}

  /** {@code Slurmctld(primary) at NAME is UP} lines as NAME to {@code primary UP}. */
  static Map<String, String> pingStates(String out) {
    Map<String, String> states = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      String[] w = line.strip().split("\\s+");
      if (w.length == 5 && w[0].startsWith("Slurmctld(") && w[0].endsWith(")")) {
        states.put(w[2], w[0].substring("Slurmctld(".length(), w[0].length() - 1) + " " + w[4]);
      }
    }
    return states;
  }

  /** One host per node (a node in two partitions is listed once), with the pool its name belongs to. */
  static List<ClusterStatus.Host> hosts(String sinfo, List<ElasticPartition> partitions) {
    Map<String, ClusterStatus.Host> hosts = new LinkedHashMap<>();
    for (String line : sinfo.split("\n")) {
      String[] f = line.strip().split("\\|");
      if (f.length == 3) {
        hosts.putIfAbsent(f[0], new ClusterStatus.Host(f[0], poolOf(f[0], partitions).map(ElasticPool::id).orElse("-"), f[2]));
      }
    }
    return new ArrayList<>(hosts.values());
  }

  private static Optional<ElasticPool> poolOf(String host, List<ElasticPartition> partitions) {
    return partitions.stream().flatMap(p -> p.pools().stream())
        .filter(p -> host.startsWith(p.hostPrefix() + "-") && !host.substring(p.hostPrefix().length() + 1).isEmpty()
            && host.substring(p.hostPrefix().length() + 1).chars().allMatch(Character::isDigit))
        .findFirst();
  }

  /** Counts per elastic partition and pool from the hosts' Slurm states; targets from the Batch pools when known. */
  static List<ClusterStatus.Partition> partitions(List<ElasticPartition> elastic, List<ClusterStatus.Host> hosts,
      List<ClusterStatus.Partition> batchPools) {
    Map<String, OptionalInt> targets = new HashMap<>();
    batchPools.forEach(part -> part.pools().forEach(p -> targets.put(p.id(), p.target())));
    List<ClusterStatus.Partition> out = new ArrayList<>();
    for (ElasticPartition part : elastic) {
      List<ClusterStatus.Pool> pools = new ArrayList<>();
      for (ElasticPool pool : part.pools()) {
        int booting = 0, idle = 0, allocated = 0, failed = 0, down = 0;
        for (ClusterStatus.Host h : hosts) {
          if (!h.pool().equals(pool.id())) {
            continue;
          }
          SlurmNodeState s = SlurmNodeState.parseCompact(h.state());
          if (s.isDown() || s.isDrain() || s.base() == NodeBaseState.ERROR) {
            failed++;
          } else if (s.isPoweringUp()) {
            booting++;
          } else if (s.isPoweredDownOrPoweringDown()) {
            down++;
          } else if (s.base() == NodeBaseState.ALLOCATED || s.base() == NodeBaseState.MIXED) {
            allocated++;
          } else if (s.base() == NodeBaseState.IDLE) {
            idle++;
          }
        }
        pools.add(new ClusterStatus.Pool(pool.id(), targets.getOrDefault(pool.id(), OptionalInt.empty()), booting, idle, allocated, failed, down));
      }
      out.add(new ClusterStatus.Partition(part.name(), pools));
    }
    return out;
  }
}
