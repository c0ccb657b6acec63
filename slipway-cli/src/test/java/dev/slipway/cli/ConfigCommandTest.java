package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.config.ConfigFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code slipway config validate|show} and the shared {@link ConfigOptions}. */
class ConfigCommandTest {
  private static final Path FIXTURES = Path.of("..", "slipway-core", "src", "test", "resources", "fixtures");
  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private Path copyFixture(String name) throws IOException {
    Path target = dir.resolve(name);
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(FIXTURES.resolve(name))) {
      for (Path f : files.toList()) Files.copy(f, target.resolve(f.getFileName()));
    }
    return target;
  }

  @Test
  void validate_validConfiguration_exitsZeroAndPrintsWarningsSeparately() throws IOException {
    Path recipe = copyFixture("recipe-slurm-nfs");
    // A size the shipped catalog does not know is a warning, not an error.
    Path pool = recipe.resolve("pool.yaml");
    Files.writeString(pool, Files.readString(pool).replace("STANDARD_F2", "STANDARD_ZZ9"));
    int code = run("config", "validate", "-c", recipe.toString());
    assertThat(code).isZero();
    assertThat(out.toString()).contains("valid: cluster 'myslurmcluster', 1 elastic partition (mypart1), 1 pool,"
        + " 32 elastic hosts, backend local, 1 warning");
    assertThat(err.toString()).startsWith(pool + ":18:12 warning: pool_specification.vm_size:"
        + " unknown VM size 'STANDARD_ZZ9'");
  }

  @Test
  void validate_recipeAsShipped_knowsItsVmSizesFromTheCatalog() throws IOException {
    Path recipe = copyFixture("recipe-slurm-nfs");
    int code = run("config", "validate", "-c", recipe.toString());
    assertThat(code).isZero();
    assertThat(out.toString()).contains("0 warnings");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void validate_invalidConfiguration_printsEveryErrorAndExitsThree() throws IOException {
    Files.writeString(dir.resolve("slurm.yaml"), """
        slurm:
          cluster_id: Bad_Id
          controller:
            ssh:
              username: admin
            vm_size: x
            vm_count: 9
          slurm_options:
            elastic_partitions: {}
        """);
    int code = run("config", "validate", "--configdir", dir.toString());
    assertThat(code).isEqualTo(ExitCodes.INVALID_CONFIG);
    String slurm = dir.resolve("slurm.yaml").toString();
    assertThat(err.toString().lines()).containsExactly(
        slurm + ":2:15 slurm.cluster_id: 'Bad_Id' is not a valid cluster id; allowed: 1..22 characters: lower-case"
            + " letters, digits and hyphens, starting with a letter and not ending with a hyphen",
        slurm + ":7:15 slurm.controller.vm_count: vm_count 9 is out of range; allowed: 1..3 (more than one is HA)",
        slurm + ":1:1 slurm.login: required key is missing",
        slurm + ":9:25 slurm.slurm_options.elastic_partitions: no partition is defined; allowed: at least one partition"
            + " with batch_pools",
        "slipway: configuration is invalid (4 problems)");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void show_printsTheEffectiveConfiguration_withSecretsMasked() throws IOException {
    Path rich = copyFixture("rich");
    int code = run("config", "show", "-c", rich.toString());
    assertThat(code).isZero();
    assertThat(out.toString())
        .contains("cluster_id: rich", "backend: local", "daemon_port: 6821", "max_runtime_limit: 2.00:00:00",
            "host_prefix: cpulp", "db_password: '********'")
        .doesNotContain("rich-db-password", "cmljaC1zdG9yYWdlLWtleQ==");
  }

  @Test
  void explicitSlurmFile_overridesTheDirectory() throws IOException {
    Path recipe = copyFixture("recipe-slurm-nfs");
    Path rich = copyFixture("rich");
    int code = run("config", "validate", "-c", recipe.toString(), "--slurm", rich.resolve("slurm.yaml").toString());
    // The recipe's config.yaml and fs.yaml do not declare the rich cluster's volumes: that is caught.
    assertThat(code).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(err.toString()).contains(
        rich.resolve("slurm.yaml") + ":48:5 slurm.shared_data_volumes.scratch: volume 'scratch' is not declared in config.yaml",
        rich.resolve("slurm.yaml") + ":48:5 slurm.shared_data_volumes.scratch: volume 'scratch' is not a storage cluster"
            + " in fs.yaml; allowed: nfs");
    out.getBuffer().setLength(0);
    code = run("config", "validate", "-c", rich.toString(), "--slurm", rich.resolve("slurm.yaml").toString(),
        "--pool", recipe.resolve("pool.yaml").toString());
    assertThat(code).isZero();
    assertThat(out.toString()).contains("cluster 'rich'");
  }

  @Test
  void configOptions_fallBackToTheEnvironment_butOptionsWin() throws IOException {
    Path recipe = copyFixture("recipe-slurm-nfs");
    Path other = dir.resolve("other-slurm.yaml");
    ConfigOptions options = new ConfigOptions();
    Map<String, String> env = Map.of("SLIPWAY_CONFIGDIR", recipe.toString(), "SLIPWAY_SLURM_CONF", other.toString(),
        "SLIPWAY_FS_CONF", "/elsewhere/fs.yaml");
    ConfigFiles files = options.files(env::get);
    assertThat(files.slurm()).contains(other);
    assertThat(files.pool()).contains(recipe.resolve("pool.yaml"));
    assertThat(files.fs()).contains(Path.of("/elsewhere/fs.yaml"));
    options.slurm = Path.of("cli.yaml");
    options.configDir = dir;
    files = options.files(env::get);
    assertThat(files.slurm()).contains(Path.of("cli.yaml"));
    assertThat(files.pool()).isEqualTo(Optional.empty());
  }

  @Test
  void config_withoutSubcommand_isAUsageError() {
    assertThat(run("config")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("a subcommand is required (validate or show)");
  }
  @Test
  void validate_inADirectoryWithoutSlurmYaml_namesTheDirectory() {
    assertThat(run("config", "validate", "-c", dir.toString())).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(err.toString()).startsWith(dir + " slurm: no slurm.yaml, slurm.yml or slurm.json in this directory;"
        + " allowed: -c DIR or SLIPWAY_CONFIGDIR naming a directory with slurm.yaml, or --slurm FILE or SLIPWAY_SLURM_CONF");
  }
}
