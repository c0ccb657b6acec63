package dev.slipway.local.services;

import dev.slipway.slurm.CommandRunner.Result;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A cluster's Slurm accounting on this machine: its own MariaDB (no systemd, no TCP: a socket
 * under the cluster directory), the slurmdbd database and user, {@code slurmdbd.conf}, slurmdbd,
 * and the cluster, account and user registered with {@code sacctmgr}.
 *
 * <p>Start and stop are idempotent: start does only what is missing (a fresh data directory is
 * initialized once, a running daemon is kept) but always rewrites slurmdbd.conf and resets the
 * database password, so a changed {@code db_password} takes effect. Daemons are found by their PID
 * files ({@link Daemon}) and stopped by PID, waiting for the exit: slurmdbd first, then MariaDB.
 *
 * <p>The password reaches MariaDB only inside a 0600 SQL file that is deleted after use, and
 * slurmdbd only through the 0600 slurmdbd.conf; never a command line, a log or a message.
 * slurmdbd and sacctmgr answer only once slurmdbd has created its schema, so their first calls are
 * retried within bounded time (Batch Shipyard slept 5 s and hoped, bug 44).
 */
public final class LocalAccounting {
  static final Duration DATABASE_START = Duration.ofSeconds(60);
  static final Duration SLURMDBD_START = Duration.ofSeconds(60);
  static final Duration REGISTRATION = Duration.ofSeconds(30);

  private final AccountingSettings settings;
  private final AccountingFiles files;
  private final Ownership mysql;
  private final HostProcesses processes;
  private final Waiting waiting;
  private final Executables executables;

  public LocalAccounting(AccountingSettings settings, AccountingFiles files, Ownership mysql, HostProcesses processes,
      Waiting waiting, Executables executables) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.files = Objects.requireNonNull(files, "files");
    this.mysql = Objects.requireNonNull(mysql, "mysql");
    this.processes = Objects.requireNonNull(processes, "processes");
    this.waiting = Objects.requireNonNull(waiting, "waiting");
    this.executables = Objects.requireNonNull(executables, "executables");
  }

  /** Accounting of the cluster kept in {@code clusterDir} on this machine. */
  public static LocalAccounting forCluster(Path clusterDir, AccountingSettings settings) {
    return new LocalAccounting(settings, AccountingFiles.under(clusterDir), Ownership.of("mysql"), new OsProcesses(),
        Waiting.real(), Executables.standard());
  }

  /** Brings everything up that is not up yet, and registers the cluster. */
  public void start() {
    startDatabase();
    createDatabaseAndUser();
    writeSlurmdbdConf();
    startSlurmdbd();
    register();
  }

  /** Stops slurmdbd, then MariaDB, each by PID and waiting for its exit. Nothing of theirs runs afterwards. */
  public void stop() {
    slurmdbd().stop(processes, waiting);
    mariadb().stop(processes, waiting);
  }

  public boolean isRunning() {
    return slurmdbd().isRunning(processes) || mariadb().isRunning(processes);
  }

  // ---------------------------------------------------------------- MariaDB

  void startDatabase() {
    ownDirectory(files.dir(), "rwx--x--x"); // root's files; mysql only passes through to mysql/
    mysql.directory(files.mysqlDir(), "rwx------");
    if (!Files.isDirectory(files.dataDir().resolve("mysql"))) {
      initializeDataDir();
    }
    if (mariadb().isRunning(processes)) {
      return;
    }
    long pid = processes.spawn(mariadbdCommand(), files.mariadbLog());
    // Until setsid has exec'd, the PID shows setsid, not mariadbd: "exited" means no process at all.
    boolean up = waiting.until(DATABASE_START,
        () -> processes.executable(pid).isEmpty() || (mariadb().isRunning(processes) && databaseAnswers()));
    if (!up || processes.executable(pid).isEmpty()) {
      processes.executable(pid).ifPresent(e -> processes.kill(pid));
      throw new ServiceException("MariaDB did not " + (up ? "stay up" : "answer within " + DATABASE_START.toSeconds() + " s")
          + " on " + files.socket() + ": " + lastLines(readQuietly(files.mariadbLog())) + "; see " + files.mariadbLog());
    }
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private void initializeDataDir() {
    Result r = processes.run(List.of(executables.path("mariadb-install-db"), "--no-defaults", "--user=" + mysql.user(),
        "--datadir=" + files.dataDir(), "--auth-root-authentication-method=socket", "--skip-test-db"), Duration.ofSeconds(180));
    if (!r.ok()) {
      deleteTree(files.dataDir()); // a half-initialized data directory would be taken as ready next time
      throw new ServiceException("mariadb-install-db failed (exit " + r.exitCode() + ") for " + files.dataDir() + ": "
          + lastLines(r.stderr() + r.stdout()));
    }
  }

  List<String> mariadbdCommand() {
    return List.of(executables.path("mariadbd"), "--no-defaults", "--user=" + mysql.user(),
        "--datadir=" + files.dataDir(), "--socket=" + files.socket(), "--pid-file=" + files.mariadbPidFile(),
        "--skip-networking",
        // slurmdbd warns below these (its documented recommendations).
        "--innodb-buffer-pool-size=256M", "--innodb-lock-wait-timeout=900");
  }

  private boolean databaseAnswers() {
    writeClientOptions();
    return processes.run(List.of(executables.path("mariadb"), "--defaults-file=" + files.clientOptions(), "--batch",
        "--skip-column-names", "--execute=SELECT 1"), Duration.ofSeconds(10)).ok();
  }

  /** The root client's options: MariaDB's root authenticates by socket peer (we are root), so no password. */
  private void writeClientOptions() {
    writePrivate(files.clientOptions(), "[client]\nuser=root\nsocket=" + optionValue(files.socket().toString()) + "\n");
  }

  void createDatabaseAndUser() {
    writeClientOptions();
    Path script = files.setupScript();
    try {
      writePrivate(script, AccountingSql.setupScript(SlurmdbdConf.DATABASE, SlurmdbdConf.DATABASE_USER,
          settings.databasePassword().reveal()));
      Result r = processes.run(List.of(executables.path("mariadb"), "--defaults-file=" + files.clientOptions(), "--batch",
          "--execute=SOURCE " + script), Duration.ofSeconds(60));
      if (!r.ok()) {
        throw new ServiceException("creating the accounting database and user failed (exit " + r.exitCode() + "): "
            + lastLines(r.stderr()));
      }
    } finally {
      deleteQuietly(script);
    }
  }

  // ---------------------------------------------------------------- slurmdbd

  void writeSlurmdbdConf() {
    String text;
    try {
      text = SlurmdbdConf.render(settings, files);
    } catch (IllegalArgumentException e) {
      // Never the value itself: it may be the password.
      throw new ServiceException("credentials.slurm.db_password cannot be written to slurmdbd.conf: " + e.getMessage(), e);
    }
    try {
      Files.createDirectories(settings.logDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + settings.logDir() + ": " + e.getMessage(), e);
    }
    writePrivate(settings.slurmdbdConf(), text);
  }

  List<String> slurmdbdCommand() {
    return List.of(executables.path("env"), "SLURM_CONF=" + settings.slurmConf(), "MYSQL_UNIX_PORT=" + files.socket(),
        executables.path("slurmdbd"));
  }

  void startSlurmdbd() {
    if (!slurmdbd().isRunning(processes)) {
      Result r = processes.run(slurmdbdCommand(), Duration.ofSeconds(60));
      if (!r.ok()) {
        throw new ServiceException("slurmdbd did not start (exit " + r.exitCode() + "): " + lastLines(r.stderr())
            + "; see " + settings.logDir().resolve("slurmdbd.log"));
      }
    }
    Optional<Result> answer = retry(SLURMDBD_START, () -> sacctmgr("-n", "-P", "show", "cluster", "format=cluster"));
    if (answer.isEmpty() || !answer.get().ok()) {
      throw new ServiceException("slurmdbd did not answer sacctmgr within " + SLURMDBD_START.toSeconds() + " s"
          + answer.map(a -> ": " + lastLines(a.stderr())).orElse("") + "; see " + settings.logDir().resolve("slurmdbd.log"));
    }
  }

  // ---------------------------------------------------------------- sacctmgr

  /** Registers the cluster, the account and the cluster user's association, each only if missing. */
  void register() {
    String cluster = settings.clusterName();
    ensure("cluster " + cluster,
        List.of("-n", "-P", "show", "cluster", "where", "cluster=" + cluster, "format=cluster"),
        List.of("-i", "add", "cluster", cluster));
    ensure("account " + settings.account(),
        List.of("-n", "-P", "show", "account", "where", "name=" + settings.account(), "format=account"),
        List.of("-i", "add", "account", settings.account(), "Description=Compute accounts", "Organization=" + cluster));
    settings.clusterUser().ifPresent(user -> ensure("user " + user,
        List.of("-n", "-P", "show", "association", "where", "cluster=" + cluster, "account=" + settings.account(),
            "user=" + user, "format=user"),
        List.of("-i", "add", "user", user, "Account=" + settings.account(), "Cluster=" + cluster, "AdminLevel=None")));
  }

  private void ensure(String what, List<String> query, List<String> add) {
    Optional<Result> done = retry(REGISTRATION, () -> {
      Result present = sacctmgr(query.toArray(String[]::new));
      if (!present.ok()) return present;
      if (!present.stdout().isBlank()) return present;
      Result added = sacctmgr(add.toArray(String[]::new));
      // sacctmgr exits 1 for "already exists" too: ask again instead of parsing its prose.
      Result again = sacctmgr(query.toArray(String[]::new));
      return again.ok() && !again.stdout().isBlank() ? again : new Result(1, "", added.stdout() + added.stderr());
    });
    if (done.isEmpty() || !done.get().ok()) {
      throw new ServiceException("sacctmgr could not register " + what + " within " + REGISTRATION.toSeconds() + " s"
          + done.map(d -> ": " + lastLines(d.stderr())).orElse(""));
    }
  }

  private Result sacctmgr(String... args) {
    List<String> command = new ArrayList<>(List.of(executables.path("env"), "SLURM_CONF=" + settings.slurmConf(),
        executables.path("sacctmgr")));
    command.addAll(List.of(args));
    return processes.run(command, Duration.ofSeconds(30));
  }

  /** Calls {@code attempt} until it succeeds or {@code limit} passes; the last result either way. */
  private Optional<Result> retry(Duration limit, Supplier<Result> attempt) {
    Result[] last = new Result[1];
    waiting.until(limit, () -> {
      last[0] = attempt.get();
      return last[0].ok();
    });
    return Optional.ofNullable(last[0]);
  }

  // ---------------------------------------------------------------- helpers

  private Daemon mariadb() {
    return new Daemon("mariadbd", files.mariadbPidFile());
  }

  private Daemon slurmdbd() {
    return new Daemon("slurmdbd", files.slurmdbdPidFile());
  }

  /** Writes {@code text} to a file that is 0600 from its creation on, replacing {@code target} atomically. */
  static void writePrivate(Path target, String text) {
    Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  private static void ownDirectory(Path dir, String permissions) {
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(permissions));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
    }
  }

  /** A MariaDB option file value in double quotes (the option file reader undoes these escapes). */
  static String optionValue(String raw) {
    return "\"" + raw.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String lastLines(String text) {
    List<String> lines = text.strip().lines().toList();
    return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // Only temporary files are deleted this way; the next start overwrites them.
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) return;
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(LocalAccounting::deleteQuietly);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir + ": " + e.getMessage(), e);
    }
  }
}
