package dev.slipway.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Durable cluster state shared by the hooks, the daemon(s) and the CLI. Every write that another
 * process may race is compare-and-set on a version; a failed compare-and-set returns false and
 * changes nothing. Implementations: {@code sqlite} (one file, many processes on one machine) and
 * {@code azure-storage} (Tables with ETags, blob lease). All pass the contract suite in
 * slipway-testkit.
 */
public interface StateStore extends AutoCloseable {
  /** Records intents atomically (all or none) and returns them with their sequence numbers. */
  List<HostIntent> recordIntents(Collection<IntentRequest> requests, Instant at);

  /** The latest intent of every host that has one. */
  Map<String, HostIntent> intents();

  Map<String, HostBinding> bindings();

  Optional<HostBinding> binding(String host);

  /**
   * Stores {@code binding} if the stored version equals {@code binding.version()} (0: must not
   * exist). Returns the stored binding with its new version, or empty when the compare failed.
   */
  Optional<HostBinding> putBinding(HostBinding binding);

  /** Deletes the binding if its stored version equals {@code expectedVersion}. */
  boolean deleteBinding(String host, long expectedVersion);

  Map<String, PoolRecord> pools();

  /** Compare-and-set like {@link #putBinding}. */
  Optional<PoolRecord> putPool(PoolRecord pool);

  void appendEvents(Collection<HostEvent> events);

  /** The newest {@code limit} events of a host, oldest first. */
  List<HostEvent> hostEvents(String host, int limit);

  /** The newest {@code limit} events of a pool (its own and its hosts'), oldest first. */
  List<HostEvent> poolEvents(String poolId, int limit);

  /**
   * Takes or renews the named lease for {@code holder} until {@code now + ttl}. Succeeds when the
   * lease is free, expired, or already held by {@code holder}; the fencing token increases only
   * when the holder changes. Empty when someone else holds it.
   */
  Optional<Lease> acquireLease(String name, String holder, Duration ttl, Instant now);

  void releaseLease(String name, String holder);

  Optional<Lease> lease(String name);

  @Override
  void close();
}
