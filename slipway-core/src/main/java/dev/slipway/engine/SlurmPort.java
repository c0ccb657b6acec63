package dev.slipway.engine;

import java.util.Collection;
import java.util.Map;

/**
 * The little of Slurm the engine needs: read host states, apply updates. The production adapter
 * runs {@code scontrol}; tests use a fake. Both methods may throw any RuntimeException when Slurm
 * cannot be reached; the reconciler then skips the Slurm-dependent rules for that pass.
 */
public interface SlurmPort {
  /** States of the given hosts; hosts Slurm does not know are absent from the map. */
  Map<String, SlurmHostState> hostStates(Collection<String> hosts);

  void update(SlurmUpdate update);
}
