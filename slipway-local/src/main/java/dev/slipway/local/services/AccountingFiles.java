package dev.slipway.local.services;

import java.nio.file.Path;

/**
 * Where a cluster's accounting keeps its state: {@code <cluster-dir>/accounting}, with MariaDB's
 * data directory, socket and PID file under {@code mysql/} (owned by the mysql user) and
 * slurmdbd's PID file beside it, outside every directory a reset wipes (feasibility study,
 * gotcha 9). {@code slurmdbd.conf} is not here: slurmdbd reads it from the directory of
 * {@code SLURM_CONF}, so it lives beside {@code slurm.conf}.
 */
public record AccountingFiles(Path dir) {
  public static AccountingFiles under(Path clusterDir) {
    return new AccountingFiles(clusterDir.resolve("accounting"));
  }

  public Path mysqlDir() {
    return dir.resolve("mysql");
  }

  public Path dataDir() {
    return mysqlDir().resolve("data");
  }

  public Path socket() {
    return mysqlDir().resolve("mysqld.sock");
  }

  public Path mariadbPidFile() {
    return mysqlDir().resolve("mysqld.pid");
  }

  public Path mariadbLog() {
    return mysqlDir().resolve("mariadbd.log");
  }

  /** The root client's option file (0600): socket and user, so no password or SQL is on a command line. */
  public Path clientOptions() {
    return dir.resolve("client.cnf");
  }

  /** A 0600 SQL script, present only while it runs (it holds the database password). */
  public Path setupScript() {
    return dir.resolve("setup.sql");
  }

  public Path slurmdbdPidFile() {
    return dir.resolve("slurmdbd.pid");
  }
}
