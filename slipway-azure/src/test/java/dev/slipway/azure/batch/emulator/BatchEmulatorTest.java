package dev.slipway.azure.batch.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slipway.azure.batch.BatchApi;
import dev.slipway.azure.batch.BatchSharedKeyCredential;
import dev.slipway.azure.batch.FakeClock;
import dev.slipway.model.Secret;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Emulator behaviour seen from raw HTTP: request checks a client library would hide. */
class BatchEmulatorTest {
  static final Secret KEY = Secret.of(Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
  static final ObjectMapper JSON = new ObjectMapper();
  final FakeClock clock = new FakeClock(Instant.parse("2026-11-26T10:00:00Z"));
  final TimedNodeBackend backend = new TimedNodeBackend(clock, TimedNodeBackend.Timings.INSTANT);
  BatchEmulator emulator;

  @BeforeEach
  void start() throws Exception {
    emulator = BatchEmulator.start(BatchEmulator.Settings.of("acct", clock, backend).withSharedKey(KEY));
  }

  @AfterEach
  void stop() {
    emulator.close();
  }

  HttpResponse<String> send(String method, String pathAndQuery, String body, Instant signedAt, boolean sign) throws Exception {
    URI uri = URI.create(emulator.url() + pathAndQuery);
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(signedAt.atOffset(ZoneOffset.UTC));
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("ocp-date", date);
    Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    if (body != null) {
      headers.put("Content-Type", BatchApi.REQUEST_CONTENT_TYPE);
      headers.put("Content-Length", Integer.toString(body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length));
      b.header("Content-Type", BatchApi.REQUEST_CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    if (sign) {
      BatchSharedKeyCredential c = new BatchSharedKeyCredential("acct", KEY);
      b.header("Authorization", c.authorization(c.stringToSign(method, uri, headers::get, Map.of("ocp-date", date))));
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  String api() {
    return "api-version=" + BatchApi.API_VERSION;
  }

  @Test
  void signedRequest_isAccepted_butUnsignedOrStaleOnesAreNot() throws Exception {
    String pool = "{\"id\":\"p\",\"vmSize\":\"standard_d2s_v5\",\"targetDedicatedNodes\":1}";
    assertThat(send("POST", "/pools?" + api(), pool, clock.instant(), true).statusCode()).isEqualTo(201);

    HttpResponse<String> unsigned = send("GET", "/pools/p?" + api(), null, clock.instant(), false);
    HttpResponse<String> stale = send("GET", "/pools/p?" + api(), null, clock.instant().minus(Duration.ofMinutes(16)), true);

    assertThat(unsigned.statusCode()).isEqualTo(401);
    assertThat(stale.statusCode()).isEqualTo(403);
    assertThat(JSON.readTree(stale.body()).path("code").asText()).isEqualTo("AuthenticationFailed");
  }

  @Test
  void apiVersion_isRequiredAndPinned() throws Exception {
    assertThat(send("GET", "/pools", null, clock.instant(), true).statusCode()).isEqualTo(400);
    HttpResponse<String> old = send("GET", "/pools?api-version=2024-07-01.20.0", null, clock.instant(), true);
    assertThat(old.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(old.body()).path("code").asText()).isEqualTo("InvalidQueryParameterValue");
  }

  @Test
  void select_keepsOnlyTheNamedProperties_andABadFilterIs400() throws Exception {
    send("POST", "/pools?" + api(), "{\"id\":\"p\",\"vmSize\":\"standard_d2s_v5\",\"targetDedicatedNodes\":2}", clock.instant(), true);

    JsonNode pool = JSON.readTree(send("GET", "/pools/p?" + api() + "&$select=id,allocationState", null, clock.instant(), true).body());
    HttpResponse<String> badFilter = send("GET", "/pools/p/nodes?" + api() + "&$filter=state%20gt%20'idle'", null, clock.instant(), true);
    HttpResponse<String> badMax = send("GET", "/pools/p/nodes?" + api() + "&maxresults=0", null, clock.instant(), true);

    assertThat(pool.properties()).extracting(Map.Entry::getKey).containsExactly("id", "allocationState");
    assertThat(badFilter.statusCode()).isEqualTo(400);
    assertThat(badMax.statusCode()).isEqualTo(400);
  }

  @Test
  void getNode_selectsProperties_andAMissingNodeIsNodeNotFound() throws Exception {
    send("POST", "/pools?" + api(), "{\"id\":\"p\",\"vmSize\":\"standard_d2s_v5\",\"targetDedicatedNodes\":1}", clock.instant(), true);
    String id = JSON.readTree(send("GET", "/pools/p/nodes?" + api() + "&$select=id", null, clock.instant(), true).body())
        .path("value").path(0).path("id").asText();

    HttpResponse<String> node = send("GET", "/pools/p/nodes/" + id + "?" + api() + "&$select=id,state,ipAddress", null, clock.instant(), true);
    HttpResponse<String> missing = send("GET", "/pools/p/nodes/tvm-1_9-20261126t100000z?" + api(), null, clock.instant(), true);
    HttpResponse<String> noPool = send("GET", "/pools/q/nodes/" + id + "?" + api(), null, clock.instant(), true);

    assertThat(node.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(node.body()).properties()).extracting(Map.Entry::getKey).containsExactly("id", "state", "ipAddress");
    assertThat(node.headers().firstValue("ETag")).isPresent();
    assertThat(node.headers().firstValue("Last-Modified")).isPresent();
    assertThat(missing.statusCode()).isEqualTo(404);
    JsonNode error = JSON.readTree(missing.body());
    assertThat(error.path("code").asText()).isEqualTo("NodeNotFound");
    assertThat(error.path("message").path("value").asText()).startsWith("The specified node does not exist.");
    assertThat(noPool.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(noPool.body()).path("code").asText()).isEqualTo("PoolNotFound");
  }

  @Test
  void createPool_validatesIdTargetsAndResizeTimeout() throws Exception {
    assertThat(send("POST", "/pools?" + api(), "{\"vmSize\":\"x\",\"targetDedicatedNodes\":1}", clock.instant(), true).statusCode()).isEqualTo(400);
    assertThat(send("POST", "/pools?" + api(), "{\"id\":\"bad id\",\"vmSize\":\"x\",\"targetDedicatedNodes\":1}", clock.instant(), true).statusCode()).isEqualTo(400);
    assertThat(send("POST", "/pools?" + api(), "{\"id\":\"p\",\"vmSize\":\"x\"}", clock.instant(), true).statusCode()).isEqualTo(400);
    assertThat(send("POST", "/pools?" + api(), "{\"id\":\"p\",\"vmSize\":\"x\",\"targetDedicatedNodes\":1,\"resizeTimeout\":\"PT4M\"}", clock.instant(), true).statusCode()).isEqualTo(400);
    assertThat(send("POST", "/pools?" + api(), "{\"id\":\"p\",\"vmSize\":\"x\",\"enableAutoScale\":true,\"targetDedicatedNodes\":1}", clock.instant(), true).statusCode()).isEqualTo(400);
    assertThat(send("POST", "/pools?" + api(), "not json", clock.instant(), true).statusCode()).isEqualTo(400);
  }

  @Test
  void removeNodes_withMoreThan100Ids_is400_evenWhenSentRaw() throws Exception {
    send("POST", "/pools?" + api(), "{\"id\":\"p\",\"vmSize\":\"x\",\"targetDedicatedNodes\":0}", clock.instant(), true);
    StringBuilder ids = new StringBuilder();
    for (int i = 0; i < 101; i++) ids.append(i == 0 ? "" : ",").append("\"n").append(i).append('"');

    HttpResponse<String> r = send("POST", "/pools/p/removenodes?" + api(), "{\"nodeList\":[" + ids + "]}", clock.instant(), true);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(r.body()).path("values").toString()).contains("nodeList");
  }
}
