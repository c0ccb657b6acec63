package dev.slipway.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One configuration problem, located where the user typed it. Formats as
 * {@code file:line:col key.path: what is wrong; allowed: ...}.
 */
public record ConfigProblem(
    Severity severity, Optional<Path> file, int line, int column, String keyPath, String message, Optional<String> allowed) {

  public enum Severity {
    ERROR,
    WARNING
  }

  public static ConfigProblem error(Optional<Path> file, int line, int column, String keyPath, String message, String allowed) {
    return new ConfigProblem(Severity.ERROR, file, line, column, keyPath, message, Optional.ofNullable(allowed));
  }

  public static ConfigProblem warning(Optional<Path> file, int line, int column, String keyPath, String message, String allowed) {
    return new ConfigProblem(Severity.WARNING, file, line, column, keyPath, message, Optional.ofNullable(allowed));
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  public String format() {
    StringBuilder sb = new StringBuilder();
    sb.append(file.map(Path::toString).orElse("<config>"));
    if (line > 0) {
      sb.append(':').append(line).append(':').append(Math.max(column, 1));
    }
    sb.append(' ');
    if (severity == Severity.WARNING) {
      sb.append("warning: ");
    }
    sb.append(keyPath.isEmpty() ? "(top)" : keyPath).append(": ").append(message);
    allowed.ifPresent(a -> sb.append("; allowed: ").append(a));
    return sb.toString();
  }
}
