package dev.slipway.slurm;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the engine reads from and changes in Slurm: node states, and NodeAddr/State/Reason updates.
 * Implemented over scontrol ({@link ScontrolSlurmControl}) and in memory for tests (FakeSlurm in
 * slipway-testkit). Failures are {@link SlurmControlException}s.
 */
public interface SlurmControl {
  /** At most this many node names go into one scontrol call (keeps command lines and RPCs small). */
  int MAX_NAMES_PER_CALL = 500;

  /** Every node Slurm knows, FUTURE nodes included, in Slurm's order. */
  List<SlurmNode> nodes();

  /** The named hosts that Slurm knows, by name; one read for all of them. */
  default Map<String, SlurmNode> nodes(Collection<String> hosts) {
    Set<String> wanted = Set.copyOf(hosts);
    Map<String, SlurmNode> found = new LinkedHashMap<>();
    for (SlurmNode node : nodes()) {
      if (wanted.contains(node.name())) {
        found.put(node.name(), node);
      }
    }
    return found;
  }

  void update(NodeUpdate update);

  /** Sets NodeAddr of each host (for nodes that cannot register their address themselves). */
  void setAddresses(Map<String, String> addressByHost);
}
