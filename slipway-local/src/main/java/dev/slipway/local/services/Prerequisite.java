package dev.slipway.local.services;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One thing the local backend needs from this machine, the files that show it is there, and the
 * Debian package that provides it.
 *
 * @param what what the local backend uses it for, shown to the user
 * @param candidates the files, any of which shows the piece is present (program names are looked up
 *     with {@link Executables}; absolute paths may contain one {@code *} directory component)
 * @param debianPackage the package {@code apt-get install} needs
 */
public record Prerequisite(String name, String what, List<String> candidates, String debianPackage) {
  public Prerequisite {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(what, "what");
    candidates = List.copyOf(candidates);
    Objects.requireNonNull(debianPackage, "debianPackage");
  }

  /** A program found on the search path. */
  public static Prerequisite program(String name, String what, String debianPackage) {
    return new Prerequisite(name, what, List.of(name), debianPackage);
  }

  boolean isFile() {
    return candidates.stream().allMatch(c -> Path.of(c).isAbsolute());
  }
}
