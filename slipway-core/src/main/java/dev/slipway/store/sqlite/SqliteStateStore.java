package dev.slipway.store.sqlite;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.Backoff;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.Lease;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.StateChanges;
import dev.slipway.spi.StateStore;
import dev.slipway.spi.StoreActivity;
import dev.slipway.spi.StoreUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.sqlite.SQLiteException;

/**
 * The embedded default {@link StateStore}: one SQLite file shared by the hooks, the daemon and the
 * CLI on one machine. Schema and design are described in {@code docs/state-store.md}.
 *
 * <p>Concurrency. The file is in WAL mode, so readers never block the one writer and the writer
 * never blocks readers. Every read-modify-write runs in {@code BEGIN IMMEDIATE}, which takes the
 * write lock before the first read: a deferred transaction that reads and then writes can fail
 * with SQLITE_BUSY at the upgrade without the busy handler being consulted, whereas an immediate
 * one waits in {@code busy_timeout} like any writer. On top of that, an operation that still meets
 * SQLITE_BUSY or SQLITE_LOCKED (WAL recovery, a checkpoint, the first switch to WAL) is retried
 * whole with bounded, jittered backoff; when the attempts are used up it becomes a
 * {@link StoreUnavailableException}. Within one process, an instance owns exactly one JDBC
 * connection and serialises its callers with a lock (sqlite-jdbc connections are not safe for
 * concurrent use); hooks open, write and close, the daemon keeps one instance open.
 *
 * <p>Compare-and-set. Binding and pool rows carry a version drawn from one store-wide counter, so
 * a version is never reused, also not after a delete and re-create. Intent sequence numbers come
 * from another counter, incremented in the same transaction as the intents they number, hence
 * monotonic across processes.
 *
 * <p>Failures. Any SQLite error that survives the retries (file cannot be opened or created, is
 * read-only, corrupt, not a database, disk full) is a {@link StoreUnavailableException} whose
 * one-line message names the file. Times are stored as epoch milliseconds; the store reads no
 * clock.
 */
public final class SqliteStateStore implements StateStore {
  /** How long SQLite itself waits for a lock before reporting SQLITE_BUSY. */
  static final Duration BUSY_TIMEOUT = Duration.ofSeconds(2);
  /** Whole-operation attempts when SQLITE_BUSY still escapes the busy timeout. */
  static final int MAX_ATTEMPTS = 6;

  private static final Duration FIRST_RETRY_DELAY = Duration.ofMillis(20);
  private static final Duration MAX_RETRY_DELAY = Duration.ofMillis(500);
  private static final String JOB_ID_SEPARATOR = "\n";

  private final Path file;
  private final Duration busyTimeout;
  private final int maxAttempts;
  private final ReentrantLock lock = new ReentrantLock();
  private Connection connection;

  private SqliteStateStore(Path file, Connection connection, Duration busyTimeout, int maxAttempts) {
    this.file = file;
    this.connection = connection;
    this.busyTimeout = busyTimeout;
    this.maxAttempts = maxAttempts;
  }

  /**
   * Opens (and creates, if missing) the store in {@code file}, bringing its schema up to date.
   * The directory must exist.
   *
   * @throws StoreUnavailableException if the file cannot be opened, created or migrated
   */
  public static SqliteStateStore open(Path file) {
    return open(file, BUSY_TIMEOUT, MAX_ATTEMPTS);
  }

  /** {@link #open(Path)} with other lock waits, so tests can reach "still locked" quickly. */
  static SqliteStateStore open(Path file, Duration busyTimeout, int maxAttempts) {
    if (busyTimeout.isNegative() || maxAttempts < 1) {
      throw new IllegalArgumentException("busy timeout " + busyTimeout + " must not be negative and attempts " + maxAttempts + " must be positive");
    }
    Path absolute = file.toAbsolutePath().normalize();
    if (Files.isDirectory(absolute)) {
      throw unavailable(absolute, "is a directory, not a database file", null);
    }
    Path dir = absolute.getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      throw unavailable(absolute, "cannot be created: directory " + dir + " does not exist", null);
    }
    Connection c;
    try {
      // The store never asks for generated keys; with retrieval on (the driver's default) every
      // insert runs a second statement, SELECT last_insert_rowid() (4% of a burst pass in a profile).
      Properties options = new Properties();
      options.setProperty("jdbc.get_generated_keys", "false");
      c = DriverManager.getConnection("jdbc:sqlite:" + absolute, options);
    } catch (SQLException e) {
      throw unavailable(absolute, describe(e), e);
    }
    SqliteStateStore store = new SqliteStateStore(absolute, c, busyTimeout, maxAttempts);
    try {
      store.prepare();
    } catch (RuntimeException e) {
      try {
        store.close();
      } catch (RuntimeException closeFailure) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
    return store;
  }

  /** The database file. */
  public Path file() {
    return file;
  }

  private void prepare() {
    withRetries(
        "open",
        () -> {
          try (Statement s = connection.createStatement()) {
            s.execute("PRAGMA busy_timeout = " + busyTimeout.toMillis());
            // WAL is a property of the file: after the first open this is a no-op that needs no lock.
            try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
              if (!rs.next() || !"wal".equalsIgnoreCase(rs.getString(1))) {
                rs.close();
                try (ResultSet set = s.executeQuery("PRAGMA journal_mode = WAL")) {
                  if (!set.next() || !"wal".equalsIgnoreCase(set.getString(1))) {
                    throw new SQLException("cannot switch to WAL journal mode");
                  }
                }
              }
            }
            // FULL: a hook's intent survives a power cut once the hook has exited 0.
            s.execute("PRAGMA synchronous = FULL");
          }
          return null;
        });
    // The common case (schema current) needs no write lock, so concurrent hook starts do not queue.
    int version = withRetries("open", () -> SqliteSchema.currentVersion(connection));
    if (version != SqliteSchema.latestVersion()) {
      inWriteTransaction(
          "migrate",
          () -> {
            SqliteSchema.migrate(connection);
            return null;
          });
    }
  }

  // ---------------------------------------------------------------- intents

  @Override
  public List<HostIntent> recordIntents(Collection<IntentRequest> requests, Instant at) {
    Objects.requireNonNull(requests, "requests");
    Objects.requireNonNull(at, "at");
    if (requests.isEmpty()) {
      return List.of();
    }
    List<IntentRequest> batch = List.copyOf(requests);
    Instant stored = toMillisPrecision(at);
    return locked(
        () ->
            inWriteTransaction(
                "record intents",
                () -> {
                  long seq = counter("intent_seq");
                  List<HostIntent> recorded = new ArrayList<>(batch.size());
                  try (PreparedStatement p =
                      connection.prepareStatement(
                          "INSERT INTO intents (host, pool_id, intent, source, seq, at_ms, job_ids)"
                              + " VALUES (?, ?, ?, ?, ?, ?, ?)"
                              + " ON CONFLICT (host) DO UPDATE SET pool_id = excluded.pool_id,"
                              + " intent = excluded.intent, source = excluded.source, seq = excluded.seq,"
                              + " at_ms = excluded.at_ms, job_ids = excluded.job_ids")) {
                    for (IntentRequest r : batch) {
                      // Validated inside the transaction on purpose: a bad request rolls back the
                      // ones before it, which is what makes the batch all-or-nothing.
                      Objects.requireNonNull(r, "intent request").requireValid();
                      seq++;
                      HostIntent intent = new HostIntent(r.host(), r.poolId(), r.intent(), r.source(), seq, stored, r.jobIds());
                      p.setString(1, intent.host());
                      p.setString(2, intent.poolId());
                      p.setString(3, intent.intent().name());
                      p.setString(4, intent.source().name());
                      p.setLong(5, seq);
                      p.setLong(6, stored.toEpochMilli());
                      p.setString(7, String.join(JOB_ID_SEPARATOR, intent.jobIds()));
                      p.executeUpdate();
                      recorded.add(intent);
                    }
                  }
                  setCounter("intent_seq", seq);
                  stampChanges(batch.stream().map(IntentRequest::host).toList());
                  return List.copyOf(recorded);
                }));
  }

  @Override
  public Map<String, HostIntent> intents() {
    return locked(
        () ->
            withRetries(
                "read intents",
                () -> {
                  Map<String, HostIntent> out = new HashMap<>();
                  try (Statement s = connection.createStatement();
                      ResultSet rs =
                          s.executeQuery("SELECT host, pool_id, intent, source, seq, at_ms, job_ids FROM intents")) {
                    while (rs.next()) {
                      HostIntent i = intentFrom(rs);
                      out.put(i.host(), i);
                    }
                  }
                  return Collections.unmodifiableMap(out);
                }));
  }

  @Override
  public Optional<HostIntent> intent(String host) {
    Objects.requireNonNull(host, "host");
    return locked(
        () ->
            withRetries(
                "read intent",
                () -> {
                  try (PreparedStatement p =
                      connection.prepareStatement(
                          "SELECT host, pool_id, intent, source, seq, at_ms, job_ids FROM intents WHERE host = ?")) {
                    p.setString(1, host);
                    try (ResultSet rs = p.executeQuery()) {
                      return rs.next() ? Optional.of(intentFrom(rs)) : Optional.<HostIntent>empty();
                    }
                  }
                }));
  }

  /** Maps a row of {@code host, pool_id, intent, source, seq, at_ms, job_ids}. */
  private static HostIntent intentFrom(ResultSet rs) throws SQLException {
    return intentFrom(rs, 0);
  }

  /** The same columns starting after column {@code offset}. */
  private static HostIntent intentFrom(ResultSet rs, int offset) throws SQLException {
    String jobs = rs.getString(offset + 7);
    return new HostIntent(
        rs.getString(offset + 1),
        rs.getString(offset + 2),
        Intent.valueOf(rs.getString(offset + 3)),
        IntentSource.valueOf(rs.getString(offset + 4)),
        rs.getLong(offset + 5),
        Instant.ofEpochMilli(rs.getLong(offset + 6)),
        jobs.isEmpty() ? List.of() : List.of(jobs.split(JOB_ID_SEPARATOR, -1)));
  }

  // ---------------------------------------------------------------- bindings

  @Override
  public List<HostBinding> bindingsOfNode(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    return locked(
        () ->
            withRetries(
                "read bindings of node",
                () -> {
                  List<HostBinding> out = new ArrayList<>();
                  try (PreparedStatement p =
                      connection.prepareStatement(
                          "SELECT " + BINDING_COLUMNS + " FROM bindings WHERE node_id = ? ORDER BY intent_seq, host")) {
                    p.setString(1, nodeId);
                    try (ResultSet rs = p.executeQuery()) {
                      while (rs.next()) {
                        out.add(bindingFrom(rs));
                      }
                    }
                  }
                  return List.copyOf(out);
                }));
  }

  private static final String BINDING_COLUMNS =
      "host, pool_id, phase, node_id, address, intent_seq, since_ms, error_class, error_code, error_message, version";

  @Override
  public Map<String, HostBinding> bindings() {
    return locked(
        () ->
            withRetries(
                "read bindings",
                () -> {
                  Map<String, HostBinding> out = new HashMap<>();
                  try (Statement s = connection.createStatement();
                      ResultSet rs = s.executeQuery("SELECT " + BINDING_COLUMNS + " FROM bindings")) {
                    while (rs.next()) {
                      HostBinding b = bindingFrom(rs);
                      out.put(b.host(), b);
                    }
                  }
                  return Collections.unmodifiableMap(out);
                }));
  }

  @Override
  public Optional<HostBinding> binding(String host) {
    Objects.requireNonNull(host, "host");
    return locked(() -> withRetries("read binding", () -> readBinding(host)));
  }

  @Override
  public List<HostBinding> bindings(String poolId, BindingPhase phase) {
    Objects.requireNonNull(poolId, "poolId");
    Objects.requireNonNull(phase, "phase");
    return locked(
        () ->
            withRetries(
                "read bindings",
                () -> {
                  List<HostBinding> out = new ArrayList<>();
                  try (PreparedStatement p =
                      connection.prepareStatement(
                          "SELECT " + BINDING_COLUMNS + " FROM bindings WHERE pool_id = ? AND phase = ?"
                              + " ORDER BY intent_seq, host")) {
                    p.setString(1, poolId);
                    p.setString(2, phase.name());
                    try (ResultSet rs = p.executeQuery()) {
                      while (rs.next()) {
                        out.add(bindingFrom(rs));
                      }
                    }
                  }
                  return List.copyOf(out);
                }));
  }

  @Override
  public Optional<HostBinding> firstClaimable(String poolId) {
    Objects.requireNonNull(poolId, "poolId");
    return locked(
        () ->
            withRetries(
                "read first claimable host",
                () -> {
                  // Walks bindings_by_pool_phase in join order and stops at the first match.
                  try (PreparedStatement p =
                      connection.prepareStatement(
                          "SELECT " + qualified("b") + " FROM bindings b JOIN intents i ON i.host = b.host"
                              + " WHERE b.pool_id = ? AND b.phase = ? AND b.node_id IS NULL AND i.intent = ?"
                              + " ORDER BY b.intent_seq, b.host LIMIT 1")) {
                    p.setString(1, poolId);
                    p.setString(2, BindingPhase.REQUESTED.name());
                    p.setString(3, Intent.UP.name());
                    try (ResultSet rs = p.executeQuery()) {
                      return rs.next() ? Optional.of(bindingFrom(rs)) : Optional.<HostBinding>empty();
                    }
                  }
                }));
  }

  private static String qualified(String alias) {
    return alias + "." + BINDING_COLUMNS.replace(", ", ", " + alias + ".");
  }

  @Override
  public StateChanges changesSince(long since) {
    return locked(
        () ->
            withRetries(
                "read changes",
                () -> {
                  // One deferred read transaction: in WAL mode every SELECT in it sees the same
                  // commit, so the counter and the rows agree.
                  try (Statement s = connection.createStatement()) {
                    s.execute("BEGIN");
                  }
                  try {
                    long current = counter("change_seq");
                    StateChanges changes = since <= 0 || since > current ? readEverything(current) : readChanges(since, current);
                    try (Statement s = connection.createStatement()) {
                      s.execute("COMMIT");
                    }
                    return changes;
                  } catch (SQLException | RuntimeException e) {
                    rollbackQuietly();
                    throw e;
                  }
                }));
  }

  private StateChanges readEverything(long current) throws SQLException {
    Map<String, HostIntent> intents = new HashMap<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT host, pool_id, intent, source, seq, at_ms, job_ids FROM intents")) {
      while (rs.next()) {
        HostIntent i = intentFrom(rs);
        intents.put(i.host(), i);
      }
    }
    Map<String, HostBinding> bindings = new HashMap<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + BINDING_COLUMNS + " FROM bindings")) {
      while (rs.next()) {
        HostBinding b = bindingFrom(rs);
        bindings.put(b.host(), b);
      }
    }
    return StateChanges.complete(current, Collections.unmodifiableMap(intents), Collections.unmodifiableMap(bindings));
  }

  private StateChanges readChanges(long since, long current) throws SQLException {
    Set<String> hosts = new HashSet<>();
    Map<String, HostIntent> intents = new HashMap<>();
    Map<String, HostBinding> bindings = new HashMap<>();
    if (since < current) {
      try (PreparedStatement p = connection.prepareStatement(
          "SELECT c.host, i.host, i.pool_id, i.intent, i.source, i.seq, i.at_ms, i.job_ids FROM changes c"
              + " LEFT JOIN intents i ON i.host = c.host WHERE c.seq > ?")) {
        p.setLong(1, since);
        try (ResultSet rs = p.executeQuery()) {
          while (rs.next()) {
            hosts.add(rs.getString(1));
            if (rs.getString(2) != null) {
              HostIntent i = intentFrom(rs, 1);
              intents.put(i.host(), i);
            }
          }
        }
      }
      try (PreparedStatement p = connection.prepareStatement(
          "SELECT " + qualified("b") + " FROM changes c JOIN bindings b ON b.host = c.host WHERE c.seq > ?")) {
        p.setLong(1, since);
        try (ResultSet rs = p.executeQuery()) {
          while (rs.next()) {
            HostBinding b = bindingFrom(rs);
            bindings.put(b.host(), b);
          }
        }
      }
    }
    return new StateChanges(current, false, Collections.unmodifiableSet(hosts), Collections.unmodifiableMap(intents),
        Collections.unmodifiableMap(bindings));
  }

  /**
   * Stamps {@code hosts} with the next change sequence; inside the write transaction of the
   * change, so the stamp commits (or rolls back) with it.
   */
  private void stampChanges(List<String> hosts) throws SQLException {
    long seq = counter("change_seq") + 1;
    setCounter("change_seq", seq);
    try (PreparedStatement p = connection.prepareStatement(
        "INSERT INTO changes (host, seq) VALUES (?, ?) ON CONFLICT (host) DO UPDATE SET seq = excluded.seq")) {
      for (String host : hosts) {
        p.setString(1, host);
        p.setLong(2, seq);
        p.executeUpdate();
      }
    }
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding) {
    return putBinding(binding, List.of());
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding, Collection<HostEvent> events) {
    Objects.requireNonNull(binding, "binding");
    checkVersion(binding.version());
    List<HostEvent> batch = List.copyOf(events);
    return locked(
        () ->
            inWriteTransaction(
                "put binding",
                () -> {
                  Optional<HostBinding> stored;
                  try (BindingWriter w = new BindingWriter()) {
                    stored = w.write(binding);
                  }
                  if (stored.isPresent()) {
                    stampChanges(List.of(binding.host()));
                    insertEvents(batch);
                  }
                  return stored;
                }));
  }

  /** One write transaction (one fsync) for the whole batch: a pass's new bindings cost one durable write, not one each. */
  @Override
  public List<Optional<HostBinding>> putBindings(List<HostBinding> bindings) {
    List<HostBinding> batch = List.copyOf(bindings);
    batch.forEach(b -> checkVersion(b.version()));
    if (batch.isEmpty()) {
      return List.of();
    }
    return locked(
        () ->
            inWriteTransaction(
                "put bindings",
                () -> {
                  List<Optional<HostBinding>> out = new ArrayList<>(batch.size());
                  List<String> written = new ArrayList<>();
                  try (BindingWriter w = new BindingWriter()) {
                    for (HostBinding b : batch) {
                      Optional<HostBinding> stored = w.write(b);
                      stored.ifPresent(s -> written.add(s.host()));
                      out.add(stored);
                    }
                  }
                  if (!written.isEmpty()) {
                    stampChanges(written);
                  }
                  return Collections.unmodifiableList(out);
                }));
  }

  /**
   * Inside a write transaction: compare-and-set writes of bindings; the caller stamps the changes.
   * Its two statements are prepared once and the versions are taken from the counter once and
   * written back once at {@link #close}, so a pass's batch of thousands of bindings does not
   * compile four statements and touch the counter row twice per binding (what a profile of the
   * 10,000-host burst showed).
   */
  private final class BindingWriter implements AutoCloseable {
    private final PreparedStatement read;
    private final PreparedStatement insert;
    private final long first;
    private long version;

    BindingWriter() throws SQLException {
      this.read = connection.prepareStatement("SELECT version FROM bindings WHERE host = ?");
      this.insert = connection.prepareStatement(
          "INSERT OR REPLACE INTO bindings (" + BINDING_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      this.first = counter("version");
      this.version = first;
    }

    Optional<HostBinding> write(HostBinding binding) throws SQLException {
      read.setString(1, binding.host());
      long stored;
      try (ResultSet rs = read.executeQuery()) {
        stored = rs.next() ? rs.getLong(1) : 0;
      }
      if (stored != binding.version()) {
        return Optional.empty();
      }
      long next = ++version;
      insert.setString(1, binding.host());
      insert.setString(2, binding.poolId());
      insert.setString(3, binding.phase().name());
      setOptional(insert, 4, binding.nodeId());
      setOptional(insert, 5, binding.address());
      insert.setLong(6, binding.intentSeq());
      insert.setLong(7, binding.since().toEpochMilli());
      setOptional(insert, 8, binding.error().map(e -> e.errorClass().name()));
      setOptional(insert, 9, binding.error().map(ProviderError::code));
      setOptional(insert, 10, binding.error().map(ProviderError::message));
      insert.setLong(11, next);
      insert.executeUpdate();
      return Optional.of(
          new HostBinding(
              binding.host(),
              binding.poolId(),
              binding.phase(),
              binding.nodeId(),
              binding.address(),
              binding.intentSeq(),
              toMillisPrecision(binding.since()),
              binding.error(),
              next));
    }

    /** Writes the versions taken back to the counter (inside the transaction: a failure rolls both back). */
    @Override
    public void close() throws SQLException {
      try {
        if (version != first) {
          setCounter("version", version);
        }
      } finally {
        read.close();
        insert.close();
      }
    }
  }

  @Override
  public boolean deleteBinding(String host, long expectedVersion) {
    Objects.requireNonNull(host, "host");
    return locked(
        () ->
            inWriteTransaction(
                "delete binding",
                () -> {
                  // The delete and its change stamp are one transaction, so a reader of changes
                  // never misses a delete.
                  try (PreparedStatement p = connection.prepareStatement("DELETE FROM bindings WHERE host = ? AND version = ?")) {
                    p.setString(1, host);
                    p.setLong(2, expectedVersion);
                    if (p.executeUpdate() != 1) {
                      return false;
                    }
                  }
                  stampChanges(List.of(host));
                  return true;
                }));
  }

  private Optional<HostBinding> readBinding(String host) throws SQLException {
    try (PreparedStatement p = connection.prepareStatement("SELECT " + BINDING_COLUMNS + " FROM bindings WHERE host = ?")) {
      p.setString(1, host);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? Optional.of(bindingFrom(rs)) : Optional.empty();
      }
    }
  }

  private static HostBinding bindingFrom(ResultSet rs) throws SQLException {
    Optional<String> errorClass = optionalString(rs, 8);
    Optional<ProviderError> error =
        errorClass.map(
            c -> {
              try {
                return new ProviderError(ErrorClass.valueOf(c), rs.getString(9), rs.getString(10));
              } catch (SQLException e) {
                throw new SqlFailure(e);
              }
            });
    return new HostBinding(
        rs.getString(1),
        rs.getString(2),
        BindingPhase.valueOf(rs.getString(3)),
        optionalString(rs, 4),
        optionalString(rs, 5),
        rs.getLong(6),
        Instant.ofEpochMilli(rs.getLong(7)),
        error,
        rs.getLong(11));
  }

  // ---------------------------------------------------------------- pools

  @Override
  public Map<String, PoolRecord> pools() {
    return locked(
        () ->
            withRetries(
                "read pools",
                () -> {
                  Map<String, PoolRecord> out = new HashMap<>();
                  try (Statement s = connection.createStatement();
                      ResultSet rs =
                          s.executeQuery(
                              "SELECT pool_id, dedicated, low_priority, resize_started_ms, backoff_level,"
                                  + " backoff_until_ms, backoff_error_class, backoff_error_code, version FROM pools")) {
                    while (rs.next()) {
                      Backoff backoff =
                          new Backoff(
                              rs.getInt(5),
                              optionalMillis(rs, 6),
                              optionalString(rs, 7).map(ErrorClass::valueOf),
                              optionalString(rs, 8));
                      PoolRecord pool =
                          new PoolRecord(
                              rs.getString(1),
                              new PoolTarget(rs.getInt(2), rs.getInt(3)),
                              optionalMillis(rs, 4),
                              backoff,
                              rs.getLong(9));
                      out.put(pool.poolId(), pool);
                    }
                  }
                  return Collections.unmodifiableMap(out);
                }));
  }

  @Override
  public Optional<PoolRecord> putPool(PoolRecord pool) {
    Objects.requireNonNull(pool, "pool");
    checkVersion(pool.version());
    return locked(
        () ->
            inWriteTransaction(
                "put pool",
                () -> {
                  long stored = storedVersion("SELECT version FROM pools WHERE pool_id = ?", pool.poolId());
                  if (stored != pool.version()) {
                    return Optional.<PoolRecord>empty();
                  }
                  long next = nextVersion();
                  Backoff b = pool.backoff();
                  try (PreparedStatement p =
                      connection.prepareStatement(
                          "INSERT OR REPLACE INTO pools (pool_id, dedicated, low_priority, resize_started_ms,"
                              + " backoff_level, backoff_until_ms, backoff_error_class, backoff_error_code, version)"
                              + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    p.setString(1, pool.poolId());
                    p.setInt(2, pool.requested().dedicated());
                    p.setInt(3, pool.requested().lowPriority());
                    setOptionalMillis(p, 4, pool.resizeStartedAt());
                    p.setInt(5, b.level());
                    setOptionalMillis(p, 6, b.until());
                    setOptional(p, 7, b.lastErrorClass().map(Enum::name));
                    setOptional(p, 8, b.lastErrorCode());
                    p.setLong(9, next);
                    p.executeUpdate();
                  }
                  Backoff storedBackoff =
                      new Backoff(b.level(), b.until().map(SqliteStateStore::toMillisPrecision), b.lastErrorClass(), b.lastErrorCode());
                  return Optional.of(
                      new PoolRecord(
                          pool.poolId(),
                          pool.requested(),
                          pool.resizeStartedAt().map(SqliteStateStore::toMillisPrecision),
                          storedBackoff,
                          next));
                }));
  }

  // ---------------------------------------------------------------- events

  @Override
  public void appendEvents(Collection<HostEvent> events) {
    Objects.requireNonNull(events, "events");
    if (events.isEmpty()) {
      return;
    }
    List<HostEvent> batch = List.copyOf(events);
    locked(
        () ->
            inWriteTransaction(
                "append events",
                () -> {
                  insertEvents(batch);
                  return null;
                }));
  }

  /** Inside a write transaction. */
  private void insertEvents(List<HostEvent> batch) throws SQLException {
    if (batch.isEmpty()) {
      return;
    }
    try (PreparedStatement p =
        connection.prepareStatement("INSERT INTO events (at_ms, host, pool_id, kind, message) VALUES (?, ?, ?, ?, ?)")) {
      for (HostEvent e : batch) {
        p.setLong(1, e.at().toEpochMilli());
        setOptional(p, 2, e.host());
        p.setString(3, e.poolId());
        p.setString(4, e.kind());
        p.setString(5, e.message());
        p.executeUpdate();
      }
    }
  }

  @Override
  public List<HostEvent> hostEvents(String host, int limit) {
    Objects.requireNonNull(host, "host");
    return newestEvents("host", host, limit);
  }

  @Override
  public List<HostEvent> poolEvents(String poolId, int limit) {
    Objects.requireNonNull(poolId, "poolId");
    return newestEvents("pool_id", poolId, limit);
  }

  private List<HostEvent> newestEvents(String column, String value, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("event limit must be positive: " + limit);
    }
    return locked(
        () ->
            withRetries(
                "read events",
                () -> {
                  List<HostEvent> out = new ArrayList<>();
                  try (PreparedStatement p =
                      connection.prepareStatement(
                          "SELECT id, at_ms, host, pool_id, kind, message FROM events WHERE "
                              + column
                              + " = ? ORDER BY at_ms DESC, id DESC LIMIT ?")) {
                    p.setString(1, value);
                    p.setInt(2, limit);
                    try (ResultSet rs = p.executeQuery()) {
                      while (rs.next()) {
                        out.add(
                            new HostEvent(
                                rs.getLong(1),
                                Instant.ofEpochMilli(rs.getLong(2)),
                                optionalString(rs, 3),
                                rs.getString(4),
                                rs.getString(5),
                                rs.getString(6)));
                      }
                    }
                  }
                  Collections.reverse(out);
                  return List.copyOf(out);
                }));
  }

  @Override
  public int deleteEventsBefore(Instant before, int limit) {
    Objects.requireNonNull(before, "before");
    if (limit < 1) {
      throw new IllegalArgumentException("event limit must be positive: " + limit);
    }
    return locked(
        () ->
            inWriteTransaction(
                "delete old events",
                () -> {
                  // Oldest first through events_by_time, at most limit rows: the write lock is held
                  // for one bounded batch, so hooks never wait behind a large backlog.
                  try (PreparedStatement p =
                      connection.prepareStatement(
                          "DELETE FROM events WHERE id IN"
                              + " (SELECT id FROM events WHERE at_ms < ? ORDER BY at_ms, id LIMIT ?)")) {
                    p.setLong(1, before.toEpochMilli());
                    p.setInt(2, limit);
                    return p.executeUpdate();
                  }
                }));
  }

  @Override
  public StoreActivity activity() {
    return locked(
        () ->
            withRetries(
                "read activity",
                () -> {
                  // One read transaction, so the counter and the JOINED hosts are of one commit.
                  try (Statement s = connection.createStatement()) {
                    s.execute("BEGIN");
                  }
                  try {
                    long seq = counter("intent_seq");
                    Set<String> joined = new HashSet<>();
                    try (PreparedStatement p = connection.prepareStatement("SELECT host FROM bindings WHERE phase = ?")) {
                      p.setString(1, BindingPhase.JOINED.name());
                      try (ResultSet rs = p.executeQuery()) {
                        while (rs.next()) {
                          joined.add(rs.getString(1));
                        }
                      }
                    }
                    try (Statement s = connection.createStatement()) {
                      s.execute("COMMIT");
                    }
                    return new StoreActivity(seq, joined);
                  } catch (SQLException | RuntimeException e) {
                    rollbackQuietly();
                    throw e;
                  }
                }));
  }

  // ---------------------------------------------------------------- leases

  @Override
  public Optional<Lease> acquireLease(String name, String holder, Duration ttl, Instant now) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(holder, "holder");
    Objects.requireNonNull(now, "now");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("lease ttl must be positive: " + ttl);
    }
    long nowMs = now.toEpochMilli();
    long expiresMs = now.plus(ttl).toEpochMilli();
    return locked(
        () ->
            inWriteTransaction(
                "acquire lease",
                () -> {
                  Optional<Lease> current = readLease(name);
                  long token;
                  if (current.isEmpty()) {
                    token = readFencingToken(name) + 1;
                  } else if (current.get().holder().equals(holder)) {
                    // Renewal, even after expiry: nobody held it in between (that would have
                    // changed the holder), so the old token still fences correctly.
                    token = current.get().fencingToken();
                  } else if (current.get().expiresAt().toEpochMilli() <= nowMs) {
                    token = current.get().fencingToken() + 1;
                  } else {
                    return Optional.<Lease>empty();
                  }
                  try (PreparedStatement p =
                      connection.prepareStatement(
                          "INSERT OR REPLACE INTO leases (name, holder, fencing_token, expires_ms) VALUES (?, ?, ?, ?)")) {
                    p.setString(1, name);
                    p.setString(2, holder);
                    p.setLong(3, token);
                    p.setLong(4, expiresMs);
                    p.executeUpdate();
                  }
                  return Optional.of(new Lease(name, holder, token, Instant.ofEpochMilli(expiresMs)));
                }));
  }

  @Override
  public void releaseLease(String name, String holder) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(holder, "holder");
    locked(
        () ->
            withRetries(
                "release lease",
                () -> {
                  // The row stays with holder NULL so that the next holder's token is higher.
                  try (PreparedStatement p =
                      connection.prepareStatement("UPDATE leases SET holder = NULL, expires_ms = 0 WHERE name = ? AND holder = ?")) {
                    p.setString(1, name);
                    p.setString(2, holder);
                    p.executeUpdate();
                  }
                  return null;
                }));
  }

  @Override
  public Optional<Lease> lease(String name) {
    Objects.requireNonNull(name, "name");
    return locked(() -> withRetries("read lease", () -> readLease(name)));
  }

  private Optional<Lease> readLease(String name) throws SQLException {
    try (PreparedStatement p =
        connection.prepareStatement("SELECT holder, fencing_token, expires_ms FROM leases WHERE name = ? AND holder IS NOT NULL")) {
      p.setString(1, name);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next()
            ? Optional.of(new Lease(name, rs.getString(1), rs.getLong(2), Instant.ofEpochMilli(rs.getLong(3))))
            : Optional.empty();
      }
    }
  }

  private long readFencingToken(String name) throws SQLException {
    try (PreparedStatement p = connection.prepareStatement("SELECT fencing_token FROM leases WHERE name = ?")) {
      p.setString(1, name);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void close() {
    lock.lock();
    try {
      if (connection != null) {
        try {
          connection.close();
        } catch (SQLException e) {
          throw unavailable(file, "cannot be closed: " + describe(e), e);
        } finally {
          connection = null;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "sqlite state store " + file;
  }

  // ---------------------------------------------------------------- plumbing

  @FunctionalInterface
  private interface SqlWork<T> {
    T run() throws SQLException;
  }

  /** Carries an SQLException out of a lambda that cannot throw it. */
  private static final class SqlFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SqlFailure(SQLException cause) {
      super(cause);
    }
  }

  private <T> T locked(Supplier<T> work) {
    lock.lock();
    try {
      if (connection == null) {
        throw new IllegalStateException(this + " is closed");
      }
      return work.get();
    } finally {
      lock.unlock();
    }
  }

  /** Runs {@code work} in {@code BEGIN IMMEDIATE ... COMMIT}, rolling back on any failure. */
  private <T> T inWriteTransaction(String what, SqlWork<T> work) {
    return withRetries(
        what,
        () -> {
          try (Statement s = connection.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
          }
          boolean committed = false;
          try {
            T result = work.run();
            try (Statement s = connection.createStatement()) {
              s.execute("COMMIT");
            }
            committed = true;
            return result;
          } finally {
            if (!committed) {
              rollbackQuietly();
            }
          }
        });
  }

  private void rollbackQuietly() {
    try (Statement s = connection.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException ignored) {
      // The original failure is what matters. If ROLLBACK fails, SQLite has already ended the
      // transaction itself (it does so on some I/O errors and when a statement was interrupted).
    }
  }

  /**
   * Runs {@code work}, retrying the whole of it while SQLite reports it busy or locked, and turns
   * any SQL failure into a {@link StoreUnavailableException} naming the file.
   */
  private <T> T withRetries(String what, SqlWork<T> work) {
    Duration delay = FIRST_RETRY_DELAY;
    for (int attempt = 1; ; attempt++) {
      try {
        return work.run();
      } catch (SQLException | SqlFailure failure) {
        SQLException e = failure instanceof SqlFailure ? (SQLException) failure.getCause() : (SQLException) failure;
        if (e instanceof SqliteSchema.SchemaException) {
          throw unavailable(file, e.getMessage(), e);
        }
        if (!isBusy(e)) {
          throw unavailable(file, what + " failed: " + describe(e), e);
        }
        if (attempt >= maxAttempts) {
          throw unavailable(file, what + " failed: still locked by another process after " + attempt + " attempts", e);
        }
        sleepJittered(delay);
        delay = delay.multipliedBy(2).compareTo(MAX_RETRY_DELAY) > 0 ? MAX_RETRY_DELAY : delay.multipliedBy(2);
      }
    }
  }

  private void sleepJittered(Duration delay) {
    long ms = delay.toMillis() / 2 + ThreadLocalRandom.current().nextLong(delay.toMillis() / 2 + 1);
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("state store " + file + ": interrupted while waiting for a lock", e);
    }
  }

  static boolean isBusy(SQLException e) {
    int primary =
        e instanceof SQLiteException ? ((SQLiteException) e).getResultCode().code & 0xff : e.getErrorCode() & 0xff;
    return primary == 5 /* SQLITE_BUSY */ || primary == 6 /* SQLITE_LOCKED */;
  }

  private long counter(String name) throws SQLException {
    try (PreparedStatement p = connection.prepareStatement("SELECT value FROM counters WHERE name = ?")) {
      p.setString(1, name);
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("counter " + name + " is missing");
        }
        return rs.getLong(1);
      }
    }
  }

  private void setCounter(String name, long value) throws SQLException {
    try (PreparedStatement p = connection.prepareStatement("UPDATE counters SET value = ? WHERE name = ?")) {
      p.setLong(1, value);
      p.setString(2, name);
      p.executeUpdate();
    }
  }

  private long nextVersion() throws SQLException {
    long next = counter("version") + 1;
    setCounter("version", next);
    return next;
  }

  /** The stored version of the row with key {@code key}, or 0 when there is none. */
  private long storedVersion(String sql, String key) throws SQLException {
    try (PreparedStatement p = connection.prepareStatement(sql)) {
      p.setString(1, key);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  private static void checkVersion(long version) {
    if (version < 0) {
      throw new IllegalArgumentException("negative version: " + version);
    }
  }

  private static Instant toMillisPrecision(Instant t) {
    return Instant.ofEpochMilli(t.toEpochMilli());
  }

  private static void setOptional(PreparedStatement p, int index, Optional<String> value) throws SQLException {
    if (value.isPresent()) {
      p.setString(index, value.get());
    } else {
      p.setNull(index, Types.VARCHAR);
    }
  }

  private static void setOptionalMillis(PreparedStatement p, int index, Optional<Instant> value) throws SQLException {
    if (value.isPresent()) {
      p.setLong(index, value.get().toEpochMilli());
    } else {
      p.setNull(index, Types.BIGINT);
    }
  }

  private static Optional<String> optionalString(ResultSet rs, int index) throws SQLException {
    return Optional.ofNullable(rs.getString(index));
  }

  private static Optional<Instant> optionalMillis(ResultSet rs, int index) throws SQLException {
    long ms = rs.getLong(index);
    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ms));
  }

  /** One line from an SQLite error, without the driver's repeated code prefix. */
  private static String describe(SQLException e) {
    String message = Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static StoreUnavailableException unavailable(Path file, String reason, Throwable cause) {
    return new StoreUnavailableException("state store " + file + " " + reason, cause);
  }
}
