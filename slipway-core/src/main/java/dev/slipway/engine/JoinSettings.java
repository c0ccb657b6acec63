package dev.slipway.engine;

import dev.slipway.model.Secret;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the join service hands out and checks: the cluster id, each elastic pool's join token,
 * the controllers in the order nodes should try them, the munge key, and the mount lines.
 */
public record JoinSettings(String clusterId, Map<String, Secret> joinTokens, List<String> controllers, Secret mungeKey, List<String> mounts) {
  public JoinSettings {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(mungeKey, "mungeKey");
    joinTokens = Map.copyOf(joinTokens);
    controllers = List.copyOf(controllers);
    mounts = List.copyOf(mounts);
  }

  @Override
  public String toString() {
    return "JoinSettings[clusterId=" + clusterId + ", pools=" + joinTokens.keySet() + ", controllers=" + controllers + "]";
  }
}
