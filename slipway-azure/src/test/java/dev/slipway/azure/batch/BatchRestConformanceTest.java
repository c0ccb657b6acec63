package dev.slipway.azure.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpPipelineBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.azure.batch.emulator.EmulatedNodeBackend;
import dev.slipway.azure.batch.emulator.TimedNodeBackend;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks both sides against the official description of API version 2025-06-01.21.0 (the
 * Swagger subset and its x-ms-examples, copied into the test resources):
 * (a) for every example of an operation the emulator implements, the emulator's answer to the
 * example's request has the example's status and conforms to the response schema;
 * (b) every request body the client sends conforms to its operation's body parameter schema;
 * (c) the client parses every example response body of the operations it calls.
 */
class BatchRestConformanceTest {
  static final Set<String> EMULATED = Set.of("Pools_GetPool", "Pools_CreatePool", "Pools_UpdatePool", "Pools_DeletePool",
      "Pools_ResizePool", "Pools_StopPoolResize", "Pools_RemoveNodes", "Nodes_ListNodes", "Nodes_GetNode", "Pools_ListPools",
      "Pools_ListPoolNodeCounts");
  static final ObjectMapper JSON = new ObjectMapper();
  static final SwaggerSchema SWAGGER = SwaggerSchema.load();

  static List<String> examples() throws IOException, URISyntaxException {
    Path dir = Path.of(BatchRestConformanceTest.class.getResource("/azure-batch-rest/examples").toURI());
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted()
          .filter(f -> EMULATED.contains(example(f).path("operationId").asText())).toList();
    }
  }

  static JsonNode example(String file) {
    return SwaggerSchema.resource("/azure-batch-rest/examples/" + file);
  }

  @Test
  void examples_coverEveryOperationTheClientAndEmulatorImplement() throws Exception {
    Set<String> covered = new HashSet<>();
    for (String f : examples()) covered.add(example(f).path("operationId").asText());
    assertThat(covered).containsExactlyInAnyOrderElementsOf(EMULATED);
    assertThat(examples()).hasSize(24); // all 26 but reboot and reimage
  }

  // ---- (a) the emulator answers the examples' requests as the description says ---------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void emulatorResponse_toTheExampleRequest_conformsToTheResponseSchema(String file) throws Exception {
    JsonNode ex = example(file);
    SwaggerSchema.Operation op = SWAGGER.operation(ex.path("operationId").asText());
    JsonNode params = ex.path("parameters");
    FakeClock clock = new FakeClock(Instant.parse("2026-11-26T10:00:00Z"));
    try (BatchEmulator emulator = BatchEmulator.start(BatchEmulator.Settings.of("account", clock,
        new TimedNodeBackend(clock, TimedNodeBackend.Timings.INSTANT)))) {
      prepare(emulator, op, params);
      String path = op.pathTemplate()
          .replace("{poolId}", enc(params.path("poolId").asText()))
          .replace("{nodeId}", enc(params.path("nodeId").asText()));
      Optional<JsonNode> body = op.bodyParameter().map(p -> params.get(p.path("name").asText()));

      HttpResponse<String> response = send(emulator, op.method(), path + "?api-version=" + params.path("api-version").asText(), body);

      String expectedStatus = ex.path("responses").fieldNames().next();
      assertThat(response.statusCode()).as(response.body()).isEqualTo(Integer.parseInt(expectedStatus));
      Optional<JsonNode> schema = op.responseSchema(expectedStatus);
      if (schema.isPresent()) {
        JsonNode actual = JSON.readTree(response.body());
        assertThat(SWAGGER.validate(schema.get(), actual)).as(actual.toPrettyString()).isEmpty();
        assertThat(undeclared(schema.get(), actual)).isEmpty();
        // The validator itself must accept the official example body.
        assertThat(SWAGGER.validate(schema.get(), ex.path("responses").path(expectedStatus).path("body"))).isEmpty();
      } else {
        assertThat(response.body()).isEmpty();
      }
    }
  }

  /** Creates what the example's request refers to: its pool, its node ids, a few nodes to list. */
  private static void prepare(BatchEmulator emulator, SwaggerSchema.Operation op, JsonNode params) throws Exception {
    List<String> poolIds = new ArrayList<>();
    if (params.has("poolId") && !op.id().equals("Pools_CreatePool")) poolIds.add(params.path("poolId").asText());
    if (op.id().equals("Pools_ListPools") || op.id().equals("Pools_ListPoolNodeCounts")) poolIds.addAll(List.of("pool1", "pool2"));
    for (String poolId : poolIds) {
      ObjectNode pool = JSON.createObjectNode().put("id", poolId).put("vmSize", "standard_d2s_v5").put("targetDedicatedNodes", 0);
      pool.putObject("startTask").put("commandLine", "/bin/sh -c 'slipway-node-join'").put("waitForSuccess", true);
      assertThat(send(emulator, "POST", "/pools?api-version=" + BatchApi.API_VERSION, Optional.of(pool)).statusCode()).isEqualTo(201);
      List<String> nodeIds = new ArrayList<>();
      if (params.has("nodeId")) nodeIds.add(params.path("nodeId").asText());
      params.path("removeOptions").path("nodeList").forEach(n -> nodeIds.add(n.asText()));
      if (nodeIds.isEmpty()) nodeIds.addAll(List.of("tvm-1_1-20261126t100000z", "tvm-1_2-20261126t100000z"));
      for (int i = 0; i < nodeIds.size(); i++) {
        emulator.seedNode(poolId, nodeIds.get(i), i % 2 == 1);
      }
    }
    emulator.tick();
  }

  @Test
  void emulatorErrors_conformToTheBatchErrorSchema_withOdataMetadata() throws Exception {
    FakeClock clock = new FakeClock(Instant.parse("2026-11-26T10:00:00Z"));
    TimedNodeBackend backend = new TimedNodeBackend(clock, TimedNodeBackend.Timings.DEFAULT);
    backend.allocateWith(r -> EmulatedNodeBackend.Provisioning.pending()); // keeps the first resize running
    try (BatchEmulator emulator = BatchEmulator.start(BatchEmulator.Settings.of("account", clock, backend))) {
      ObjectNode pool = JSON.createObjectNode().put("id", "p").put("vmSize", "standard_d2s_v5").put("targetDedicatedNodes", 2);
      send(emulator, "POST", "/pools?api-version=" + BatchApi.API_VERSION, Optional.of(pool));

      HttpResponse<String> conflict = send(emulator, "POST", "/pools/p/resize?api-version=" + BatchApi.API_VERSION,
          Optional.of(JSON.createObjectNode().put("targetDedicatedNodes", 3)));
      HttpResponse<String> missing = send(emulator, "GET", "/pools/nope?api-version=" + BatchApi.API_VERSION, Optional.empty());

      JsonNode errorSchema = SWAGGER.operation("Pools_ResizePool").node().path("responses").path("default").path("schema");
      for (HttpResponse<String> r : List.of(conflict, missing)) {
        JsonNode body = JSON.readTree(r.body());
        assertThat(SWAGGER.validate(errorSchema, body)).isEmpty();
        assertThat(body.path("odata.metadata").asText()).endsWith("#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element");
        assertThat(body.path("message").path("lang").asText()).isEqualTo("en-US");
      }
      assertThat(conflict.statusCode()).isEqualTo(409);
      assertThat(JSON.readTree(conflict.body()).path("code").asText()).isEqualTo("PoolResizeInProgress");
      assertThat(JSON.readTree(conflict.body()).path("values").get(0).has("key")).isTrue();
      assertThat(missing.statusCode()).isEqualTo(404);
      assertThat(JSON.readTree(missing.body()).path("code").asText()).isEqualTo("PoolNotFound");
    }
  }

  @Test
  void validator_rejectsWrongEnumsTypesAndMissingRequiredProperties() {
    JsonNode poolSchema = SWAGGER.operation("Pools_GetPool").responseSchema("200").orElseThrow();
    ObjectNode bad = JSON.createObjectNode().put("id", "p").put("allocationState", "growing").put("currentDedicatedNodes", "two");
    bad.putObject("startTask").put("waitForSuccess", true);

    List<String> errors = SWAGGER.validate(poolSchema, bad);

    assertThat(errors).anySatisfy(e -> assertThat(e).contains("$.allocationState").contains("growing"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("$.currentDedicatedNodes").contains("expected integer"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("$.startTask").contains("commandLine"));
  }

  // ---- (b) the client's request bodies follow the parameter schemas ---------------------------

  @Test
  void clientRequestBodies_conformToTheOperationsBodyParameterSchemas() throws Exception {
    FakeClock clock = new FakeClock(Instant.parse("2026-11-26T10:00:00Z"));
    TimedNodeBackend backend = new TimedNodeBackend(clock, TimedNodeBackend.Timings.INSTANT);
    try (BatchEmulator emulator = BatchEmulator.start(BatchEmulator.Settings.of("account", clock, backend))) {
      BatchClient client = new BatchClient(emulator.url(), new HttpPipelineBuilder().build(), BatchClientOptions.defaults().withClock(clock));
      client.addPool(BatchClientEmulatorTest.spec("p", 3, 1));
      BatchPoolSpec imagePool = new BatchPoolSpec("q", "standard_hb120rs_v3", Optional.empty(), Optional.empty(), Optional.empty(),
          Optional.empty(), Optional.of("/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/galleries/x/images/y/versions/1.0.0"),
          "batch.node.ubuntu 22.04", 0, 0, Duration.ofMinutes(10), 4, true,
          Optional.of("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s"), Optional.empty(),
          Map.of("slipway-cluster", "c1"));
      client.addPool(imagePool);
      client.updateStartTask("p", new BatchStartTask("/bin/true", Map.of("A", "1"), true, 0, true));
      client.resizePool("p", 4, 2, Duration.ofMinutes(15));
      client.getPool("p");
      client.listNodes("p", Optional.of("state eq 'idle'"));
      client.listPoolNodeCounts(Optional.of("p"));
      client.findNode("p", client.listNodeIds("p", Optional.of("state ne 'leavingpool'")).get(0));
      client.removeNodes("p", List.of(client.listNodes("p", Optional.empty()).get(0).id()), Duration.ofMinutes(5));
      client.stopResize("p");
      client.deletePool("q");

      Set<String> covered = new HashSet<>();
      for (BatchEmulator.RecordedRequest r : emulator.requests()) {
        SwaggerSchema.Operation op = SWAGGER.operations().stream().filter(o -> o.matches(r.method(), r.path())).findFirst()
            .orElseThrow(() -> new AssertionError("no operation for " + r.method() + " " + r.path()));
        covered.add(op.id());
        assertThat(r.query()).containsEntry("api-version", "2025-06-01.21.0");
        Optional<JsonNode> param = op.bodyParameter();
        if (param.isPresent()) {
          assertThat(r.headers().get("Content-Type")).isEqualTo(BatchApi.REQUEST_CONTENT_TYPE);
          JsonNode body = JSON.readTree(r.body());
          assertThat(SWAGGER.validate(param.get().path("schema"), body)).as(op.id() + " " + body).isEmpty();
          assertThat(undeclared(param.get().path("schema"), body)).as(op.id()).isEmpty();
        } else {
          assertThat(r.body()).as(op.id()).isEmpty();
        }
      }
      assertThat(covered).contains("Pools_CreatePool", "Pools_UpdatePool", "Pools_ResizePool", "Pools_RemoveNodes",
          "Pools_StopPoolResize", "Pools_DeletePool", "Pools_GetPool", "Nodes_ListNodes", "Nodes_GetNode", "Pools_ListPoolNodeCounts");
    }
  }

  // ---- (c) the client parses the examples' responses -----------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void client_parsesTheExampleResponse(String file) {
    JsonNode ex = example(file);
    String opId = ex.path("operationId").asText();
    String status = ex.path("responses").fieldNames().next();
    JsonNode body = ex.path("responses").path(status).path("body");
    JsonNode params = ex.path("parameters");
    CannedHttpClient http = new CannedHttpClient(r -> new CannedHttpClient.Canned(Integer.parseInt(status),
        body.isMissingNode() ? "" : body.toString(), new HttpHeaders()));
    BatchClient client = new BatchClient(URI.create("https://account.region.batch.azure.com"),
        new HttpPipelineBuilder().httpClient(http).build(), BatchClientOptions.defaults());
    String poolId = params.path("poolId").asText("pool");
    switch (opId) {
      case "Pools_GetPool" -> {
        BatchPoolInfo pool = client.getPool(poolId);
        assertThat(pool.id()).isEqualTo(body.path("id").asText());
        assertThat(pool.allocationState()).isEqualTo(body.path("allocationState").asText());
        assertThat(pool.targetDedicatedNodes()).isEqualTo(body.path("targetDedicatedNodes").asInt());
        assertThat(pool.currentDedicatedNodes()).isEqualTo(body.path("currentDedicatedNodes").asInt());
        assertThat(pool.resizeTimeout()).contains(Duration.parse(body.path("resizeTimeout").asText()));
        assertThat(pool.eTag()).contains(body.path("eTag").asText());
      }
      case "Nodes_ListNodes" -> {
        List<BatchNodeInfo> nodes = client.listNodes(poolId, Optional.empty());
        assertThat(nodes).hasSize(body.path("value").size());
        for (int i = 0; i < nodes.size(); i++) {
          JsonNode n = body.path("value").get(i);
          assertThat(nodes.get(i).id()).isEqualTo(n.path("id").asText());
          assertThat(nodes.get(i).state().wireName()).isEqualTo(n.path("state").asText());
          assertThat(nodes.get(i).dedicated()).isEqualTo(n.path("isDedicated").asBoolean());
          assertThat(nodes.get(i).ipAddress()).contains(n.path("ipAddress").asText());
        }
      }
      case "Nodes_GetNode" -> {
        BatchNodeInfo node = client.findNode(poolId, params.path("nodeId").asText()).orElseThrow();
        assertThat(node.id()).isEqualTo(body.path("id").asText());
        assertThat(node.state().wireName()).isEqualTo(body.path("state").asText());
        assertThat(node.dedicated()).isEqualTo(body.path("isDedicated").asBoolean());
        assertThat(node.ipAddress()).contains(body.path("ipAddress").asText());
        assertThat(http.requests.get(0).getUrl().getPath()).isEqualTo("/pools/" + poolId + "/nodes/" + params.path("nodeId").asText());
      }
      case "Pools_ListPoolNodeCounts" -> {
        List<BatchPoolNodeCounts> counts = client.listPoolNodeCounts(Optional.empty());
        assertThat(counts).hasSize(body.path("value").size());
        for (int i = 0; i < counts.size(); i++) {
          JsonNode c = body.path("value").get(i);
          assertThat(counts.get(i).poolId()).isEqualTo(c.path("poolId").asText());
          for (BatchNodeState s : BatchNodeState.values()) {
            assertThat(counts.get(i).dedicated(s)).as(s.countsKey()).isEqualTo(c.path("dedicated").path(s.countsKey()).asInt());
            assertThat(counts.get(i).lowPriority(s)).as(s.countsKey()).isEqualTo(c.path("lowPriority").path(s.countsKey()).asInt());
          }
          assertThat(counts.get(i).totalDedicated()).isEqualTo(c.path("dedicated").path("total").asInt());
        }
      }
      case "Pools_CreatePool" -> client.addPool(BatchClientEmulatorTest.spec(params.path("pool").path("id").asText(), 1, 0));
      case "Pools_UpdatePool" -> client.updateStartTask(poolId, new BatchStartTask(
          params.path("pool").path("startTask").path("commandLine").asText(), Map.of(), false, 0, false));
      case "Pools_DeletePool" -> client.deletePool(poolId);
      case "Pools_ResizePool" -> client.resizePool(poolId, params.path("resizeOptions").path("targetDedicatedNodes").asInt(),
          params.path("resizeOptions").path("targetLowPriorityNodes").asInt(), Duration.ofMinutes(15));
      case "Pools_StopPoolResize" -> client.stopResize(poolId);
      case "Pools_RemoveNodes" -> {
        List<String> ids = new ArrayList<>();
        params.path("removeOptions").path("nodeList").forEach(n -> ids.add(n.asText()));
        client.removeNodes(poolId, ids, Duration.ofMinutes(5));
      }
      default -> {
        return; // Pools_ListPools: the client has no such call
      }
    }
    assertThat(http.requests).isNotEmpty();
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Undeclared top-level properties of an object (or of each item of a list result). */
  private static List<String> undeclared(JsonNode schema, JsonNode value) {
    List<String> out = new ArrayList<>(SWAGGER.undeclared(schema, value));
    out.remove("odata.nextLink");
    if (value.has("value") && value.get("value").isArray()) {
      JsonNode listSchema = schema.has("$ref") ? resolveRef(schema.get("$ref").asText()) : schema;
      JsonNode itemSchema = listSchema.path("properties").path("value").path("items");
      for (JsonNode item : value.get("value")) out.addAll(SWAGGER.undeclared(itemSchema, item));
    }
    return out;
  }

  private static JsonNode resolveRef(String ref) {
    JsonNode doc = SwaggerSchema.resource(SwaggerSchema.RESOURCE);
    return doc.path("definitions").path(ref.substring(ref.lastIndexOf('/') + 1));
  }

  private static HttpResponse<String> send(BatchEmulator emulator, String method, String pathAndQuery, Optional<JsonNode> body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(emulator.url() + pathAndQuery))
        .header("client-request-id", "00000000-0000-0000-0000-000000000000");
    if (body.isPresent()) {
      b.header("Content-Type", BatchApi.REQUEST_CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body.get().toString()));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
