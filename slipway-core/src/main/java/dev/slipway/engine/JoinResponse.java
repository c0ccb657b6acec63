package dev.slipway.engine;

import dev.slipway.model.Secret;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What a node needs to become {@code host}: where the controllers are, the munge key, what to
 * mount, the secret files to write before mounting, and, when slurmctld's ResumeProgram asked for
 * the host, when that was.
 *
 * <p>A secret file travels here, in the join response, rather than in the pool definition for the
 * same reason as the munge key: the pool's settings are readable by anyone who can read the Batch
 * account, the join response only by a node that presented the pool's token from an address the
 * provider knows. The node writes each one as {@code <node dir>/secrets/<name>}, mode 0600
 * (docs/join-protocol.md).
 *
 * <p>{@code resumeRequestedAt} is the time the hook recorded of its call. slurmctld ignores a
 * registration whose boot time is before the second it resumed the host; it resumed the host
 * before it ran the hook, so a node whose boot clock starts after the next whole second after
 * {@code resumeRequestedAt} is accepted, and it need not wait for a boot instant after its join.
 * Empty when the host's latest intent did not come from ResumeProgram (an operator's): then no
 * lower bound of slurmctld's resume is known, and a node anchors its boot clock at the join.
 */
public record JoinResponse(String host, List<String> controllers, Secret mungeKey, List<String> mounts, Map<String, Secret> secretFiles,
    Optional<Instant> resumeRequestedAt) {
  /** Names a node may write under its secrets directory: one path segment, no dot first. */
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");

  public JoinResponse(String host, List<String> controllers, Secret mungeKey, List<String> mounts, Map<String, Secret> secretFiles) {
    this(host, controllers, mungeKey, mounts, secretFiles, Optional.empty());
  }

  public JoinResponse(String host, List<String> controllers, Secret mungeKey, List<String> mounts, Optional<Instant> resumeRequestedAt) {
    this(host, controllers, mungeKey, mounts, Map.of(), resumeRequestedAt);
  }

  public JoinResponse {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(mungeKey, "mungeKey");
    Objects.requireNonNull(resumeRequestedAt, "resumeRequestedAt");
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

  /** A response without secret files or a resume instant (nodes anchor their boot clock at the join). */
  public JoinResponse(String host, List<String> controllers, Secret mungeKey, List<String> mounts) {
    this(host, controllers, mungeKey, mounts, Map.of(), Optional.empty());
  }
}
