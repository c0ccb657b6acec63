package dev.slipway.cli;

import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigFiles;
import dev.slipway.config.ConfigLoader;
import dev.slipway.config.ConfigProblem;
import dev.slipway.config.KnownVmSizes;
import dev.slipway.config.LoadedConfig;
import dev.slipway.slurm.VmSizeCatalog;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Where a command finds its configuration: {@code -c DIR} (or {@code SLIPWAY_CONFIGDIR}, else the
 * current directory) and single files that override the directory's. Every command that needs the
 * configuration mixes this in ({@code @Mixin ConfigOptions config}) and calls {@link #load()},
 * which prints the warnings to stderr and throws {@code ConfigException} (exit 3) on errors. This
 * is the only place that reads the environment for configuration.
 */
public final class ConfigOptions {
  @Option(names = {"-c", "--configdir"}, paramLabel = "DIR",
      description = "Directory with slurm.yaml, config.yaml, credentials.yaml, pool.yaml, fs.yaml (env SLIPWAY_CONFIGDIR; default: current directory).")
  Path configDir;

  @Option(names = "--slurm", paramLabel = "FILE", description = "slurm.yaml to use instead of the directory's (env SLIPWAY_SLURM_CONF).")
  Path slurm;

  @Option(names = "--config", paramLabel = "FILE", description = "Batch Shipyard config.yaml (env SLIPWAY_CONFIG_CONF).")
  Path config;

  @Option(names = "--pool", paramLabel = "FILE", description = "Batch Shipyard pool.yaml (env SLIPWAY_POOL_CONF).")
  Path pool;

  @Option(names = "--credentials", paramLabel = "FILE", description = "Batch Shipyard credentials.yaml (env SLIPWAY_CREDENTIALS_CONF).")
  Path credentials;

  @Option(names = "--fs", paramLabel = "FILE", description = "Batch Shipyard fs.yaml (env SLIPWAY_FS_CONF).")
  Path fs;

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  /** Loads and validates the configuration; warnings go to stderr, errors become a ConfigException. */
  public LoadedConfig load() {
    return load(true);
  }

  /**
   * Like {@link #load()}, but warnings are printed only when {@code printWarnings}: the power-save
   * hooks run on every Slurm resume and suspend, and repeating the same warnings into the power log
   * each time would bury what happened ({@code slipway config validate} shows them).
   */
  public LoadedConfig load(boolean printWarnings) {
    ConfigFiles files = files(System::getenv);
    if (files.slurm().isEmpty()) {
      // Say which directory was searched; the loader only knows that no file was given.
      throw new ConfigException(List.of(ConfigProblem.error(Optional.of(directory(System::getenv)), 0, 0, "slurm",
          "no slurm.yaml, slurm.yml or slurm.json in this directory",
          "-c DIR or SLIPWAY_CONFIGDIR naming a directory with slurm.yaml, or --slurm FILE or SLIPWAY_SLURM_CONF")));
    }
    LoadedConfig loaded = new ConfigLoader(knownVmSizes()).load(files);
    if (!printWarnings) {
      return loaded;
    }
    PrintWriter err = mixee.commandLine().getErr();
    for (ConfigProblem w : loaded.warnings()) {
      err.println(w.format());
    }
    err.flush();
    return loaded;
  }

  /**
   * The options that make another process load the same configuration: {@code -c DIR} and every
   * file given explicitly, as absolute paths (the environment is resolved now, since a program
   * slurmctld starts does not inherit it). The hook wrappers bake these into their command line.
   */
  public List<String> asArguments(Function<String, String> env) {
    List<String> args = new ArrayList<>(List.of("-c", absolute(directory(env))));
    Optional<Path> p;
    if ((p = pick(slurm, env, "SLIPWAY_SLURM_CONF")).isPresent()) args.addAll(List.of("--slurm", absolute(p.get())));
    if ((p = pick(config, env, "SLIPWAY_CONFIG_CONF")).isPresent()) args.addAll(List.of("--config", absolute(p.get())));
    if ((p = pick(pool, env, "SLIPWAY_POOL_CONF")).isPresent()) args.addAll(List.of("--pool", absolute(p.get())));
    if ((p = pick(credentials, env, "SLIPWAY_CREDENTIALS_CONF")).isPresent()) args.addAll(List.of("--credentials", absolute(p.get())));
    if ((p = pick(fs, env, "SLIPWAY_FS_CONF")).isPresent()) args.addAll(List.of("--fs", absolute(p.get())));
    return args;
  }

  private static String absolute(Path p) {
    return p.toAbsolutePath().normalize().toString();
  }

  /** The files to load: options first, then the environment, then the directory's files. */
  ConfigFiles files(Function<String, String> env) {
    Path dir = directory(env);
    ConfigFiles explicit = ConfigFiles.none();
    Optional<Path> p;
    if ((p = pick(slurm, env, "SLIPWAY_SLURM_CONF")).isPresent()) explicit = explicit.withSlurm(p.get());
    if ((p = pick(config, env, "SLIPWAY_CONFIG_CONF")).isPresent()) explicit = explicit.withConfig(p.get());
    if ((p = pick(pool, env, "SLIPWAY_POOL_CONF")).isPresent()) explicit = explicit.withPool(p.get());
    if ((p = pick(credentials, env, "SLIPWAY_CREDENTIALS_CONF")).isPresent()) explicit = explicit.withCredentials(p.get());
    if ((p = pick(fs, env, "SLIPWAY_FS_CONF")).isPresent()) explicit = explicit.withFs(p.get());
    return ConfigFiles.inDirectory(dir).overriddenBy(explicit);
  }

  private Path directory(Function<String, String> env) {
    return Optional.ofNullable(configDir).or(() -> envPath(env, "SLIPWAY_CONFIGDIR")).orElse(Path.of("."));
  }

  private static Optional<Path> pick(Path option, Function<String, String> env, String name) {
    return Optional.ofNullable(option).or(() -> envPath(env, name));
  }

  private static Optional<Path> envPath(Function<String, String> env, String name) {
    return Optional.ofNullable(env.apply(name)).filter(v -> !v.isBlank()).map(Path::of);
  }

  /** The shipped VM size catalog, which the unknown-size warning consults. */
  static KnownVmSizes knownVmSizes() {
    VmSizeCatalog catalog = VmSizeCatalog.shipped();
    return name -> catalog.find(name).isPresent();
  }
}
