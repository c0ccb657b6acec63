package dev.slipway.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The state store's schema as an ordered list of migrations, and the tiny migrator that brings a
 * file up to date when a store opens. Each migration runs once, in order, inside the caller's
 * write transaction together with the row in {@code schema_version} that records it, so a crash
 * or a racing process never leaves a half-applied step. Migrations are append-only: never edit a
 * released one, add the next version instead.
 */
final class SqliteSchema {
  /** One schema step: its version (1, 2, ...), what it is for, and its statements. */
  record Migration(int version, String description, List<String> statements) {
    Migration {
      statements = List.copyOf(statements);
    }
  }

  static final List<Migration> MIGRATIONS =
      List.of(
          new Migration(
              1,
              "intents, bindings, pools, events, leases",
              List.of(
                  // Named counters: intent_seq numbers intents, version numbers every binding and
                  // pool write (one counter for both, so a version is never reused, even after a
                  // delete and re-create).
                  "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
                  "INSERT INTO counters (name, value) VALUES ('intent_seq', 0), ('version', 0)",
                  "CREATE TABLE intents ("
                      + " host TEXT PRIMARY KEY,"
                      + " pool_id TEXT NOT NULL,"
                      + " intent TEXT NOT NULL,"
                      + " source TEXT NOT NULL,"
                      + " seq INTEGER NOT NULL UNIQUE,"
                      + " at_ms INTEGER NOT NULL,"
                      + " job_ids TEXT NOT NULL) WITHOUT ROWID",
                  "CREATE TABLE bindings ("
                      + " host TEXT PRIMARY KEY,"
                      + " pool_id TEXT NOT NULL,"
                      + " phase TEXT NOT NULL,"
                      + " node_id TEXT,"
                      + " address TEXT,"
                      + " intent_seq INTEGER NOT NULL,"
                      + " since_ms INTEGER NOT NULL,"
                      + " error_class TEXT,"
                      + " error_code TEXT,"
                      + " error_message TEXT,"
                      + " version INTEGER NOT NULL) WITHOUT ROWID",
                  "CREATE INDEX bindings_by_pool_phase ON bindings (pool_id, phase, intent_seq, host)",
                  "CREATE TABLE pools ("
                      + " pool_id TEXT PRIMARY KEY,"
                      + " dedicated INTEGER NOT NULL,"
                      + " low_priority INTEGER NOT NULL,"
                      + " resize_started_ms INTEGER,"
                      + " backoff_level INTEGER NOT NULL,"
                      + " backoff_until_ms INTEGER,"
                      + " backoff_error_class TEXT,"
                      + " backoff_error_code TEXT,"
                      + " version INTEGER NOT NULL) WITHOUT ROWID",
                  // AUTOINCREMENT: ids never go back, even after the newest rows are deleted.
                  "CREATE TABLE events ("
                      + " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                      + " at_ms INTEGER NOT NULL,"
                      + " host TEXT,"
                      + " pool_id TEXT NOT NULL,"
                      + " kind TEXT NOT NULL,"
                      + " message TEXT NOT NULL)",
                  "CREATE INDEX events_by_host ON events (host, at_ms, id)",
                  "CREATE INDEX events_by_pool ON events (pool_id, at_ms, id)",
                  // holder is NULL once released; the row stays so the fencing token never goes back.
                  "CREATE TABLE leases ("
                      + " name TEXT PRIMARY KEY,"
                      + " holder TEXT,"
                      + " fencing_token INTEGER NOT NULL,"
                      + " expires_ms INTEGER NOT NULL) WITHOUT ROWID")),
          new Migration(
              2,
              "index bindings by node id (join service lookups)",
              List.of("CREATE INDEX bindings_by_node ON bindings (node_id)")),
          new Migration(
              3,
              "change sequence per host (incremental reads by the reconciler)",
              List.of(
                  // change_seq stamps every intent and binding write (one number per transaction);
                  // a host keeps only its latest stamp, so the table has at most one row per host
                  // and a deleted binding is still seen as a change of its host.
                  "INSERT INTO counters (name, value) VALUES ('change_seq', 0)",
                  "CREATE TABLE changes (host TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID",
                  "CREATE INDEX changes_by_seq ON changes (seq)")),
          new Migration(
              4,
              "index bindings by phase (daemon poll) and events by time (retention)",
              List.of(
                  // The daemon polls the JOINED hosts every second; bindings_by_pool_phase starts
                  // with the pool, so without this the poll scanned every binding.
                  "CREATE INDEX bindings_by_phase ON bindings (phase, host)",
                  // Retention deletes the oldest events in batches: a range scan of this index.
                  "CREATE INDEX events_by_time ON events (at_ms, id)")));

  private SqliteSchema() {}

  static int latestVersion() {
    return latestVersion(MIGRATIONS);
  }

  static int latestVersion(List<Migration> migrations) {
    return migrations.get(migrations.size() - 1).version();
  }

  /**
   * The schema version of the file, without taking a write lock: 0 for an empty file, -1 for a file
   * that has tables but no {@code schema_version} (someone else's database).
   */
  static int currentVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'),"
                    + " (SELECT count(*) FROM sqlite_master WHERE type = 'table')")) {
      rs.next();
      boolean hasVersionTable = rs.getInt(1) > 0;
      int tables = rs.getInt(2);
      if (!hasVersionTable) {
        return tables == 0 ? 0 : -1;
      }
    }
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_version")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /**
   * Applies every migration newer than the file's version. The caller holds the write lock
   * ({@code BEGIN IMMEDIATE}) and commits; this re-reads the version under that lock because
   * another process may have migrated in between.
   */
  static void migrate(Connection c) throws SQLException {
    migrate(c, MIGRATIONS);
  }

  /** {@link #migrate(Connection)} with a given list, ordered by version (tests add steps). */
  static void migrate(Connection c, List<Migration> migrations) throws SQLException {
    int current = currentVersion(c);
    if (current < 0) {
      throw new SchemaException("has tables but no schema_version: not a Slipway state store");
    }
    int latest = latestVersion(migrations);
    if (current > latest) {
      throw new SchemaException(
          "has schema version " + current + ", newer than this Slipway knows (" + latest + "); upgrade Slipway");
    }
    try (Statement s = c.createStatement()) {
      s.executeUpdate(
          "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL)");
    }
    for (Migration m : migrations) {
      if (m.version() <= current) {
        continue;
      }
      try (Statement s = c.createStatement()) {
        for (String sql : m.statements()) {
          s.executeUpdate(sql);
        }
      }
      try (PreparedStatement p = c.prepareStatement("INSERT INTO schema_version (version, description) VALUES (?, ?)")) {
        p.setInt(1, m.version());
        p.setString(2, m.description());
        p.executeUpdate();
      }
    }
  }

  /** The file is not a state store this version of Slipway can use. */
  static final class SchemaException extends SQLException {
    private static final long serialVersionUID = 1L;

    SchemaException(String message) {
      super(message);
    }
  }
}
