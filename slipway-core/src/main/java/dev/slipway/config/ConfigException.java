package dev.slipway.config;

import java.util.List;

/** The configuration is invalid; carries every problem found, not just the first (exit code 3). */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient List<ConfigProblem> problems;

  public ConfigException(List<ConfigProblem> problems) {
    super(problems.isEmpty() ? "invalid configuration" : problems.get(0).format());
    this.problems = List.copyOf(problems);
  }

  public List<ConfigProblem> problems() {
    return problems;
  }
}
