package dev.slipway.local;

import dev.slipway.slurm.CommandRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The real {@link CommandRunner}: runs the command as a child process with stdin closed, collects
 * its output, and kills it (by its PID) when it outlives the timeout. Output is read on two threads
 * so that a chatty command cannot block on a full pipe while we wait for it.
 */
public final class ProcessCommandRunner implements CommandRunner {
  /** Exit code reported when the command did not finish in time (as coreutils' timeout does). */
  public static final int TIMED_OUT = 124;

  private final Map<String, String> environment;

  /** Runs commands with the given environment added to this process's one. */
  public ProcessCommandRunner(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  public ProcessCommandRunner() {
    this(Map.of());
  }

  @Override
  public Result run(List<String> command, Duration timeout) {
    ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(environment);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      // 127 is what a shell reports for a command it cannot run.
      return new Result(127, "", "cannot run " + command.get(0) + ": " + e.getMessage());
    }
    // Own threads, not the common pool: on a 2-core machine its single worker would read one pipe
    // while the command blocks writing the other.
    CompletableFuture<String> out = drainOnThread(p.getInputStream(), "stdout of " + command.get(0));
    CompletableFuture<String> err = drainOnThread(p.getErrorStream(), "stderr of " + command.get(0));
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        return new Result(TIMED_OUT, out.getNow(""), "timed out after " + timeout + ": " + String.join(" ", command));
      }
      return new Result(p.exitValue(), out.join(), err.join());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(TIMED_OUT, "", "interrupted: " + String.join(" ", command));
    }
  }

  private static CompletableFuture<String> drainOnThread(InputStream in, String name) {
    CompletableFuture<String> text = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        text.complete(drain(in));
      } catch (RuntimeException e) {
        text.completeExceptionally(e);
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return text;
  }

  private static String drain(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
