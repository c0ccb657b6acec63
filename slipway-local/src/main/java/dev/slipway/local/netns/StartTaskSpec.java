package dev.slipway.local.netns;

import java.util.List;
import java.util.Map;

/**
 * What a new node runs once booted: in production {@code slipway-node-join} with the join
 * environment of docs/join-protocol.md; in tests anything. The provider adds the per-node
 * variables ({@code SLIPWAY_CLUSTER_ID}, {@code SLIPWAY_POOL_ID}, {@code SLIPWAY_NODE_ID},
 * {@code SLIPWAY_NODE_DIR}).
 */
public record StartTaskSpec(List<String> command, Map<String, String> environment) {
  public StartTaskSpec {
    command = List.copyOf(command);
    environment = Map.copyOf(environment);
    if (command.isEmpty()) {
      throw new IllegalArgumentException("the start task needs a command");
    }
  }
}
