package dev.slipway.local.services;

import java.nio.file.Path;

/**
 * Where a cluster's own munged keeps its files: {@code <cluster-dir>/munge}, owned by the munge
 * user and readable by all (clients of every user must reach the socket), with the key alone in
 * {@code key/} (mode 0700, key 0400). Nothing here is shared with the machine's default munged.
 */
public record MungeFiles(Path dir) {
  public static MungeFiles under(Path clusterDir) {
    return new MungeFiles(clusterDir.resolve("munge"));
  }

  public Path keyDir() {
    return dir.resolve("key");
  }

  public Path key() {
    return keyDir().resolve("munge.key");
  }

  /** The socket Slurm names in {@code AuthInfo=socket=} and {@code AccountingStoragePass}. */
  public Path socket() {
    return dir.resolve("munged.socket");
  }

  public Path pidFile() {
    return dir.resolve("munged.pid");
  }

  public Path logFile() {
    return dir.resolve("munged.log");
  }

  public Path seedFile() {
    return dir.resolve("munged.seed");
  }
}
