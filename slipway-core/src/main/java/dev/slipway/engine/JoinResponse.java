package dev.slipway.engine;

import dev.slipway.model.Secret;
import java.util.List;
import java.util.Objects;

/** What a node needs to become {@code host}: where the controllers are, the munge key, what to mount. */
public record JoinResponse(String host, List<String> controllers, Secret mungeKey, List<String> mounts) {
  public JoinResponse {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(mungeKey, "mungeKey");
    controllers = List.copyOf(controllers);
    mounts = List.copyOf(mounts);
  }
}
