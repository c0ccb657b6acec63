package dev.slipway.slurm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A munged of a test's own, on its own key and socket in a directory the test owns, so that it is
 * independent of whatever munged (the machine's, another test's) runs at the same time. Stopped by
 * its PID, never by name. Shared by the tests that start a real slurmctld; needs root and the
 * {@code munge} package (callers check, with an assumption).
 */
public final class PrivateMunged implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Path socket;
  private final long pid;

  private PrivateMunged(Path socket, long pid) {
    this.socket = socket;
    this.pid = pid;
  }

  /**
   * Writes a fresh key into {@code dir} and starts munged there (it daemonizes); returns once its
   * PID file exists. {@code --force}: the test's temporary directories are not the locked-down
   * directories munged insists on otherwise, and nothing but this test's processes use the socket.
   */
  public static PrivateMunged start(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path key = dir.resolve("munge.key");
    byte[] bytes = new byte[1024];
    new SecureRandom().nextBytes(bytes);
    Files.write(key, bytes);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
    Path socket = dir.resolve("munge.sock");
    Path pidFile = dir.resolve("munged.pid");
    CommandRunner.Result r = new ProcessCommandRunner().run(List.of(program(), "--force", "--socket=" + socket, "--key-file=" + key,
        "--pid-file=" + pidFile, "--log-file=" + dir.resolve("munged.log"), "--seed-file=" + dir.resolve("munged.seed")), START_TIMEOUT);
    Optional<Long> pid = PrivateSlurmctld.readPid(pidFile);
    if (!r.ok() || pid.isEmpty()) {
      pid.ifPresent(PrivateSlurmctld::stop);
      throw new IllegalStateException("munged did not start (exit " + r.exitCode() + "): " + r.stderr());
    }
    return new PrivateMunged(socket, pid.get());
  }

  /** munged from the PATH, else Debian's /usr/sbin/munged. */
  private static String program() {
    return Files.isExecutable(Path.of("/usr/sbin/munged")) ? "/usr/sbin/munged" : "munged";
  }

  /** The socket to name in slurm.conf's {@code AuthInfo=socket=}. */
  public Path socket() {
    return socket;
  }

  public long pid() {
    return pid;
  }

  /** SIGTERM, SIGKILL after 10 s; by PID. */
  @Override
  public void close() {
    PrivateSlurmctld.stop(pid);
  }
}
