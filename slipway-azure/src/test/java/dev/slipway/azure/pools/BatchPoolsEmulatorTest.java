package dev.slipway.azure.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slipway.azure.batch.BatchApi;
import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchClientOptions;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchSharedKeyCredential;
import dev.slipway.azure.batch.FakeClock;
import dev.slipway.azure.batch.SwaggerSchema;
import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.azure.batch.emulator.TimedNodeBackend;
import dev.slipway.config.ClusterConfig;
import dev.slipway.model.Secret;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pools created, listed and deleted through the Batch client against the emulator, bodies checked against the REST description. */
class BatchPoolsEmulatorTest {
  static final Secret KEY = Secret.of(Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes()));
  static final ObjectMapper JSON = new ObjectMapper();
  static final SwaggerSchema SWAGGER = SwaggerSchema.load();

  final FakeClock clock = new FakeClock(Instant.parse("2026-11-26T10:00:00Z"));
  BatchEmulator emulator;
  BatchClient client;
  @TempDir Path dir;

  @BeforeEach
  void start() throws Exception {
    emulator = BatchEmulator.start(BatchEmulator.Settings.of("emuacct", clock, new TimedNodeBackend(clock, TimedNodeBackend.Timings.INSTANT))
        .withSharedKey(KEY));
    client = BatchClient.withSharedKey(emulator.url(), new BatchSharedKeyCredential("emuacct", KEY), BatchClientOptions.defaults().withClock(clock));
  }

  @AfterEach
  void stop() {
    emulator.close();
  }

  BatchPoolSpec recipePool() {
    return BatchPoolTemplateTest.template(PoolFixtures.recipeConfig());
  }

  @Test
  void ensure_createsTheRecipePoolEmpty_withABodyTheRestDescriptionAccepts() throws Exception {
    BatchPools pools = new BatchPools(client, "myslurmcluster");

    assertThat(pools.ensure(recipePool())).isEqualTo(BatchPools.Outcome.CREATED);

    BatchEmulator.RecordedRequest create = emulator.requests().stream()
        .filter(r -> r.method().equals("POST") && r.path().equals("/pools")).findFirst().orElseThrow();
    JsonNode body = JSON.readTree(create.body());
    JsonNode schema = SWAGGER.operation("Pools_CreatePool").bodyParameter().orElseThrow().path("schema");
    assertThat(SWAGGER.validate(schema, body)).isEmpty();
    assertThat(SWAGGER.undeclared(schema, body)).isEmpty();
    assertThat(body.path("targetDedicatedNodes").asInt()).isZero();
    assertThat(body.path("targetLowPriorityNodes").asInt()).isZero();
    assertThat(body.path("enableAutoScale").asBoolean()).isFalse();
    assertThat(body.path("startTask").path("commandLine").asText()).doesNotContain("tok-123");
    assertThat(client.getPool("slurmpool").targetDedicatedNodes()).isZero();
    assertThat(client.getPoolMetadata("slurmpool")).containsEntry("slipway-cluster", "myslurmcluster");
  }

  @Test
  void ensure_withContainerRuntimeAndGpuDriver_sendsParametersTheDescriptionDeclares() throws Exception {
    ClusterConfig c = PoolFixtures.recipeWithPoolYaml(dir, """
        pool_specification:
          id: gpu
          vm_size: STANDARD_NC24RS_V3
          vm_configuration: {platform_image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}}
          virtual_network: {arm_subnet_id: /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/n}
          container_runtimes: {default: runc}
        """);
    new BatchPools(client, "myslurmcluster").ensure(BatchPoolTemplateTest.template(c));

    JsonNode body = JSON.readTree(emulator.requests().stream().filter(r -> r.method().equals("POST")).findFirst().orElseThrow().body());
    JsonNode schema = SWAGGER.operation("Pools_CreatePool").bodyParameter().orElseThrow().path("schema");
    assertThat(SWAGGER.validate(schema, body)).isEmpty();
    assertThat(SWAGGER.undeclared(schema, body)).isEmpty();
    assertThat(body.path("virtualMachineConfiguration").path("containerConfiguration").path("type").asText()).isEqualTo("dockerCompatible");
    assertThat(body.path("virtualMachineConfiguration").path("extensions").get(0).path("type").asText()).isEqualTo("NvidiaGpuDriverLinux");
  }

  @Test
  void ensure_twice_leavesTheOwnedPoolAlone() {
    BatchPools pools = new BatchPools(client, "myslurmcluster");
    pools.ensure(recipePool());

    assertThat(pools.ensure(recipePool())).isEqualTo(BatchPools.Outcome.ALREADY_PRESENT);
    assertThat(emulator.requests().stream().filter(r -> r.method().equals("POST") && r.path().equals("/pools")).count()).isEqualTo(1);
  }

  @Test
  void ensureAndDelete_refuseAPoolThisClusterDidNotCreate() {
    BatchPoolSpec foreign = new BatchPoolSpec("slurmpool", "standard_d2s_v5", Optional.of("Canonical"), Optional.of("ubuntu-24_04-lts"),
        Optional.of("server"), Optional.empty(), Optional.empty(), "batch.node.ubuntu 24.04", 0, 0, Duration.ofMinutes(15), 1, false,
        Optional.empty(), Optional.empty(), Map.of("slipway-cluster", "other", "slipway-managed-by", "slipway"));
    client.addPool(foreign);
    BatchPools pools = new BatchPools(client, "myslurmcluster");

    assertThatThrownBy(() -> pools.ensure(recipePool())).isInstanceOf(PoolNotOwnedException.class)
        .hasMessageContaining("belongs to Slipway cluster 'other'");
    assertThatThrownBy(() -> pools.delete("slurmpool")).isInstanceOf(PoolNotOwnedException.class);
    assertThat(client.findPool("slurmpool")).isPresent();
    assertThat(client.getPool("slurmpool").state()).isEqualTo("active");
  }

  @Test
  void delete_removesAnOwnedPool_andReportsAMissingOne() {
    BatchPools pools = new BatchPools(client, "myslurmcluster");
    pools.ensure(recipePool());

    assertThat(pools.delete("slurmpool")).isTrue();
    emulator.tick();
    assertThat(client.findPool("slurmpool").map(p -> p.state()).orElse("gone")).isIn("deleting", "gone");
    assertThat(pools.delete("nosuchpool")).isFalse();
  }

  @Test
  void list_showsThisClustersPoolsWithCounts_andAllPoolsOnRequest() {
    BatchPools pools = new BatchPools(client, "myslurmcluster");
    pools.ensure(recipePool());
    client.addPool(new BatchPoolSpec("shipyard", "standard_d2s_v5", Optional.of("Canonical"), Optional.of("ubuntu-24_04-lts"),
        Optional.of("server"), Optional.empty(), Optional.empty(), "batch.node.ubuntu 24.04", 1, 0, Duration.ofMinutes(15), 1, false,
        Optional.empty(), Optional.empty(), Map.of()));
    client.resizePool("slurmpool", 2, 1, Duration.ofMinutes(15));
    emulator.tick();

    List<PoolRow> mine = pools.list(false);
    List<PoolRow> all = pools.list(true);

    assertThat(mine).extracting(r -> r.pool().id()).containsExactly("slurmpool");
    PoolRow row = mine.get(0);
    assertThat(row.pool().vmSize()).contains("STANDARD_F2");
    assertThat(row.pool().targetDedicatedNodes()).isEqualTo(2);
    assertThat(row.pool().targetLowPriorityNodes()).isEqualTo(1);
    assertThat(row.nodeCounts().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(3);
    assertThat(row.owner()).contains("myslurmcluster");
    assertThat(all).extracting(r -> r.pool().id()).containsExactly("shipyard", "slurmpool");
    assertThat(all.get(0).owner()).isEmpty();
  }

  @Test
  void ensureAll_createsEveryConfiguredPoolInItsAccount_forOrchestrate() {
    ClusterConfig c = PoolFixtures.recipeWith(dir, "slurm.yaml", "https://<myaccount>.<region>.batch.azure.com",
        "https://myaccount.westeurope.batch.azure.com");
    List<URI> asked = new java.util.ArrayList<>();

    List<ClusterPools.EnsuredPool> out = ClusterPools.ensureAll(c, url -> {
      asked.add(url);
      return client;
    }, pool -> Secret.of("tok-" + pool), BatchPoolTemplateTest.PIN);

    assertThat(out).containsExactly(new ClusterPools.EnsuredPool("slurmpool",
        URI.create("https://myaccount.westeurope.batch.azure.com"), BatchPools.Outcome.CREATED));
    assertThat(asked).hasSize(1);
    assertThat(client.getPoolMetadata("slurmpool")).containsEntry("slipway-managed-by", "slipway");
    assertThat(ClusterPools.ensureAll(c, url -> client, pool -> Secret.of("tok-" + pool), BatchPoolTemplateTest.PIN))
        .extracting(ClusterPools.EnsuredPool::outcome).containsExactly(BatchPools.Outcome.ALREADY_PRESENT);
  }

  @Test
  void ensureAll_withTheRecipesPlaceholderAccountUrl_isAConfigErrorAndCreatesNothing() {
    ClusterConfig c = PoolFixtures.recipeConfig();

    assertThatThrownBy(() -> ClusterPools.ensureAll(c, url -> client, pool -> Secret.of("t"), BatchPoolTemplateTest.PIN))
        .isInstanceOfSatisfying(dev.slipway.config.ConfigException.class, e -> assertThat(e.problems()).singleElement()
            .satisfies(p -> assertThat(p.format()).contains("batch_pools.slurmpool.account_service_url").contains("placeholder")));
    assertThat(emulator.requests()).isEmpty();
  }

  @Test
  void emulator_refusesAPoolWhoseStartTaskOrImageLacksRequiredProperties() {
    JsonNode bad = JSON.createObjectNode().put("id", "x").put("vmSize", "standard_d2s_v5").put("targetDedicatedNodes", 0)
        .set("virtualMachineConfiguration", JSON.createObjectNode().set("imageReference", JSON.createObjectNode()));
    var response = send("POST", "/pools", bad.toString());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("MissingRequiredProperty").contains("nodeAgentSKUId");

    String noCommand = "{\"id\":\"y\",\"vmSize\":\"s\",\"targetDedicatedNodes\":0,\"startTask\":{\"waitForSuccess\":true}}";
    assertThat(send("POST", "/pools", noCommand).body()).contains("startTask.commandLine");

    String badContainer = "{\"id\":\"z\",\"vmSize\":\"s\",\"targetDedicatedNodes\":0,\"virtualMachineConfiguration\":"
        + "{\"imageReference\":{},\"nodeAgentSKUId\":\"a\",\"containerConfiguration\":{\"type\":\"podman\"}}}";
    var r = send("POST", "/pools", badContainer);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("InvalidPropertyValue");
  }

  private java.net.http.HttpResponse<String> send(String method, String path, String body) {
    BatchEmulator open;
    try {
      open = BatchEmulator.start(BatchEmulator.Settings.of("emuacct", clock, new TimedNodeBackend(clock, TimedNodeBackend.Timings.INSTANT)));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    try (open) {
      var req = java.net.http.HttpRequest.newBuilder(URI.create(open.url() + path + "?api-version=" + BatchApi.API_VERSION))
          .header("Content-Type", BatchApi.REQUEST_CONTENT_TYPE)
          .method(method, java.net.http.HttpRequest.BodyPublishers.ofString(body)).build();
      return java.net.http.HttpClient.newHttpClient().send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
