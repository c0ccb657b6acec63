package dev.slipway.slurm;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.PoolTopology;
import dev.slipway.spi.ClusterStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What {@code cluster status} reads from Slurm, the same on every backend: {@code scontrol ping}
 * and {@code sinfo -h -N -o %N|%P|%t} as text (run in a namespace locally, over ssh on Azure), and
 * the per-pool counts derived from the hosts' states.
 */
public final class SlurmStatusText {
  /** The {@code sinfo} arguments whose output {@link #hosts} reads. */
  public static final List<String> SINFO_ARGS = List.of("sinfo", "-h", "-N", "-o", "%N|%P|%t");

  private SlurmStatusText() {}

  /** {@code Slurmctld(primary) at NAME is UP} lines as NAME to {@code primary UP}. */
  public static Map<String, String> pingStates(String out) {
    Map<String, String> states = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      String[] w = line.strip().split("\\s+");
      if (w.length == 5 && w[0].startsWith("Slurmctld(") && w[0].endsWith(")")) {
        states.put(w[2], w[0].substring("Slurmctld(".length(), w[0].length() - 1) + " " + w[4]);
      }
    }
    return states;
  }

  /**
   * One host per node (sinfo lists a node once per partition), with the elastic pool its name
   * belongs to ({@code -} for nodes of no elastic pool).
   */
  public static List<ClusterStatus.Host> hosts(String sinfo, List<ElasticPartition> partitions) {
    ClusterTopology topology = ClusterTopology.fromPartitions(partitions);
    Map<String, ClusterStatus.Host> hosts = new LinkedHashMap<>();
    for (String line : sinfo.split("\n")) {
      String[] f = line.strip().split("\\|");
      if (f.length == 3) {
        hosts.putIfAbsent(f[0], new ClusterStatus.Host(f[0], topology.poolOfHost(f[0]).map(PoolTopology::poolId).orElse("-"), f[2]));
      }
    }
    return new ArrayList<>(hosts.values());
  }

  /** Counts per elastic partition and pool from the hosts' Slurm states; {@code targets} by pool id where known. */
  public static List<ClusterStatus.Partition> partitions(List<ElasticPartition> elastic, List<ClusterStatus.Host> hosts,
      Map<String, OptionalInt> targets) {
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
