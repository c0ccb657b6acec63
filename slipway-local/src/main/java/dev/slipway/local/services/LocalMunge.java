package dev.slipway.local.services;

import dev.slipway.slurm.CommandRunner.Result;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The cluster's own munged: its key, socket, PID, log and seed all under the cluster directory
 * ({@link MungeFiles}), so clusters on one machine never share credentials with each other or with
 * the machine's default munged. Slurm finds it through {@code AuthInfo=socket=} and
 * {@code AccountingStoragePass} (see docs/slurm-conf.md).
 *
 * <p>munged runs as the munge user (started through {@code setpriv}, which execs in place) rather
 * than as root: munged only needs its own files, and runs without {@code --force} that way. It
 * daemonizes itself and reports readiness by exiting 0, so start is a plain command; stop is by
 * the PID in its PID file, waiting for the exit. The key is created once and never rewritten
 * (nodes that joined hold a copy), and its bytes never reach a log or a message.
 */
public final class LocalMunge {
  /** Key size: munge accepts 32 bytes to 1 KiB; the largest is as cheap as any. */
  public static final int KEY_BYTES = 1024;

  private final MungeFiles files;
  private final Ownership owner;
  private final HostProcesses processes;
  private final Waiting waiting;
  private final Executables executables;
  private final SecureRandom random;

  public LocalMunge(MungeFiles files, Ownership owner, HostProcesses processes, Waiting waiting, Executables executables,
      SecureRandom random) {
    this.files = Objects.requireNonNull(files, "files");
    this.owner = Objects.requireNonNull(owner, "owner");
    this.processes = Objects.requireNonNull(processes, "processes");
    this.waiting = Objects.requireNonNull(waiting, "waiting");
    this.executables = Objects.requireNonNull(executables, "executables");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The munged of the cluster kept in {@code clusterDir}, as user munge, on this machine. */
  public static LocalMunge forCluster(Path clusterDir) {
    return new LocalMunge(MungeFiles.under(clusterDir), Ownership.of("munge"), new OsProcesses(), Waiting.real(),
        Executables.standard(), new SecureRandom());
  }

  public MungeFiles files() {
    return files;
  }

  /**
   * Creates the directories and, when none exists yet, a random key (0400, owned by munge, in a
   * 0700 directory). An existing key is kept: it may already be on nodes.
   */
  public void ensureKey() {
    owner.directory(files.dir(), "rwxr-xr-x");
    owner.directory(files.keyDir(), "rwx------");
    if (Files.exists(files.key())) {
      owner.apply(files.key(), "r--------");
      return;
    }
    byte[] key = new byte[KEY_BYTES];
    random.nextBytes(key);
    Path tmp = files.keyDir().resolve(".munge.key.tmp");
    try {
      Files.deleteIfExists(tmp);
      // Created 0600 by the open call itself: the bytes are never in a file others can read.
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        out.write(key);
      }
      owner.apply(tmp, "r--------");
      Files.move(tmp, files.key(), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the munge key in " + files.keyDir() + ": " + e.getMessage(), e);
    } finally {
      java.util.Arrays.fill(key, (byte) 0);
    }
  }

  /** The command that starts munged; it daemonizes and exits 0 once its socket is ready. */
  public List<String> mungedCommand() {
    return List.of(executables.path("setpriv"), "--reuid=" + owner.user(), "--regid=" + owner.group(), "--init-groups",
        executables.path("munged"),
        "--socket=" + files.socket(),
        "--key-file=" + files.key(),
        "--pid-file=" + files.pidFile(),
        "--log-file=" + files.logFile(),
        "--seed-file=" + files.seedFile());
  }

  /** Starts munged unless it already runs, then checks that it issues and decodes a credential. */
  public void start() {
    ensureKey();
    if (!daemon().isRunning(processes)) {
      Result r = processes.run(mungedCommand(), Duration.ofSeconds(30));
      if (!r.ok()) {
        throw new ServiceException("munged did not start (exit " + r.exitCode() + "): " + r.stderr().strip()
            + "; see " + files.logFile());
      }
      if (!waiting.until(Duration.ofSeconds(10), () -> daemon().isRunning(processes))) {
        throw new ServiceException("munged exited 0 but wrote no PID file " + files.pidFile() + " naming a running munged; see "
            + files.logFile());
      }
    }
    verify();
  }

  /** {@code munge -n | unmunge} through this cluster's socket, with the credential in a file (no shell). */
  public void verify() {
    Path credential = files.dir().resolve(".verify.cred");
    try {
      Result encoded = processes.run(List.of(executables.path("munge"), "--no-input", "--socket=" + files.socket(),
          "--output=" + credential), Duration.ofSeconds(10));
      if (!encoded.ok()) {
        throw new ServiceException("munge could not encode a credential through " + files.socket() + ": " + encoded.stderr().strip());
      }
      Result decoded = processes.run(List.of(executables.path("unmunge"), "--socket=" + files.socket(),
          "--input=" + credential), Duration.ofSeconds(10));
      if (!decoded.ok()) {
        throw new ServiceException("unmunge rejected a fresh credential through " + files.socket() + ": "
            + (decoded.stderr() + decoded.stdout()).strip());
      }
    } finally {
      try {
        Files.deleteIfExists(credential);
      } catch (IOException e) {
        // The credential expires within minutes and is useless elsewhere; leaving it is harmless.
      }
    }
  }

  public boolean isRunning() {
    return daemon().isRunning(processes);
  }

  /** Stops munged if it runs and waits until it has exited. */
  public void stop() {
    daemon().stop(processes, waiting);
  }

  private Daemon daemon() {
    return new Daemon("munged", files.pidFile());
  }
}
