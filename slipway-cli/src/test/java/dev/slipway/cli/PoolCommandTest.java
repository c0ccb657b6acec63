package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchClientOptions;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchRetryPolicy;
import dev.slipway.azure.batch.BatchSharedKeyCredential;
import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.azure.batch.emulator.TimedNodeBackend;
import dev.slipway.model.Secret;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** slipway pool add|del|list on Batch Shipyard's Slurm+NFS recipe against the Batch emulator (loopback, shared key). */
class PoolCommandTest {
  static final Secret KEY = Secret.of(Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes()));
  static final String ACCOUNT = "https://myaccount.westeurope.batch.azure.com";

  @TempDir Path tmp;
  final InstantSource clock = InstantSource.fixed(Instant.parse("2026-11-26T10:00:00Z"));
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();
  final List<URI> accountsAsked = new ArrayList<>();
  BatchEmulator emulator;
  BatchClient client;
  Path configDir;

  @BeforeEach
  void start() throws Exception {
    emulator = BatchEmulator.start(BatchEmulator.Settings.of("myaccount", clock, new TimedNodeBackend(clock, TimedNodeBackend.Timings.INSTANT))
        .withSharedKey(KEY));
    client = client(emulator.url());
    configDir = Files.createDirectories(tmp.resolve("config"));
    Path recipe = Path.of(getClass().getResource("/fixtures/batch-shipyard/recipe-slurm-nfs").toURI());
    try (Stream<Path> files = Files.list(recipe)) {
      for (Path f : files.toList()) Files.copy(f, configDir.resolve(f.getFileName().toString()));
    }
    Path slurm = configDir.resolve("slurm.yaml");
    Files.writeString(slurm, Files.readString(slurm).replace("https://<myaccount>.<region>.batch.azure.com", ACCOUNT)
        + "slipway:\n  local:\n    state_dir: " + tmp.resolve("home") + "\n");
  }

  BatchClient client(URI url) {
    return BatchClient.withSharedKey(url, new BatchSharedKeyCredential("myaccount", KEY), BatchClientOptions.defaults().withClock(clock)
        .withRetry(new BatchRetryPolicy(0, Duration.ZERO, Duration.ZERO), d -> { }));
  }

  @AfterEach
  void stop() {
    emulator.close();
  }

  private int run(PoolCommand.BatchAccess access, String... args) {
    CommandLine.IFactory factory = new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> cls) throws Exception {
        if (cls == PoolCommand.Add.class) return cls.cast(new PoolCommand.Add(access));
        if (cls == PoolCommand.Del.class) return cls.cast(new PoolCommand.Del(access));
        if (cls == PoolCommand.ListPools.class) return cls.cast(new PoolCommand.ListPools(access));
        return CommandLine.defaultFactory().create(cls);
      }
    };
    CommandLine cl = Main.commandLine(factory);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private int run(String... args) {
    return run(config -> url -> {
      accountsAsked.add(url);
      return client;
    }, args);
  }

  @Test
  void add_createsTheRecipePoolEmptyInItsAccount_withATokenFromTheClusterSecrets() throws Exception {
    int code = run("pool", "add", "-c", configDir.toString());

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("pool slurmpool created in").contains("0 nodes");
    assertThat(accountsAsked).containsExactly(URI.create(ACCOUNT));
    assertThat(client.getPool("slurmpool").targetDedicatedNodes()).isZero();
    assertThat(client.getPoolMetadata("slurmpool")).containsEntry("slipway-cluster", "myslurmcluster");
    Path tokenFile = tmp.resolve("home").resolve("secrets").resolve("join-token-slurmpool");
    assertThat(Files.getPosixFilePermissions(tokenFile)).isEqualTo(PosixFilePermissions.fromString("r--------"));
    String body = emulator.requests().stream().filter(r -> r.method().equals("POST") && r.path().equals("/pools"))
        .findFirst().orElseThrow().body();
    JsonNode env = new ObjectMapper().readTree(body).path("startTask").path("environmentSettings");
    String token = Files.readString(tokenFile).strip();
    assertThat(env.toString()).contains(token);
    assertThat(new ObjectMapper().readTree(body).path("startTask").path("commandLine").asText()).doesNotContain(token);
  }

  @Test
  void add_again_leavesThePoolAlone_andExitsZero() {
    run("pool", "add", "-c", configDir.toString());
    out.getBuffer().setLength(0);

    assertThat(run("pool", "add", "-c", configDir.toString())).isZero();
    assertThat(out.toString()).contains("already exists").contains("left as it is");
  }

  @Test
  void add_withARecipePlaceholderLeft_isInvalidConfiguration_exit3() throws Exception {
    Path slurm = configDir.resolve("slurm.yaml");
    Files.writeString(slurm, Files.readString(slurm).replace(ACCOUNT, "https://<myaccount>.<region>.batch.azure.com"));

    assertThat(run("pool", "add", "-c", configDir.toString())).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(err.toString()).contains("account_service_url").contains("placeholder");
    assertThat(emulator.requests()).isEmpty();
  }

  @Test
  void list_showsTheClustersPool_asTableAndJson() throws Exception {
    run("pool", "add", "-c", configDir.toString());
    client.resizePool("slurmpool", 2, 1, Duration.ofMinutes(15));
    emulator.tick();
    out.getBuffer().setLength(0);

    assertThat(run("pool", "list", "-c", configDir.toString())).isZero();
    assertThat(out.toString()).contains("POOL").contains("slurmpool").contains("STANDARD_F2").contains("2/2").contains("1/1")
        .contains("myslurmcluster");

    out.getBuffer().setLength(0);
    assertThat(run("pool", "list", "-c", configDir.toString(), "--output", "json")).isZero();
    JsonNode rows = new ObjectMapper().readTree(out.toString());
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).path("id").asText()).isEqualTo("slurmpool");
    assertThat(rows.get(0).path("vmSize").asText()).isEqualTo("STANDARD_F2");
    assertThat(rows.get(0).path("targetDedicatedNodes").asInt()).isEqualTo(2);
    assertThat(rows.get(0).path("currentLowPriorityNodes").asInt()).isEqualTo(1);
    assertThat(rows.get(0).path("allocationState").asText()).isNotBlank();
    int counted = 0;
    for (JsonNode n : rows.get(0).path("nodeCounts")) counted += n.asInt();
    assertThat(counted).isEqualTo(3);
  }

  @Test
  void list_withABadOutputFormat_isAUsageError() {
    assertThat(run("pool", "list", "-c", configDir.toString(), "--output", "yaml")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--output must be table or json");
  }

  @Test
  void del_deletesTheClustersPool_butRefusesAForeignOne_exit1() {
    run("pool", "add", "-c", configDir.toString());
    client.addPool(new BatchPoolSpec("shipyardpool", "standard_d2s_v5", Optional.of("Canonical"), Optional.of("ubuntu-24_04-lts"),
        Optional.of("server"), Optional.empty(), Optional.empty(), "batch.node.ubuntu 24.04", 0, 0, Duration.ofMinutes(15), 1, false,
        Optional.empty(), Optional.empty(), Map.of()));

    assertThat(run("pool", "del", "-c", configDir.toString(), "shipyardpool")).isEqualTo(ExitCodes.FAILURE);
    assertThat(err.toString().strip()).startsWith("slipway: pool 'shipyardpool' is not owned by cluster 'myslurmcluster'").doesNotContain("\n");
    assertThat(client.getPool("shipyardpool").state()).isEqualTo("active");

    assertThat(run("pool", "del", "-c", configDir.toString())).isZero();
    assertThat(out.toString()).contains("pool slurmpool is being deleted");
    assertThat(emulator.requests().stream().filter(r -> r.method().equals("DELETE")).map(r -> r.path()).toList())
        .containsExactly("/pools/slurmpool");
  }

  @Test
  void del_ofAMissingPool_exits1WithOneLine() {
    assertThat(run("pool", "del", "-c", configDir.toString(), "nope")).isEqualTo(ExitCodes.FAILURE);
    assertThat(err.toString().strip()).isEqualTo("slipway: pool nope does not exist in " + emulator.url().toString().replaceAll("/$", ""));
  }

  @Test
  void anyCommand_whenTheAccountDoesNotAnswer_exits4() {
    BatchClient dead = client(URI.create("http://127.0.0.1:9"));

    assertThat(run(config -> url -> dead, "pool", "list", "-c", configDir.toString())).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(err.toString()).contains("did not answer");
  }
}
