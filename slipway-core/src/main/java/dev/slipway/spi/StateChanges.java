package dev.slipway.spi;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The intents and bindings written after a change sequence ({@link StateStore#changesSince}): what
 * a reader holding a copy of them needs to bring it up to date without reading every host.
 *
 * <p>When {@code complete}, {@code intents} and {@code bindings} are the whole state and replace
 * the reader's copy ({@code hosts} is then empty). Otherwise {@code hosts} are the hosts whose
 * intent or binding was written after the sequence asked for, and for each of them {@code intents}
 * and {@code bindings} hold the current record; a host in {@code hosts} without a binding had it
 * deleted. {@code sequence} is what to ask for next time; every write committed after this read
 * gets a higher one. A store that does not track changes always answers complete with sequence 0.
 */
public record StateChanges(
    long sequence, boolean complete, Set<String> hosts, Map<String, HostIntent> intents, Map<String, HostBinding> bindings) {
  public StateChanges {
    Objects.requireNonNull(hosts, "hosts");
    Objects.requireNonNull(intents, "intents");
    Objects.requireNonNull(bindings, "bindings");
    if (complete && !hosts.isEmpty()) {
      throw new IllegalArgumentException("a complete read lists no changed hosts");
    }
  }

  /** The whole state, as read at {@code sequence}. */
  public static StateChanges complete(long sequence, Map<String, HostIntent> intents, Map<String, HostBinding> bindings) {
    return new StateChanges(sequence, true, Set.of(), intents, bindings);
  }
}
