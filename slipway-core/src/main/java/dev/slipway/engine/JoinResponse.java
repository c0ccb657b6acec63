package dev.slipway.engine;

import dev.slipway.model.Secret;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a node needs to become {@code host}: where the controllers are, the munge key, what to mount,
 * and, when slurmctld's ResumeProgram asked for the host, when that was ({@code resumeRequestedAt},
 * the time the hook recorded of its call). slurmctld ignores a registration whose boot time is before
 * the second it resumed the host; it resumed the host before it ran the hook, so a node whose boot
 * clock starts after the next whole second after {@code resumeRequestedAt} is accepted, and it need
 * not wait for a boot instant after its join (docs/join-protocol.md). Empty when the host's latest
 * intent did not come from ResumeProgram (an operator's): then no lower bound of slurmctld's resume
 * is known, and a node anchors its boot clock at the join as before.
 */
public record JoinResponse(String host, List<String> controllers, Secret mungeKey, List<String> mounts,
    Optional<Instant> resumeRequestedAt) {
  public JoinResponse {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(mungeKey, "mungeKey");
    Objects.requireNonNull(resumeRequestedAt, "resumeRequestedAt");
    controllers = List.copyOf(controllers);
    mounts = List.copyOf(mounts);
  }

  /** A response without a resume instant (nodes anchor their boot clock at the join). */
  public JoinResponse(String host, List<String> controllers, Secret mungeKey, List<String> mounts) {
    this(host, controllers, mungeKey, mounts, Optional.empty());
  }
}
