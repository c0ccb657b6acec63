package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slipway.model.ErrorClass;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.ProviderError;
import dev.slipway.store.sqlite.SqliteStateStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class NodesCommandTest {
  private static final Path RECIPE = Path.of("src", "test", "resources", "fixtures", "recipe-slurm-nfs");
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

  @TempDir Path dir;
  private Path config;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void cluster() throws IOException {
    config = dir.resolve("cluster");
    Files.createDirectories(config);
    try (Stream<Path> files = Files.list(RECIPE)) {
      for (Path f : files.toList()) {
        Files.copy(f, config.resolve(f.getFileName()));
      }
    }
    Path home = dir.resolve("home");
    Files.writeString(config.resolve("slurm.yaml"), Files.readString(config.resolve("slurm.yaml"))
        + "slipway:\n  local:\n    state_dir: " + home + "\n");
    Files.createDirectories(home.resolve("state"));
    try (SqliteStateStore store = SqliteStateStore.open(home.resolve("state").resolve("slipway.db"))) {
      List<HostIntent> intents = store.recordIntents(List.of(
          new IntentRequest("slurmpool-3", "slurmpool", Intent.UP, IntentSource.RESUME, List.of("41")),
          new IntentRequest("slurmpool-12", "slurmpool", Intent.UP, IntentSource.RESUME, List.of())), T0);
      store.putBinding(new HostBinding("slurmpool-3", "slurmpool", BindingPhase.FAILED, Optional.of("tvm-1"), Optional.of("10.0.4.7"),
          intents.get(0).seq(), T0.plusSeconds(300), Optional.of(new ProviderError(ErrorClass.CAPACITY, "AllocationFailed",
              "no capacity for STANDARD_F2 in eastus")), 0));
      store.putBinding(new HostBinding("slurmpool-12", "slurmpool", BindingPhase.JOINED, Optional.of("tvm-2"), Optional.of("10.0.4.8"),
          intents.get(1).seq(), T0.plusSeconds(120), Optional.empty(), 0));
      store.appendEvents(List.of(
          HostEvent.ofHost(T0.plusSeconds(1), "slurmpool-3", "slurmpool", "requested", "pool slurmpool asked to grow to 2"),
          HostEvent.ofHost(T0.plusSeconds(300), "slurmpool-3", "slurmpool", "failed", "CAPACITY AllocationFailed: no capacity")));
    }
  }

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void why_printsIntentBindingLastErrorAndHistory() {
    int code = run("nodes", "why", "slurmpool-3", "-c", config.toString());

    assertThat(code).isZero();
    assertThat(out.toString().lines()).containsExactly(
        "host slurmpool-3 (pool slurmpool, partition mypart1, never suspended)",
        "intent:  UP #1 from resume at 2026-11-26T10:00:00Z for jobs 41",
        "binding: FAILED node tvm-1 at 10.0.4.7 since 2026-11-26T10:05:00Z",
        "last error: CAPACITY AllocationFailed: no capacity for STANDARD_F2 in eastus",
        "history (2):",
        "  2026-11-26T10:00:01Z  requested      pool slurmpool asked to grow to 2",
        "  2026-11-26T10:05:00Z  failed         CAPACITY AllocationFailed: no capacity");
  }

  @Test
  void why_forAConfiguredHostWithNoState_saysSo() {
    int code = run("nodes", "why", "slurmpool-20", "-c", config.toString());

    assertThat(code).isZero();
    assertThat(out.toString()).contains("intent:  none (never resumed)", "binding: none (no node serves it)", "  (no events)");
  }

  @Test
  void why_forAnUnknownHost_exitsOneWithTheHostsOfTheCluster() {
    int code = run("nodes", "why", "gpu-99", "-c", config.toString());

    assertThat(code).isEqualTo(ExitCodes.FAILURE);
    assertThat(err.toString().strip())
        .isEqualTo("slipway: unknown host gpu-99: not an elastic host of cluster myslurmcluster (hosts: slurmpool-[0-31])");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void list_printsATableOfHostsInPoolOrder() {
    int code = run("nodes", "list", "-c", config.toString());

    assertThat(code).isZero();
    List<String> lines = out.toString().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("HOST").contains("INTENT", "PHASE", "NODE", "ADDRESS");
    assertThat(lines.get(1)).startsWith("slurmpool-3 ").contains("UP", "FAILED", "tvm-1", "10.0.4.7", "CAPACITY AllocationFailed");
    assertThat(lines.get(2)).startsWith("slurmpool-12 ").contains("JOINED", "tvm-2", "10.0.4.8");
  }

  @Test
  void list_asJson_givesOneObjectPerHost() throws IOException {
    int code = run("nodes", "list", "-c", config.toString(), "--output", "json");

    assertThat(code).isZero();
    JsonNode json = new ObjectMapper().readTree(out.toString());
    assertThat(json).hasSize(2);
    assertThat(json.get(1).get("host").asText()).isEqualTo("slurmpool-12");
    assertThat(json.get(1).get("phase").asText()).isEqualTo("JOINED");
    assertThat(json.get(1).get("node_id").asText()).isEqualTo("tvm-2");
    assertThat(json.get(1).get("address").asText()).isEqualTo("10.0.4.8");
    assertThat(json.get(1).get("error").isNull()).isTrue();
    assertThat(json.get(0).get("intent").asText()).isEqualTo("UP");
  }

  @Test
  void list_withAnUnknownOutputFormat_isAUsageError() {
    assertThat(run("nodes", "list", "-c", config.toString(), "--output", "yaml")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--output must be table or json, got 'yaml'");
  }

  @Test
  void listAndWhy_importTheCallsTheWrappersSpooled_soNothingLooksLostWhileTheDaemonIsDown() throws IOException {
    Path spool = Files.createDirectories(dir.resolve("home").resolve("spool"));
    Instant t = Instant.now();
    dev.slipway.hooks.SpoolEntry e = new dev.slipway.hooks.SpoolEntry(dev.slipway.hooks.SpoolEntry.nameFor(t, 7),
        dev.slipway.hooks.HookKind.RESUME, t, "slurmpool-[5-6],login1", Optional.empty(),
        Optional.of("{\"jobs\":[{\"job_id\":88,\"nodes\":\"slurmpool-5\"}]}"), Optional.empty());
    Files.write(spool.resolve(e.name()), e.render());

    assertThat(run("nodes", "list", "-c", config.toString())).isZero();
    assertThat(out.toString()).contains("slurmpool-5 ", "slurmpool-6 ");
    assertThat(dev.slipway.hooks.SpoolImporter.pending(spool)).isEmpty();
    assertThat(Files.readString(dir.resolve("home").resolve("log").resolve("power.log")))
        .contains("1 host is in no elastic pool and was not recorded: login1");

    assertThat(run("nodes", "why", "slurmpool-5", "-c", config.toString())).isZero();
    assertThat(out.toString()).contains("intent:  UP", "for jobs 88", "(spooled " + e.name() + ")");
  }
}
