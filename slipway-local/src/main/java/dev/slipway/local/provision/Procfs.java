package dev.slipway.local.provision;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What /proc says about a pid. An interface so the step-plan tests can say which daemons "run"
 * without starting any.
 */
public interface Procfs {
  /** Reads /proc/PID/stat; a zombie counts as gone (it holds no port, file or namespace any more). */
  Procfs REAL = pid -> {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
      int open = stat.indexOf('(');
      int close = stat.lastIndexOf(')');
      if (open < 0 || close < open || stat.length() < close + 3 || stat.charAt(close + 2) == 'Z') {
        return Optional.empty();
      }
      return Optional.of(stat.substring(open + 1, close));
    } catch (IOException e) {
      return Optional.empty();
    }
  };

  /** The process's command name (as in /proc/PID/stat), empty when no such process or a zombie. */
  Optional<String> comm(long pid);

  default boolean alive(long pid) {
    return comm(pid).isPresent();
  }
}
