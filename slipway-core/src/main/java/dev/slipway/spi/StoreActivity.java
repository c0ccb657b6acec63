package dev.slipway.spi;

import java.util.Objects;
import java.util.Set;

/**
 * What the daemon's idle poll compares between two reads to tell whether a reconcile pass is due,
 * read without touching every host ({@link StateStore#activity()}): a hook recorded an intent, or a
 * node joined (possibly through another daemon, which wakes only itself).
 *
 * @param intentSequence the highest intent sequence handed out so far (0 before the first): it
 *     changes with every {@link StateStore#recordIntents} and with nothing else
 * @param joinedHosts the hosts whose binding is {@link BindingPhase#JOINED}: a node claimed them and
 *     its slurmd has not registered yet (few at any time, however large the cluster)
 */
public record StoreActivity(long intentSequence, Set<String> joinedHosts) {
  public StoreActivity {
    joinedHosts = Set.copyOf(Objects.requireNonNull(joinedHosts, "joinedHosts"));
    if (intentSequence < 0) {
      throw new IllegalArgumentException("negative intent sequence: " + intentSequence);
    }
  }
}
