package dev.slipway.hooks;

import dev.slipway.model.HostList;
import dev.slipway.spi.HostIntent;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one hook call did.
 *
 * @param recorded the intents now in the store, in hostlist order
 * @param rejected hosts that belong to no elastic pool, in hostlist order; nothing was recorded for them
 * @param knownPools the pools and their hostlists, for the message about rejected hosts
 * @param historyFailure why the history events could not be appended, when they could not (the
 *     intents are recorded regardless)
 */
public record HookResult(
    HookKind kind, List<HostIntent> recorded, List<String> rejected, String knownPools,
    Optional<String> historyFailure) {
  public HookResult {
    Objects.requireNonNull(kind, "kind");
    recorded = List.copyOf(recorded);
    rejected = List.copyOf(rejected);
    Objects.requireNonNull(knownPools, "knownPools");
    Objects.requireNonNull(historyFailure, "historyFailure");
  }

  public boolean hasRejected() {
    return !rejected.isEmpty();
  }

  /**
   * One line naming the rejected hosts and the pools that exist, e.g.
   * {@code resume: 2 hosts are in no elastic pool and were not recorded: login[1-2]; known pools: cpu (cpu-[0-7])}.
   */
  public Optional<String> rejectionMessage() {
    if (rejected.isEmpty()) {
      return Optional.empty();
    }
    int n = rejected.size();
    return Optional.of(kind.commandName() + ": " + n + (n == 1 ? " host is" : " hosts are")
        + " in no elastic pool and " + (n == 1 ? "was" : "were") + " not recorded: " + HostList.compress(rejected).expression()
        + "; known pools: " + knownPools);
  }
}
