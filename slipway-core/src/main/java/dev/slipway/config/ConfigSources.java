package dev.slipway.config;

import java.nio.file.Path;
import java.util.Optional;

/** Which files a configuration was read from (for messages and for resolving relative paths). */
public record ConfigSources(
    Path slurm, Optional<Path> config, Optional<Path> credentials, Optional<Path> pool, Optional<Path> fs) {
  /** The directory relative paths in the configuration are resolved against. */
  public Path baseDir() {
    Path parent = slurm.toAbsolutePath().getParent();
    return parent == null ? Path.of(".").toAbsolutePath() : parent;
  }
}
