package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code slipway cluster create --dry-run} on the azure backend: the plan, without calling Azure. */
class ClusterAzureDryRunTest {
  private static final Path AZURE = Path.of("..", "slipway-azure", "src", "test", "resources", "arm", "fixtures", "azure");
  private static final Path RICH = Path.of("..", "slipway-core", "src", "test", "resources", "fixtures", "rich");

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @Test
  void dryRunJson_printsEveryResourceAndRoleAssignment_andExitsZero() throws Exception {
    int code = run("cluster", "create", "-c", AZURE.toString(), "--dry-run", "-o", "json", "--image", "ubuntu-22.04",
        "--srun-port-range", "60001-63000");

    assertThat(code).as(err.toString()).isZero();
    JsonNode plan = new ObjectMapper().readTree(out.toString());
    assertThat(plan.path("resources")).hasSize(15);
    assertThat(plan.path("role_assignments")).hasSize(8);
    assertThat(plan.path("problems")).isEmpty();
    assertThat(out.toString()).contains("\"offer\" : \"0001-com-ubuntu-server-jammy\"").contains("60001-63000");
  }

  /** The azure fixture with its cluster home (secrets, generated keys) under {@code home}. */
  private Path fixtureWithHome(Path dir, Path home) throws Exception {
    java.nio.file.Files.createDirectories(dir);
    try (var files = java.nio.file.Files.list(AZURE)) {
      for (Path f : files.toList()) {
        java.nio.file.Files.copy(f, dir.resolve(f.getFileName().toString()));
      }
    }
    java.nio.file.Files.writeString(dir.resolve("slurm.yaml"), java.nio.file.Files.readString(dir.resolve("slurm.yaml"))
        + "  local:\n    state_dir: " + home + "\n");
    return dir;
  }

  @Test
  void dryRun_showsEachVmsCustomDataAsSizeAndHash_neverTheMungeKeyOrJoinTokens(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path home = tmp.resolve("home");
    Path dir = fixtureWithHome(tmp.resolve("conf"), home);
    var secrets = dev.slipway.cli.daemon.JoinSecrets.loadOrCreate(home.resolve("secrets"), java.util.List.of("cpupool", "gpupool"),
        new java.security.SecureRandom());

    int code = run("cluster", "create", "-c", dir.toString(), "--dry-run", "--storage-cluster-id", "nfs");

    assertThat(code).as(out + "\n" + err).isZero();
    String text = out.toString();
    for (String vm : java.util.List.of("hpc-controller-vm000", "hpc-controller-vm001", "hpc-gateway-vm002", "hpc-nfs-vm000")) {
      assertThat(text).containsPattern("custom data +" + vm + ": \\d+ bytes, sha256 [0-9a-f]{64}");
    }
    assertThat(text).doesNotContain(secrets.mungeKey().reveal()).doesNotContain("#cloud-config")
        .doesNotContain(secrets.joinTokens().get("cpupool").reveal());

    out.getBuffer().setLength(0);
    assertThat(run("cluster", "create", "-c", dir.toString(), "--dry-run", "--storage-cluster-id", "nfs", "-o", "json")).isZero();
    JsonNode plan = new ObjectMapper().readTree(out.toString());
    assertThat(plan.path("resources").findValuesAsText("custom_data")).hasSize(4).allSatisfy(c -> assertThat(c).contains("bytes, sha256"));
    assertThat(out.toString()).doesNotContain(secrets.mungeKey().reveal()).doesNotContain(secrets.joinTokens().get("gpupool").reveal());
  }

  @Test
  void dryRun_beforeTheFirstCreate_writesNoSecrets(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path home = tmp.resolve("home");
    Path dir = fixtureWithHome(tmp.resolve("conf"), home);

    assertThat(run("cluster", "create", "-c", dir.toString(), "--dry-run")).as(err.toString()).isZero();

    assertThat(out.toString()).contains("custom data");
    assertThat(home.resolve("secrets")).doesNotExist();
  }

  @Test
  void dryRun_onALocalBackendConfiguration_isAUsageError() {
    assertThat(run("cluster", "create", "-c", RICH.toString(), "--dry-run")).isEqualTo(ExitCodes.USAGE);
  }
}
