package dev.slipway.engine;

import java.util.List;
import java.util.Map;

/**
 * One {@code scontrol update} the engine asks for, over at most {@link #MAX_HOSTS} hosts (the planner
 * chunks longer lists, so one command line stays well below the kernel's argument limit).
 */
public sealed interface SlurmUpdate {
  int MAX_HOSTS = 500;

  List<String> hosts();

  /** {@code State=DOWN Reason=...}: Slurm requeues the host's jobs and schedules around it. */
  record MarkDown(List<String> hosts, String reason) implements SlurmUpdate {
    public MarkDown {
      hosts = List.copyOf(hosts);
    }
  }

  /** {@code State=RESUME}: clears a DOWN the engine set, so a powered-down host is schedulable again. */
  record ReturnToService(List<String> hosts) implements SlurmUpdate {
    public ReturnToService {
      hosts = List.copyOf(hosts);
    }
  }

  /**
   * {@code State=POWER_DOWN_FORCE}: the host's node is gone; Slurm requeues what ran there and
   * powers the host down, which ends in a suspend intent.
   */
  record PowerDown(List<String> hosts, String reason) implements SlurmUpdate {
    public PowerDown {
      hosts = List.copyOf(hosts);
    }
  }

  /** {@code NodeAddr=...} for hosts whose node joined (needed only without {@code cloud_reg_addrs}). */
  record SetAddress(Map<String, String> addresses) implements SlurmUpdate {
    public SetAddress {
      addresses = Map.copyOf(addresses);
    }

    @Override
    public List<String> hosts() {
      return addresses.keySet().stream().sorted().toList();
    }
  }
}
