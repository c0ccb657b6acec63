package dev.slipway.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.StoreUnavailableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is particular to the SQLite store: schema migration at open, refusing files it cannot use
 * with a one-line message naming the file, and many processes writing one file at once. The
 * behaviour every store shares is in slipway-testkit's {@code SqliteStateStoreContractTest}.
 */
class SqliteStateStoreTest {
  private static final Instant AT = Instant.parse("2026-03-01T12:00:00Z");

  @TempDir Path dir;

  @Test
  void open_onAMissingFile_createsItInWalModeAtTheLatestSchemaVersion() throws SQLException {
    Path db = dir.resolve("state.db");

    SqliteStateStore.open(db).close();

    assertThat(db).exists();
    assertThat(query(db, "PRAGMA journal_mode")).containsExactly("wal");
    assertThat(query(db, "SELECT version FROM schema_version ORDER BY version"))
        .containsExactly(SqliteSchema.MIGRATIONS.stream().map(m -> String.valueOf(m.version())).toArray(String[]::new));
  }

  @Test
  void open_again_keepsDataAndAppliesNoMigrationTwice() throws SQLException {
    Path db = dir.resolve("state.db");
    HostIntent recorded;
    try (SqliteStateStore store = SqliteStateStore.open(db)) {
      recorded = store.recordIntents(List.of(up("gpu-0")), AT).get(0);
    }

    try (SqliteStateStore store = SqliteStateStore.open(db)) {
      assertThat(store.intents()).containsEntry("gpu-0", recorded);
      assertThat(store.recordIntents(List.of(up("gpu-1")), AT).get(0).seq()).isGreaterThan(recorded.seq());
    }
    SqliteStateStore.open(db).close();

    assertThat(query(db, "SELECT count(*) FROM schema_version")).containsExactly(String.valueOf(SqliteSchema.MIGRATIONS.size()));
  }

  @Test
  void open_fromManyThreadsOnAFreshFile_migratesExactlyOnce() throws Exception {
    Path db = dir.resolve("state.db");
    int openers = 4;
    ExecutorService pool = Executors.newFixedThreadPool(openers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Long>> seqs = new ArrayList<>();
      for (int i = 0; i < openers; i++) {
        String host = "gpu-" + i;
        seqs.add(pool.submit(() -> {
          go.await();
          try (SqliteStateStore store = SqliteStateStore.open(db)) {
            return store.recordIntents(List.of(up(host)), AT).get(0).seq();
          }
        }));
      }
      go.countDown();
      List<Long> recorded = new ArrayList<>();
      for (Future<Long> f : seqs) {
        recorded.add(f.get(1, TimeUnit.MINUTES));
      }

      assertThat(recorded).doesNotHaveDuplicates();
      assertThat(query(db, "SELECT count(*) FROM schema_version")).containsExactly(String.valueOf(SqliteSchema.MIGRATIONS.size()));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void migrate_onAFileAtAnOlderVersion_appliesOnlyTheNewerStepsInOrder() throws SQLException {
    Path db = dir.resolve("state.db");
    SqliteStateStore.open(db).close();
    int latest = SqliteSchema.latestVersion();
    List<SqliteSchema.Migration> withNextSteps = new ArrayList<>(SqliteSchema.MIGRATIONS);
    withNextSteps.add(new SqliteSchema.Migration(latest + 1, "notes", List.of("CREATE TABLE notes (text TEXT)")));
    withNextSteps.add(
        new SqliteSchema.Migration(latest + 2, "first note", List.of("INSERT INTO notes (text) VALUES ('after notes')")));

    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      SqliteSchema.migrate(c, withNextSteps);
      s.execute("COMMIT");
      assertThat(SqliteSchema.currentVersion(c)).isEqualTo(latest + 2);
      s.execute("BEGIN IMMEDIATE");
      SqliteSchema.migrate(c, withNextSteps);
      s.execute("COMMIT");
    }

    assertThat(query(db, "SELECT text FROM notes")).containsExactly("after notes");
  }

  @Test
  void open_onAFileWithANewerSchema_refusesAndNamesTheFile() throws SQLException {
    Path db = dir.resolve("state.db");
    SqliteStateStore.open(db).close();
    execute(db, "INSERT INTO schema_version (version, description) VALUES (99, 'from the future')");

    assertThatThrownBy(() -> SqliteStateStore.open(db))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(db.toString())
        .hasMessageContaining("schema version 99")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void open_onSomeoneElsesDatabase_refusesToTouchIt() throws SQLException {
    Path db = dir.resolve("other.db");
    execute(db, "CREATE TABLE accounts (id INTEGER)");

    assertThatThrownBy(() -> SqliteStateStore.open(db))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(db.toString())
        .hasMessageContaining("not a Slipway state store");
    assertThat(query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'intents'")).containsExactly("0");
  }

  @Test
  void open_onAFileThatIsNotADatabase_throwsStoreUnavailableNamingTheFile() throws IOException {
    Path db = dir.resolve("state.db");
    Files.writeString(db, "this is not a database\n".repeat(200), StandardCharsets.US_ASCII);

    assertThatThrownBy(() -> SqliteStateStore.open(db))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(db.toString())
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void open_whenTheDirectoryIsMissing_throwsStoreUnavailableNamingTheFile() {
    Path db = dir.resolve("missing").resolve("state.db");

    assertThatThrownBy(() -> SqliteStateStore.open(db))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(db.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void open_onADirectory_throwsStoreUnavailableNamingIt() {
    assertThatThrownBy(() -> SqliteStateStore.open(dir))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("is a directory");
  }

  @Test
  void open_inADirectoryNobodyMayWrite_throwsStoreUnavailableNamingTheFile() {
    // /proc refuses file creation even to root, so this holds whoever runs the build.
    Path procDir = Path.of("/proc/self");
    assumeThat(Files.isDirectory(procDir)).as("needs Linux /proc").isTrue();
    Path db = procDir.resolve("slipway-state.db");

    assertThatThrownBy(() -> SqliteStateStore.open(db))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(db.toString())
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void open_inAReadOnlyDirectory_throwsStoreUnavailableNamingTheFile() throws IOException {
    Path readOnly = Files.createDirectory(dir.resolve("ro"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assumeThat(Files.isWritable(readOnly)).as("root ignores directory permissions").isFalse();
      Path db = readOnly.resolve("state.db");

      assertThatThrownBy(() -> SqliteStateStore.open(db))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining(db.toString());
    } finally {
      Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void write_whileAnotherProcessHoldsTheWriteLockTooLong_givesUpWithStoreUnavailableNamingTheFile() throws SQLException {
    Path db = dir.resolve("state.db");
    try (SqliteStateStore store = SqliteStateStore.open(db, Duration.ofMillis(50), 3);
        Connection other = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = other.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      try {
        assertThatThrownBy(() -> store.recordIntents(List.of(up("gpu-0")), AT))
            .isInstanceOf(StoreUnavailableException.class)
            .hasMessageContaining(db.toString())
            .hasMessageContaining("still locked by another process after 3 attempts")
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        // Readers are not blocked by a writer in WAL mode.
        assertThat(store.intents()).isEmpty();
      } finally {
        s.execute("ROLLBACK");
      }
      assertThat(store.recordIntents(List.of(up("gpu-0")), AT)).hasSize(1);
    }
  }

  @Test
  void operations_afterClose_areRefused() {
    SqliteStateStore store = SqliteStateStore.open(dir.resolve("state.db"));
    store.close();
    store.close();

    assertThatThrownBy(store::intents).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void times_areKeptToTheMillisecondAndReturnedAsStored() {
    try (SqliteStateStore store = SqliteStateStore.open(dir.resolve("state.db"))) {
      Instant withNanos = Instant.parse("2026-03-01T12:00:00.123456789Z");
      HostIntent returned = store.recordIntents(List.of(up("gpu-0")), withNanos).get(0);
      HostBinding binding = store.putBinding(new HostBinding("gpu-0", "gpu", BindingPhase.REQUESTED, Optional.empty(),
          Optional.empty(), returned.seq(), withNanos, Optional.empty(), 0)).orElseThrow();

      Instant millis = Instant.parse("2026-03-01T12:00:00.123Z");
      assertThat(returned.at()).isEqualTo(millis);
      assertThat(store.intents().get("gpu-0")).isEqualTo(returned);
      assertThat(binding.since()).isEqualTo(millis);
      assertThat(store.binding("gpu-0")).contains(binding);
    }
  }

  /**
   * Three child JVMs act as bursts of resume hooks (open, record one intent, close; 200 times
   * each) against one file while this JVM keeps a connection open and compare-and-sets a binding
   * and a pool in a loop, as the daemon would. No sequence may be lost or handed out twice, no
   * SQLITE_BUSY may escape, and no compare-and-set of the only writer of a row may fail.
   */
  @Test
  void manyProcessesWritingAtOnce_loseNoIntentAndNeverDuplicateASequence() throws Exception {
    Path db = dir.resolve("state.db");
    int writers = 3;
    int intentsPerWriter = 200;
    try (SqliteStateStore daemon = SqliteStateStore.open(db)) {
      HostBinding binding = daemon.putBinding(new HostBinding("daemon-0", "daemon", BindingPhase.REQUESTED, Optional.empty(),
          Optional.empty(), 0, AT, Optional.empty(), 0)).orElseThrow();
      PoolRecord pool = daemon.putPool(PoolRecord.initial("daemon")).orElseThrow();

      List<Process> children = new ArrayList<>();
      try {
        for (int w = 0; w < writers; w++) {
          children.add(startWriter(db, "w" + w, intentsPerWriter));
        }
        int casUpdates = 0;
        // Bounded so that a hung child fails the test instead of hanging the build.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (children.stream().anyMatch(Process::isAlive) && System.nanoTime() < deadline) {
          binding = daemon.putBinding(new HostBinding(binding.host(), binding.poolId(), binding.phase(), binding.nodeId(),
              binding.address(), binding.intentSeq() + 1, binding.since(), binding.error(), binding.version())).orElseThrow(
                  () -> new AssertionError("the only writer of a binding lost a compare-and-set"));
          pool = daemon.putPool(new PoolRecord("daemon", new PoolTarget(pool.requested().dedicated() + 1, 0),
              Optional.empty(), pool.backoff(), pool.version())).orElseThrow(
                  () -> new AssertionError("the only writer of a pool lost a compare-and-set"));
          casUpdates++;
          // A reconcile pass reads a snapshot between its writes; this also leaves the children
          // windows to take the write lock, which SQLite does not hand out fairly.
          assertThat(daemon.intents().size()).isLessThanOrEqualTo(writers * intentsPerWriter);
        }
        for (Process child : children) {
          assertThat(child.waitFor(3, TimeUnit.MINUTES)).as("child finished").isTrue();
        }

        Map<String, Long> seqByHost = new HashMap<>();
        List<Long> allSeqs = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          Process child = children.get(w);
          String stderr = Files.readString(dir.resolve("w" + w + ".err"));
          assertThat(child.exitValue()).as("writer w%d exit code, stderr: %s", w, stderr).isZero();
          assertThat(stderr).as("writer w%d stderr", w).doesNotContain("BUSY").doesNotContain("Exception");
          List<Long> childSeqs = new ArrayList<>();
          for (String line : Files.readAllLines(dir.resolve("w" + w + ".out"))) {
            String[] parts = line.split(" ");
            if (parts[0].equals("seq")) {
              seqByHost.put(parts[1], Long.parseLong(parts[2]));
              childSeqs.add(Long.parseLong(parts[2]));
            } else if (parts[0].equals("timing")) {
              System.out.println("[sqlite store] " + line);
            }
          }
          assertThat(childSeqs).as("writer w%d sequences", w).hasSize(intentsPerWriter).isSorted();
          allSeqs.addAll(childSeqs);
        }
        System.out.println("[sqlite store] parent compare-and-set rounds while children wrote: " + casUpdates);

        assertThat(allSeqs).hasSize(writers * intentsPerWriter).doesNotHaveDuplicates();
        Map<String, HostIntent> stored = daemon.intents();
        assertThat(stored).hasSize(writers * intentsPerWriter);
        seqByHost.forEach((host, seq) -> assertThat(stored.get(host).seq()).as(host).isEqualTo(seq));
        assertThat(daemon.binding("daemon-0").orElseThrow().intentSeq()).isEqualTo(casUpdates);
        assertThat(daemon.pools().get("daemon").requested().dedicated()).isEqualTo(casUpdates);
      } finally {
        for (Process child : children) {
          child.destroyForcibly();
        }
      }
    }
  }

  private Process startWriter(Path db, String writer, int count) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // Surefire may run tests from a manifest-only jar; its property holds the real classpath.
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return new ProcessBuilder(java, "-cp", classpath, IntentWriterProcess.class.getName(), db.toString(), writer,
            String.valueOf(count))
        .redirectOutput(dir.resolve(writer + ".out").toFile())
        .redirectError(dir.resolve(writer + ".err").toFile())
        .start();
  }

  /** Open, record one intent and close in this JVM: the warm part of a resume hook. Logged, not asserted. */
  @Test
  void openRecordClose_inProcess_isLogged() {
    Path db = dir.resolve("state.db");
    SqliteStateStore.open(db).close();
    long[] millis = new long[20];
    for (int i = 0; i < millis.length; i++) {
      long start = System.nanoTime();
      try (SqliteStateStore store = SqliteStateStore.open(db)) {
        store.recordIntents(List.of(up("gpu-" + i)), AT);
      }
      millis[i] = (System.nanoTime() - start) / 1_000_000;
    }
    System.out.println("[sqlite store] in-process open+record+close ms: " + Arrays.toString(millis));
    try (SqliteStateStore store = SqliteStateStore.open(db)) {
      assertThat(store.intents()).hasSize(millis.length);
    }
  }

  @Test
  void idlePollAndEventRetention_searchAnIndexInsteadOfScanningTheTable() throws SQLException {
    Path db = dir.resolve("state.db");
    SqliteStateStore.open(db).close();

    // The exact statements the store runs (activity() and deleteEventsBefore()).
    assertThat(plan(db, "SELECT host FROM bindings WHERE phase = 'JOINED'"))
        .anySatisfy(step -> assertThat(step).contains("USING COVERING INDEX bindings_by_phase"))
        .noneSatisfy(step -> assertThat(step).startsWith("SCAN"));
    assertThat(plan(db, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at_ms < 5 ORDER BY at_ms, id LIMIT 10)"))
        .anySatisfy(step -> assertThat(step).contains("INDEX events_by_time"))
        .noneSatisfy(step -> assertThat(step).matches("SCAN events( |$).*"));
  }

  private static List<String> plan(Path db, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("EXPLAIN QUERY PLAN " + sql)) {
      List<String> steps = new ArrayList<>();
      while (rs.next()) {
        steps.add(rs.getString("detail"));
      }
      return steps;
    }
  }

  private static IntentRequest up(String host) {
    return new IntentRequest(host, host.substring(0, host.indexOf('-')), Intent.UP, IntentSource.RESUME, List.of());
  }

  private static List<String> query(Path db, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
      return rows;
    }
  }

  private static void execute(Path db, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
