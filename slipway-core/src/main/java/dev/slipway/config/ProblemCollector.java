package dev.slipway.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Collects every problem of one load so that the user sees all of them at once. Positions come
 * from snakeyaml marks (0-based) and are reported 1-based like compilers do.
 */
final class ProblemCollector {
  private final List<ConfigProblem> problems = new ArrayList<>();

  void error(Path file, Mark mark, String keyPath, String message, String allowed) {
    problems.add(ConfigProblem.error(Optional.of(file), line(mark), column(mark), keyPath, message, allowed));
  }

  void error(Path file, Node node, String keyPath, String message, String allowed) {
    error(file, node.getStartMark(), keyPath, message, allowed);
  }

  void warning(Path file, Mark mark, String keyPath, String message, String allowed) {
    problems.add(ConfigProblem.warning(Optional.of(file), line(mark), column(mark), keyPath, message, allowed));
  }

  void warning(Path file, Node node, String keyPath, String message, String allowed) {
    warning(file, node.getStartMark(), keyPath, message, allowed);
  }

  /** A problem about a whole file (missing, unreadable), without a position. */
  void fileError(Path file, String message, String allowed) {
    problems.add(ConfigProblem.error(Optional.of(file), 0, 0, "", message, allowed));
  }

  void add(ConfigProblem p) {
    problems.add(p);
  }

  boolean hasErrors() {
    return problems.stream().anyMatch(ConfigProblem::isError);
  }

  List<ConfigProblem> errors() {
    return problems.stream().filter(ConfigProblem::isError).toList();
  }

  List<ConfigProblem> warnings() {
    return problems.stream().filter(p -> !p.isError()).toList();
  }

  private static int line(Mark m) {
    return m == null ? 0 : m.getLine() + 1;
  }

  private static int column(Mark m) {
    return m == null ? 0 : m.getColumn() + 1;
  }
}
