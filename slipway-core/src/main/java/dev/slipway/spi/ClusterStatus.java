package dev.slipway.spi;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A snapshot of a cluster as its provisioner sees it: the fixed machines, the partitions with their
 * pools' node counts, and every Slurm host with its state.
 *
 * @param phase what the provisioner last did: absent, creating, running, suspended, failed
 * @param slurmReachable whether Slurm answered the queries behind partitions and hosts
 */
public record ClusterStatus(
    String clusterId,
    String phase,
    List<Machine> controllers,
    List<Machine> logins,
    List<Partition> partitions,
    List<Host> hosts,
    boolean slurmReachable) {
  public ClusterStatus {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(phase, "phase");
    controllers = List.copyOf(controllers);
    logins = List.copyOf(logins);
    partitions = List.copyOf(partitions);
    hosts = List.copyOf(hosts);
  }

  /**
   * A controller or login node.
   *
   * @param state {@code running}, {@code stopped}, or Slurm's word for a controller
   *     ({@code primary UP}, {@code backup DOWN}...)
   */
  public record Machine(String name, String address, String state, Optional<Long> pid) {}

  public record Partition(String name, List<Pool> pools) {
    public Partition {
      pools = List.copyOf(pools);
    }
  }

  /**
   * Node counts of one pool. {@code target} is what the daemon last asked for; absent when no
   * daemon state is readable.
   */
  public record Pool(String id, OptionalInt target, int booting, int idle, int allocated, int failed, int poweredDown) {}

  /** One Slurm host: name, pool, and Slurm's compact state ({@code idle~}, {@code alloc#}...). */
  public record Host(String name, String pool, String state) {}
}
