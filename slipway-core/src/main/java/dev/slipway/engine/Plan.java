package dev.slipway.engine;

import java.util.List;

/**
 * The actions of one pass in the order they must be applied: store writes first (so intent to act
 * is durable before acting), then provider calls, then Slurm updates, then history events.
 */
public record Plan(List<PlanAction> actions) {
  public Plan {
    actions = List.copyOf(actions);
  }

  public <T extends PlanAction> List<T> actions(Class<T> kind) {
    return actions.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  public boolean isEmpty() {
    return actions.isEmpty();
  }
}
