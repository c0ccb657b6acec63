package dev.slipway.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Which files to load: slurm.yaml is required, the other Batch Shipyard files are optional. Built
 * from a directory ({@link #inDirectory}) and/or explicit paths ({@link #overriddenBy}); the CLI
 * decides where the paths come from (options, environment).
 */
public record ConfigFiles(
    Optional<Path> slurm, Optional<Path> config, Optional<Path> credentials, Optional<Path> pool, Optional<Path> fs) {

  /** The file names looked for in a directory, in Batch Shipyard's order of preference. */
  static final List<String> EXTENSIONS = List.of(".yaml", ".yml", ".json");

  public static ConfigFiles none() {
    return new ConfigFiles(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** The files present in {@code dir}: {@code slurm.yaml} (or .yml, .json), {@code config.yaml}, ... */
  public static ConfigFiles inDirectory(Path dir) {
    return new ConfigFiles(find(dir, "slurm"), find(dir, "config"), find(dir, "credentials"), find(dir, "pool"), find(dir, "fs"));
  }

  private static Optional<Path> find(Path dir, String base) {
    return EXTENSIONS.stream().map(ext -> dir.resolve(base + ext)).filter(Files::isRegularFile).findFirst();
  }

  /** These files, with every path that {@code explicit} names replacing the one found here. */
  public ConfigFiles overriddenBy(ConfigFiles explicit) {
    return new ConfigFiles(
        explicit.slurm.or(() -> slurm),
        explicit.config.or(() -> config),
        explicit.credentials.or(() -> credentials),
        explicit.pool.or(() -> pool),
        explicit.fs.or(() -> fs));
  }

  public ConfigFiles withSlurm(Path p) {
    return new ConfigFiles(Optional.of(p), config, credentials, pool, fs);
  }

  public ConfigFiles withConfig(Path p) {
    return new ConfigFiles(slurm, Optional.of(p), credentials, pool, fs);
  }

  public ConfigFiles withCredentials(Path p) {
    return new ConfigFiles(slurm, config, Optional.of(p), pool, fs);
  }

  public ConfigFiles withPool(Path p) {
    return new ConfigFiles(slurm, config, credentials, Optional.of(p), fs);
  }

  public ConfigFiles withFs(Path p) {
    return new ConfigFiles(slurm, config, credentials, pool, Optional.of(p));
  }
}
