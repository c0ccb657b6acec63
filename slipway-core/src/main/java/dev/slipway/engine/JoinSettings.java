package dev.slipway.engine;

import dev.slipway.model.Secret;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the join service hands out and checks: the cluster id, each elastic pool's join token,
 * the controllers in the order nodes should try them, the munge key, the mount lines, and the
 * secret files nodes write before mounting (name to content, e.g. an Azure Files share's
 * credentials that a cifs mount line names; see {@link JoinResponse}).
 */
public record JoinSettings(String clusterId, Map<String, Secret> joinTokens, List<String> controllers, Secret mungeKey, List<String> mounts,
    Map<String, Secret> secretFiles) {
  public JoinSettings(String clusterId, Map<String, Secret> joinTokens, List<String> controllers, Secret mungeKey, List<String> mounts) {
    this(clusterId, joinTokens, controllers, mungeKey, mounts, Map.of());
  }

  public JoinSettings {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(mungeKey, "mungeKey");
    joinTokens = Map.copyOf(joinTokens);
    controllers = List.copyOf(controllers);
    mounts = List.copyOf(mounts);
    secretFiles = JoinResponse.checkedSecretFiles(secretFiles);
  }

  @Override
  public String toString() {
    return "JoinSettings[clusterId=" + clusterId + ", pools=" + joinTokens.keySet() + ", controllers=" + controllers + ", secretFiles=" + secretFiles.keySet() + "]";
  }
}
