package dev.slipway.slurm;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code scontrol update} applied to many hosts: a state change, a reason, or both. The
 * implementation splits it into calls of at most {@link SlurmControl#MAX_NAMES_PER_CALL} names.
 */
public record NodeUpdate(List<String> hosts, Optional<NodeStateChange> state, Optional<String> reason) {
  public NodeUpdate {
    hosts = List.copyOf(hosts);
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reason, "reason");
    if (state.isEmpty() && reason.isEmpty()) {
      throw new IllegalArgumentException("a node update needs a state or a reason");
    }
    if (state.isPresent() && state.get().needsReason() && reason.isEmpty()) {
      throw new IllegalArgumentException("Slurm refuses State=" + state.get() + " without a reason");
    }
    if (reason.isPresent() && (reason.get().isBlank() || reason.get().indexOf('\n') >= 0)) {
      throw new IllegalArgumentException("a reason must be one non-blank line: '" + reason.get() + "'");
    }
  }

  public static NodeUpdate state(List<String> hosts, NodeStateChange state) {
    return new NodeUpdate(hosts, Optional.of(state), Optional.empty());
  }

  public static NodeUpdate state(List<String> hosts, NodeStateChange state, String reason) {
    return new NodeUpdate(hosts, Optional.of(state), Optional.of(reason));
  }
}
