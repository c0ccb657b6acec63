package dev.slipway.azure.batch;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slipway.model.ErrorClass;
import dev.slipway.spi.ProviderError;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thin client for the Azure Batch data plane (pools and nodes, API version
 * {@value BatchApi#API_VERSION}) on azure-core's HTTP pipeline. One instance talks to one Batch
 * account URL; a provider whose pools live in several accounts holds one client per account.
 *
 * <p>Design: every call is synchronous (the engine's reconcile pass is), builds a fresh request
 * per attempt so that the auth policy re-signs each retry, and retries only what the service
 * says is temporary (429, 5xx, no response) with the bounded backoff of {@link BatchRetryPolicy},
 * honouring Retry-After. Lists follow {@code odata.nextLink} and ask only for the properties the
 * engine reads ({@code $select}), since a node list of a large pool is otherwise megabytes.
 * Failures arrive as {@link BatchServiceException}, classified by {@link BatchErrorMapping} with
 * the service's code and message kept. Nothing here logs headers, so keys and tokens never reach
 * a log.
 */
public final class BatchClient {
  private static final Logger log = LoggerFactory.getLogger(BatchClient.class);
  /** Node properties the engine needs; everything else in a BatchNode is left on the server. */
  public static final String NODE_SELECT = "id,state,isDedicated,ipAddress,allocationTime,startTaskInfo,errors";
  /** Pool properties the engine needs. */
  public static final String POOL_SELECT = "id,state,allocationState,allocationStateTransitionTime,vmSize,"
      + "targetDedicatedNodes,targetLowPriorityNodes,currentDedicatedNodes,currentLowPriorityNodes,resizeTimeout,resizeErrors,eTag";

  private final String endpoint;
  private final HttpPipeline pipeline;
  private final BatchClientOptions options;
  private final ObjectMapper json = new ObjectMapper();

  BatchClient(URI accountUrl, HttpPipeline pipeline, BatchClientOptions options) {
    String url = accountUrl.toString();
    this.endpoint = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.pipeline = pipeline;
    this.options = options;
  }

  /** A client that signs requests with the account's shared key. */
  public static BatchClient withSharedKey(URI accountUrl, BatchSharedKeyCredential credential, BatchClientOptions options) {
    return new BatchClient(accountUrl, pipeline(new BatchSharedKeyPolicy(credential, options.clock()), options), options);
  }

  /** A client that authenticates with Microsoft Entra ID tokens (managed identity, service principal...). */
  public static BatchClient withTokenCredential(URI accountUrl, TokenCredential credential, BatchClientOptions options) {
    return new BatchClient(accountUrl, pipeline(new BatchBearerTokenPolicy(credential, options.clock()), options), options);
  }

  private static HttpPipeline pipeline(HttpPipelinePolicy auth, BatchClientOptions options) {
    HttpClient http = options.httpClient().orElseGet(() -> new JdkHttpClientBuilder()
        .connectionTimeout(Duration.ofSeconds(10))
        .responseTimeout(options.responseTimeout())
        .build());
    return new HttpPipelineBuilder().httpClient(http).policies(auth).build();
  }

  public String accountUrl() {
    return endpoint;
  }

  // ---- pools ---------------------------------------------------------------------------------

  public BatchPoolInfo getPool(String poolId) {
    JsonNode body = send(HttpMethod.GET, "/pools/" + seg(poolId), Map.of("$select", POOL_SELECT), null, 200);
    return parsePool(body);
  }

  /** The pool, or empty when the account has no pool of that id (404 PoolNotFound). */
  public Optional<BatchPoolInfo> findPool(String poolId) {
    try {
      return Optional.of(getPool(poolId));
    } catch (BatchServiceException e) {
      if (e.status() == 404) return Optional.empty();
      throw e;
    }
  }

  /** Every pool of the account (following every page), with its metadata. */
  public List<BatchPoolListing> listPools() {
    List<BatchPoolListing> out = new ArrayList<>();
    for (JsonNode p : listAll("/pools", Map.of("$select", POOL_SELECT + ",metadata"))) {
      out.add(new BatchPoolListing(parsePool(p), metadata(p)));
    }
    return out;
  }

  /** The pool's metadata (empty when it has none). */
  public Map<String, String> getPoolMetadata(String poolId) {
    return metadata(send(HttpMethod.GET, "/pools/" + seg(poolId), Map.of("$select", "id,metadata"), null, 200));
  }

  private static Map<String, String> metadata(JsonNode p) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode m : p.path("metadata")) {
      out.put(m.path("name").asText(), m.path("value").asText(""));
    }
    return out;
  }

  public void addPool(BatchPoolSpec spec) {
    send(HttpMethod.POST, "/pools", Map.of(), poolCreateBody(spec), 201);
  }

  /** Replaces the pool's start task (PATCH: other properties stay as they are). */
  public void updateStartTask(String poolId, BatchStartTask startTask) {
    ObjectNode body = json.createObjectNode();
    body.set("startTask", startTaskJson(startTask));
    send(HttpMethod.PATCH, "/pools/" + seg(poolId), Map.of(), body, 200);
  }

  public void deletePool(String poolId) {
    send(HttpMethod.DELETE, "/pools/" + seg(poolId), Map.of(), null, 202);
  }

  /** Asks for new target counts; fails with RESIZE_IN_PROGRESS while another resize runs. */
  public void resizePool(String poolId, int targetDedicated, int targetLowPriority, Duration resizeTimeout) {
    ObjectNode body = json.createObjectNode();
    body.put("targetDedicatedNodes", targetDedicated);
    body.put("targetLowPriorityNodes", targetLowPriority);
    body.put("resizeTimeout", resizeTimeout.toString());
    send(HttpMethod.POST, "/pools/" + seg(poolId) + "/resize", Map.of(), body, 202);
  }

  public void stopResize(String poolId) {
    send(HttpMethod.POST, "/pools/" + seg(poolId) + "/stopresize", Map.of(), null, 202);
  }

  /**
   * Removes specific nodes (the pool's targets drop by as many). Batch takes at most
   * {@value BatchApi#MAX_REMOVE_NODES} ids per call; more is refused here before anything is
   * sent, so the caller chunks deliberately rather than losing part of a request.
   */
  public void removeNodes(String poolId, Collection<String> nodeIds, Duration resizeTimeout) {
    if (nodeIds.isEmpty()) {
      throw new IllegalArgumentException("removeNodes needs at least one node id");
    }
    if (nodeIds.size() > BatchApi.MAX_REMOVE_NODES) {
      throw new IllegalArgumentException("removeNodes takes at most " + BatchApi.MAX_REMOVE_NODES
          + " node ids per call, got " + nodeIds.size() + " for pool " + poolId);
    }
    ObjectNode body = json.createObjectNode();
    ArrayNode list = body.putArray("nodeList");
    nodeIds.forEach(list::add);
    body.put("resizeTimeout", resizeTimeout.toString());
    body.put("nodeDeallocationOption", "requeue");
    send(HttpMethod.POST, "/pools/" + seg(poolId) + "/removenodes", Map.of(), body, 202);
  }

  // ---- nodes ---------------------------------------------------------------------------------

  /** All nodes of the pool (following every page), optionally narrowed by an OData filter. */
  public List<BatchNodeInfo> listNodes(String poolId, Optional<String> filter) {
    Map<String, String> query = new LinkedHashMap<>();
    query.put("$select", NODE_SELECT);
    filter.ifPresent(f -> query.put("$filter", f));
    List<BatchNodeInfo> out = new ArrayList<>();
    for (JsonNode n : listAll("/pools/" + seg(poolId) + "/nodes", query)) {
      out.add(parseNode(n));
    }
    return out;
  }

  /**
   * One node of the pool ({@code GET /pools/{poolId}/nodes/{nodeId}}, with the same
   * {@code $select} as the list), or empty when the pool has no such node (404 NodeNotFound).
   * A missing pool is still an error: the caller's pool is gone, not its node.
   */
  public Optional<BatchNodeInfo> findNode(String poolId, String nodeId) {
    try {
      return Optional.of(parseNode(send(HttpMethod.GET, "/pools/" + seg(poolId) + "/nodes/" + seg(nodeId),
          Map.of("$select", NODE_SELECT), null, 200)));
    } catch (BatchServiceException e) {
      if (e.status() == 404 && "NodeNotFound".equals(e.error().code())) return Optional.empty();
      throw e;
    }
  }

  /**
   * Ids of the pool's nodes that match the OData filter (or all), with {@code $select=id}: the
   * cheapest list when only membership matters (about 60 bytes a node instead of 140).
   */
  public List<String> listNodeIds(String poolId, Optional<String> filter) {
    Map<String, String> query = new LinkedHashMap<>();
    query.put("$select", "id");
    filter.ifPresent(f -> query.put("$filter", f));
    List<String> out = new ArrayList<>();
    for (JsonNode n : listAll("/pools/" + seg(poolId) + "/nodes", query)) {
      out.add(n.path("id").asText());
    }
    return out;
  }

  /** Node counts by state for every pool of the account, or for one pool. */
  public List<BatchPoolNodeCounts> listPoolNodeCounts(Optional<String> poolId) {
    Map<String, String> query = new LinkedHashMap<>();
    poolId.ifPresent(p -> query.put("$filter", "poolId eq '" + p.replace("'", "''") + "'"));
    List<BatchPoolNodeCounts> out = new ArrayList<>();
    for (JsonNode n : listAll("/nodecounts", query)) {
      out.add(new BatchPoolNodeCounts(n.path("poolId").asText(), counts(n.path("dedicated")), counts(n.path("lowPriority"))));
    }
    return out;
  }

  // ---- transport -----------------------------------------------------------------------------

  private List<JsonNode> listAll(String path, Map<String, String> query) {
    List<JsonNode> items = new ArrayList<>();
    String url = url(path, query);
    int pages = 0;
    while (url != null) {
      JsonNode page = sendTo(HttpMethod.GET, url, null, 200);
      page.path("value").forEach(items::add);
      String next = page.path("odata.nextLink").asText(null);
      url = next == null || next.isEmpty() ? null : next;
      if (++pages > 100_000) {
        throw new BatchServiceException(500, "PagingLoop", "more than 100000 pages listing " + path, Map.of());
      }
    }
    return items;
  }

  private JsonNode send(HttpMethod method, String path, Map<String, String> query, JsonNode body, int expected) {
    return sendTo(method, url(path, query), body, expected);
  }

  private JsonNode sendTo(HttpMethod method, String url, JsonNode body, int expected) {
    byte[] payload = body == null ? null : body.toString().getBytes(StandardCharsets.UTF_8);
    for (int attempt = 0; ; attempt++) {
      boolean lastAttempt = attempt >= options.retry().maxRetries();
      HttpRequest request = new HttpRequest(method, url);
      request.setHeader(HttpHeaderName.fromString("client-request-id"), UUID.randomUUID().toString());
      request.setHeader(HttpHeaderName.fromString("Accept"), "application/json");
      if (payload != null) {
        request.setHeader(HttpHeaderName.fromString("Content-Type"), BatchApi.REQUEST_CONTENT_TYPE);
        request.setBody(BinaryData.fromBytes(payload));
      }
      int status;
      String text;
      Optional<Duration> retryAfter;
      try (HttpResponse response = pipeline.sendSync(request, Context.NONE)) {
        status = response.getStatusCode();
        BinaryData data = response.getBodyAsBinaryData();
        text = data == null ? "" : data.toString();
        retryAfter = retryAfter(response.getHeaderValue(HttpHeaderName.RETRY_AFTER), options.clock().instant());
      } catch (RuntimeException e) {
        if (lastAttempt) {
          throw new BatchServiceException(new ProviderError(ErrorClass.TRANSIENT, "NoResponse",
              method + " " + pathOf(url) + " got no response: " + e.getClass().getSimpleName() + " " + e.getMessage()), e);
        }
        log.debug("Batch {} {} failed without a response ({}), retrying", method, pathOf(url), e.getClass().getSimpleName());
        pause(options.retry().delay(attempt, Optional.empty()));
        continue;
      }
      if (status == expected) {
        return text.isBlank() ? json.createObjectNode() : readTree(text);
      }
      BatchServiceException failure = error(status, text);
      if (!BatchErrorMapping.isRetryable(status) || lastAttempt) {
        throw failure;
      }
      Duration delay = options.retry().delay(attempt, retryAfter);
      log.debug("Batch {} {} returned {} {}, retry {} in {}", method, pathOf(url), status, failure.error().code(), attempt + 1, delay);
      pause(delay);
    }
  }

  private void pause(Duration delay) {
    try {
      options.pause().pause(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BatchServiceException(new ProviderError(ErrorClass.TRANSIENT, "Interrupted", "interrupted while waiting to retry"), e);
    }
  }

  private BatchServiceException error(int status, String text) {
    String code = "HttpStatus" + status;
    String message = "Batch returned HTTP " + status;
    Map<String, String> values = new HashMap<>();
    if (!text.isBlank()) {
      try {
        JsonNode e = json.readTree(text);
        code = e.path("code").asText(code);
        JsonNode m = e.path("message");
        message = m.isObject() ? m.path("value").asText(message) : m.asText(message);
        for (JsonNode v : e.path("values")) {
          values.put(v.path("key").asText(), v.path("value").asText());
        }
      } catch (IOException notJson) {
        message = message + ": " + text.substring(0, Math.min(200, text.length()));
      }
    }
    return new BatchServiceException(status, code, message, values);
  }

  /** Retry-After as delay-seconds or an HTTP date (relative to {@code now}); empty when absent or unreadable. */
  static Optional<Duration> retryAfter(String header, Instant now) {
    if (header == null || header.isBlank()) return Optional.empty();
    String h = header.trim();
    try {
      return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(h))));
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration d = Duration.between(now, at);
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
      } catch (DateTimeParseException notADate) {
        return Optional.empty();
      }
    }
  }

  private JsonNode readTree(String text) {
    try {
      return json.readTree(text);
    } catch (IOException e) {
      throw new BatchServiceException(new ProviderError(ErrorClass.TRANSIENT, "InvalidResponse",
          "Batch returned a body that is not JSON"), e);
    }
  }

  private String url(String path, Map<String, String> query) {
    StringBuilder sb = new StringBuilder(endpoint).append(path).append("?api-version=").append(BatchApi.API_VERSION);
    query.forEach((k, v) -> sb.append('&').append(k).append('=').append(enc(v)));
    return sb.toString();
  }

  private static String pathOf(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String seg(String s) {
    return enc(s);
  }

  // ---- JSON mapping --------------------------------------------------------------------------

  BatchPoolInfo parsePool(JsonNode p) {
    List<BatchResizeError> errors = new ArrayList<>();
    for (JsonNode e : p.path("resizeErrors")) {
      Map<String, String> values = new LinkedHashMap<>();
      for (JsonNode v : e.path("values")) {
        values.put(v.path("name").asText(), v.path("value").asText(""));
      }
      errors.add(new BatchResizeError(e.path("code").asText(""), e.path("message").asText(""), values));
    }
    return new BatchPoolInfo(
        p.path("id").asText(),
        p.path("state").asText("active"),
        p.path("allocationState").asText("steady"),
        text(p, "vmSize"),
        p.path("targetDedicatedNodes").asInt(0),
        p.path("targetLowPriorityNodes").asInt(0),
        p.path("currentDedicatedNodes").asInt(0),
        p.path("currentLowPriorityNodes").asInt(0),
        text(p, "resizeTimeout").map(Duration::parse),
        errors,
        text(p, "allocationStateTransitionTime").map(BatchClient::instant),
        text(p, "eTag"));
  }

  BatchNodeInfo parseNode(JsonNode n) {
    BatchNodeState state = BatchNodeState.fromWire(n.path("state").asText()).orElse(BatchNodeState.UNKNOWN);
    Optional<String> code = Optional.empty();
    Optional<String> message = Optional.empty();
    JsonNode failure = n.path("startTaskInfo").path("failureInfo");
    JsonNode firstError = n.path("errors").path(0);
    if (state == BatchNodeState.START_TASK_FAILED && failure.isObject()) {
      code = text(failure, "code");
      message = text(failure, "message");
    } else if (firstError.isObject()) {
      code = text(firstError, "code");
      message = text(firstError, "message");
    }
    return new BatchNodeInfo(
        n.path("id").asText(),
        state,
        n.path("isDedicated").asBoolean(true),
        text(n, "ipAddress"),
        text(n, "allocationTime").map(BatchClient::instant),
        code,
        message);
  }

  private static Map<String, Integer> counts(JsonNode c) {
    Map<String, Integer> out = new LinkedHashMap<>();
    c.properties().forEach(e -> out.put(e.getKey(), e.getValue().asInt()));
    return out;
  }

  private static Optional<String> text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
  }

  private static Instant instant(String s) {
    return OffsetDateTime.parse(s).toInstant();
  }

  ObjectNode poolCreateBody(BatchPoolSpec spec) {
    ObjectNode body = json.createObjectNode();
    body.put("id", spec.id());
    body.put("vmSize", spec.vmSize());
    ObjectNode vmc = body.putObject("virtualMachineConfiguration");
    ObjectNode image = vmc.putObject("imageReference");
    if (spec.imageId().isPresent()) {
      image.put("virtualMachineImageId", spec.imageId().get());
    } else {
      image.put("publisher", spec.imagePublisher().orElseThrow());
      image.put("offer", spec.imageOffer().orElseThrow());
      image.put("sku", spec.imageSku().orElseThrow());
      image.put("version", spec.imageVersion().orElse("latest"));
    }
    vmc.put("nodeAgentSKUId", spec.nodeAgentSkuId());
    spec.containerType().ifPresent(t -> vmc.putObject("containerConfiguration").put("type", t));
    if (!spec.extensions().isEmpty()) {
      ArrayNode ext = vmc.putArray("extensions");
      for (BatchVmExtension e : spec.extensions()) {
        ObjectNode x = ext.addObject().put("name", e.name()).put("publisher", e.publisher()).put("type", e.type());
        e.typeHandlerVersion().ifPresent(v -> x.put("typeHandlerVersion", v));
        x.put("autoUpgradeMinorVersion", e.autoUpgradeMinorVersion());
      }
    }
    body.put("resizeTimeout", spec.resizeTimeout().toString());
    body.put("targetDedicatedNodes", spec.targetDedicatedNodes());
    body.put("targetLowPriorityNodes", spec.targetLowPriorityNodes());
    body.put("enableAutoScale", false);
    body.put("enableInterNodeCommunication", spec.interNodeCommunication());
    body.put("taskSlotsPerNode", spec.taskSlotsPerNode());
    spec.subnetId().ifPresent(s -> body.putObject("networkConfiguration").put("subnetId", s));
    spec.startTask().ifPresent(t -> body.set("startTask", startTaskJson(t)));
    if (!spec.metadata().isEmpty()) {
      ArrayNode md = body.putArray("metadata");
      spec.metadata().forEach((k, v) -> md.addObject().put("name", k).put("value", v));
    }
    return body;
  }

  ObjectNode startTaskJson(BatchStartTask t) {
    ObjectNode st = json.createObjectNode();
    st.put("commandLine", t.commandLine());
    if (!t.environment().isEmpty()) {
      ArrayNode env = st.putArray("environmentSettings");
      t.environment().forEach((k, v) -> env.addObject().put("name", k).put("value", v));
    }
    st.putObject("userIdentity").putObject("autoUser")
        .put("scope", "pool").put("elevationLevel", t.elevated() ? "admin" : "nonadmin");
    st.put("maxTaskRetryCount", t.maxTaskRetryCount());
    st.put("waitForSuccess", t.waitForSuccess());
    return st;
  }
}
