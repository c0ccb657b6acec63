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

  @Test
  void dryRun_onALocalBackendConfiguration_isAUsageError() {
    assertThat(run("cluster", "create", "-c", RICH.toString(), "--dry-run")).isEqualTo(ExitCodes.USAGE);
  }
}
