package dev.slipway.local.services;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A daemon known by its PID file and its executable's name. A PID is trusted only while the process
 * with that PID runs that executable, so a stale file whose PID the kernel gave to another
 * process never makes Slipway signal a stranger.
 *
 * <p>Stopping waits until the process has exited (the feasibility study's gotcha 9: a dying
 * slurmctld or slurmdbd unlinks its PID file, and a successor started too early loses its own file
 * and finds the port taken).
 */
public record Daemon(String executableName, Path pidFile) {
  /** How long a daemon gets to exit after SIGTERM before it is killed. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(30);

  /** The PID of the running daemon, empty when the file is absent or names no such daemon. */
  public Optional<Long> runningPid(HostProcesses processes) {
    return readPid().filter(pid -> isOurs(processes, pid));
  }

  public boolean isRunning(HostProcesses processes) {
    return runningPid(processes).isPresent();
  }

  /** True when {@code pid} is alive and runs this daemon's executable. */
  public boolean isOurs(HostProcesses processes, long pid) {
    return processes.executable(pid).filter(e -> e.equals(executableName) || e.endsWith("/" + executableName)).isPresent();
  }

  Optional<Long> readPid() {
    try {
      if (!Files.isRegularFile(pidFile)) {
        return Optional.empty();
      }
      String text = Files.readString(pidFile, StandardCharsets.US_ASCII).strip();
      return text.matches("[0-9]{1,10}") ? Optional.of(Long.parseLong(text)) : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + pidFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * Stops the daemon if it runs: SIGTERM, wait for exit, SIGKILL after {@link #STOP_GRACE}, wait
   * again. Returns only when the process is gone; a stale PID file is removed.
   *
   * @throws IllegalStateException when the process survives SIGKILL (uninterruptible sleep)
   */
  public void stop(HostProcesses processes, Waiting waiting) {
    Optional<Long> pid = runningPid(processes);
    if (pid.isPresent()) {
      long p = pid.get();
      processes.terminate(p);
      if (!waiting.until(STOP_GRACE, () -> !isOurs(processes, p))) {
        processes.kill(p);
        if (!waiting.until(Duration.ofSeconds(10), () -> !isOurs(processes, p))) {
          throw new IllegalStateException(executableName + " (pid " + p + ") did not exit after SIGTERM and SIGKILL");
        }
      }
    }
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + pidFile + ": " + e.getMessage(), e);
    }
  }
}
