package dev.slipway.cli.daemon;

import dev.slipway.spi.Lease;
import dev.slipway.spi.StateStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leadership of one daemon among several on the same store: the store's lease {@value #NAME}
 * with a fencing token. {@link #tryLead} takes or renews it; {@link #confirm} checks, from the
 * store, that this daemon still holds it with the token it was granted, so a daemon that paused
 * longer than the TTL (GC, suspended VM) and was replaced notices before it acts.
 *
 * <p>Thread-safe: the daemon's lease thread renews it while its pass thread confirms it; the
 * methods that touch the store are synchronized, so a renewal and a check never interleave.
 */
final class LeaderLease {
  static final String NAME = "slipway-daemon";
  private static final Logger log = LoggerFactory.getLogger(LeaderLease.class);

  private final StateStore store;
  private final String holder;
  private final Duration ttl;
  private final InstantSource clock;
  private volatile Optional<Lease> held = Optional.empty();

  LeaderLease(StateStore store, String holder, Duration ttl, InstantSource clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.holder = Objects.requireNonNull(holder, "holder");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Takes or renews the lease; true when this daemon leads. Store failures propagate. */
  synchronized boolean tryLead() {
    Instant now = clock.instant();
    Optional<Lease> got;
    try {
      got = store.acquireLease(NAME, holder, ttl, now);
    } catch (RuntimeException e) {
      // Without the store there is no proof of leadership once the lease runs out.
      held.filter(l -> !now.isBefore(l.expiresAt())).ifPresent(l -> lose("lease expired while the store was unreachable"));
      throw e;
    }
    if (got.isPresent()) {
      Optional<Lease> before = held;
      held = got;
      if (before.isEmpty() || before.get().fencingToken() != got.get().fencingToken()) {
        log.info("leading as {} with fencing token {} (lease {} s)", holder, got.get().fencingToken(), ttl.toSeconds());
      }
      return true;
    }
    if (held.isPresent()) {
      lose("lease now held by " + store.lease(NAME).map(Lease::holder).orElse("nobody"));
    }
    return false;
  }

  /** The lease is still ours in the store, with our token, and not expired: checked before each pass. */
  synchronized boolean confirm() {
    Optional<Lease> mine = held;
    if (mine.isEmpty()) {
      return false;
    }
    Optional<Lease> stored = store.lease(NAME);
    boolean ok = stored.isPresent() && stored.get().holder().equals(holder)
        && stored.get().fencingToken() == mine.get().fencingToken() && clock.instant().isBefore(stored.get().expiresAt());
    if (!ok) {
      lose("fencing check failed: store says " + stored.map(l -> l.holder() + " token " + l.fencingToken()).orElse("no holder"));
    }
    return ok;
  }

  boolean isLeader() {
    return held.isPresent();
  }

  Optional<Lease> held() {
    return held;
  }

  String holder() {
    return holder;
  }

  /** Gives the lease up so a standby takes over at once instead of after the TTL. */
  synchronized void release() {
    if (held.isPresent()) {
      held = Optional.empty();
      store.releaseLease(NAME, holder);
      log.info("released leadership ({})", holder);
    }
  }

  private synchronized void lose(String why) {
    held = Optional.empty();
    log.warn("no longer leading: {}", why);
  }
}
