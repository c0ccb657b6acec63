package dev.slipway.local.services;

import dev.slipway.slurm.ProcessCommandRunner;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@link HostProcesses} of the real machine, through {@link ProcessBuilder} and {@link ProcessHandle}. */
public final class OsProcesses implements HostProcesses {
  private final ProcessCommandRunner runner = new ProcessCommandRunner();

  @Override
  public Result run(List<String> command, Duration timeout) {
    return runner.run(command, timeout);
  }

  @Override
  public long spawn(List<String> command, Path output) {
    // setsid: a new session, so a terminal's Ctrl-C or hang-up aimed at Slipway does not reach the
    // daemon. setsid execs in place (a JVM child is no group leader), so the PID is the daemon's.
    List<String> detached = new ArrayList<>();
    detached.add("setsid");
    detached.addAll(command);
    try {
      Process p = new ProcessBuilder(detached)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
          .start();
      return p.pid();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<String> executable(long pid) {
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(h -> h.info().command().orElse(""));
  }

  @Override
  public void terminate(long pid) {
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
  }

  @Override
  public void kill(long pid) {
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }
}
