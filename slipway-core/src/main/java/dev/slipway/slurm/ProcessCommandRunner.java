package dev.slipway.slurm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands as child processes. Output is drained on separate threads so that a command
 * printing more than a pipe buffer (scontrol on a large cluster) cannot block; a command that
 * outlives its timeout is killed and reported with exit code 124, as coreutils' timeout does.
 */
public final class ProcessCommandRunner implements CommandRunner {
  private final Map<String, String> environment;

  /** {@code environment} is added to the inherited one (e.g. {@code SLURM_CONF}). */
  public ProcessCommandRunner(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  public ProcessCommandRunner() {
    this(Map.of());
  }

  @Override
  public Result run(List<String> command, Duration timeout) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(environment);
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
    try {
      process.getOutputStream().close();
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()));
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()));
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        return new Result(124, "", command.get(0) + " timed out after " + timeout.toSeconds() + " s");
      }
      return new Result(process.exitValue(), out.get(), err.get());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command.get(0), e);
    } catch (IOException | ExecutionException e) {
      process.destroyForcibly();
      throw new IllegalStateException("cannot read the output of " + command.get(0) + ": " + e.getMessage(), e);
    }
  }

  private static String drain(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
