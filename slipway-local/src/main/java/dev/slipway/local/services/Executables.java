package dev.slipway.local.services;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * Where programs are looked up. Daemons live in {@code sbin} directories that a user's PATH often
 * lacks, so the standard directories are always searched; the CLI may put the user's PATH first.
 */
public record Executables(List<Path> searchPath) {
  public static final List<Path> STANDARD = List.of(Path.of("/usr/local/sbin"), Path.of("/usr/local/bin"),
      Path.of("/usr/sbin"), Path.of("/usr/bin"), Path.of("/sbin"), Path.of("/bin"));

  public Executables {
    searchPath = List.copyOf(searchPath);
  }

  public static Executables standard() {
    return new Executables(STANDARD);
  }

  /** {@code directories} first, then the standard ones, without duplicates. */
  public static Executables withPath(List<Path> directories) {
    LinkedHashSet<Path> all = new LinkedHashSet<>(directories);
    all.addAll(STANDARD);
    return new Executables(new ArrayList<>(all));
  }

  public Optional<Path> find(String name) {
    return searchPath.stream().map(d -> d.resolve(name)).filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
  }

  /** The program's full path, or its bare name (the failure to run it then names it). */
  public String path(String name) {
    return find(name).map(Path::toString).orElse(name);
  }
}
