package dev.slipway.engine;

import dev.slipway.model.Secret;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What a node needs to become {@code host}: where the controllers are, the munge key, what to
 * mount, and the secret files to write before mounting. A secret file travels here, in the join
 * response, rather than in the pool definition for the same reason as the munge key: the pool's
 * settings are readable by anyone who can read the Batch account, the join response only by a
 * node that presented the pool's token from an address the provider knows. The node writes each
 * one as {@code <node dir>/secrets/<name>}, mode 0600 (docs/join-protocol.md).
 */
public record JoinResponse(String host, List<String> controllers, Secret mungeKey, List<String> mounts, Map<String, Secret> secretFiles) {
  /** Names a node may write under its secrets directory: one path segment, no dot first. */
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");

  public JoinResponse(String host, List<String> controllers, Secret mungeKey, List<String> mounts) {
    this(host, controllers, mungeKey, mounts, Map.of());
  }

  public JoinResponse {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(mungeKey, "mungeKey");
    controllers = List.copyOf(controllers);
    mounts = List.copyOf(mounts);
    secretFiles = checkedSecretFiles(secretFiles);
  }

  /** A sorted copy, refusing names the node could not use as one file name. */
  static Map<String, Secret> checkedSecretFiles(Map<String, Secret> files) {
    for (String name : files.keySet()) {
      if (!FILE_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("secret file name '" + name + "' must be letters, digits, '.', '_' or '-' (not first '.' or '-'), at most 64");
      }
    }
    return java.util.Collections.unmodifiableMap(new TreeMap<>(files));
  }
}
