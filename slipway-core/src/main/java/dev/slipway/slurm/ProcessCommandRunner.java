package dev.slipway.slurm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command as a child process: no standard input, both outputs captured (read concurrently so
 * a chatty command cannot block on a full pipe), killed with its descendants when it outlives the
 * timeout. A command that cannot be started (no such file) is exit code 127 with the reason on
 * standard error, as a shell reports it, so callers handle one kind of failure. The project's one
 * real {@link CommandRunner}: scontrol, ip, munged, mariadbd and slurmdbd all run through it.
 */
public final class ProcessCommandRunner implements CommandRunner {
  /** Exit code reported for a command killed at its timeout (as coreutils' timeout does). */
  public static final int TIMED_OUT = 124;

  private final Map<String, String> environment;

  /** Runs commands with {@code environment} added to this process's own (e.g. {@code SLURM_CONF}). */
  public ProcessCommandRunner(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  public ProcessCommandRunner() {
    this(Map.of());
  }

  @Override
  public Result run(List<String> command, Duration timeout) {
    Process process;
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().putAll(environment);
      process = pb.start();
    } catch (IOException e) {
      return new Result(127, "", command.get(0) + ": " + e.getMessage());
    }
    Future<String> out = reader(process.getInputStream());
    Future<String> err = reader(process.getErrorStream());
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
        return new Result(TIMED_OUT, drained(out), drained(err) + command.get(0) + ": killed after " + timeout);
      }
      return new Result(process.exitValue(), drained(out), drained(err));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(TIMED_OUT, "", command.get(0) + ": interrupted");
    }
  }

  /**
   * The output read so far. A daemon started by the command may keep the pipes open after the
   * command itself exited; its output is not the command's, so reading stops after a grace period.
   */
  private static String drained(Future<String> output) throws InterruptedException {
    try {
      return output.get(DRAIN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      return "";
    }
  }

  private static final Duration DRAIN_GRACE = Duration.ofSeconds(2);

  /** A daemon thread per stream: a blocked read must neither hold a shared pool thread nor keep the JVM alive. */
  private static Future<String> reader(InputStream in) {
    FutureTask<String> task = new FutureTask<>(() -> read(in));
    Thread thread = new Thread(task, "command-output");
    thread.setDaemon(true);
    thread.start();
    return task;
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
