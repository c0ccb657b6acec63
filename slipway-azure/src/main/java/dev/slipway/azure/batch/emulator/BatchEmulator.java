package dev.slipway.azure.batch.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.slipway.azure.batch.BatchApi;
import dev.slipway.azure.batch.BatchNodeState;
import dev.slipway.azure.batch.BatchSharedKeyCredential;
import dev.slipway.azure.batch.emulator.EmulatedNodeBackend.NodeRequest;
import dev.slipway.azure.batch.emulator.EmulatedNodeBackend.NodeStatus;
import dev.slipway.azure.batch.emulator.EmulatedNodeBackend.Provisioning;
import dev.slipway.model.Secret;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * An emulator of the Azure Batch data plane for pools and nodes (API version
 * {@value BatchApi#API_VERSION}), on a loopback HTTP port, so that the Batch client and provider
 * can be tested, and Slipway demonstrated, without Azure.
 *
 * <p>Semantics kept from Batch: one resize at a time per pool (a second resize or removeNodes
 * while allocationState is not steady gets 409 PoolResizeInProgress in Batch's error shape); a
 * resize that cannot finish within its resizeTimeout ends with an AllocationTimedout resize
 * error; a refused allocation (capacity, quota) ends it with that error; removeNodes takes at
 * most 100 ids, lowers the targets and keeps the pool resizing while the nodes are leaving;
 * stopresize leaves the pool at the nodes it has; deleting pools drain and then vanish; lists
 * page with {@code odata.nextLink} and honour {@code $select}, {@code $filter} and
 * {@code maxresults}; requests must carry a valid SharedKey signature or bearer token when those
 * are configured. Which nodes exist and what state they are in is decided by the pluggable
 * {@link EmulatedNodeBackend}.
 *
 * <p>Concurrency and time: all state is guarded by one lock. There is no background thread:
 * every request (and {@link #tick()}) first brings the pools up to date with the injected clock,
 * so tests drive everything by advancing a fake clock.
 */
public final class BatchEmulator implements AutoCloseable {
  /**
   * How to run: the account name, which credentials are accepted (none configured means no
   * authentication), the clock, the node backend, the largest page a list returns, and the port
   * (0 for an ephemeral one).
   */
  public record Settings(String accountName, Optional<Secret> sharedKey, Optional<String> bearerToken,
                         InstantSource clock, EmulatedNodeBackend backend, int maxPageSize, int port) {
    public Settings {
      Objects.requireNonNull(accountName, "accountName");
      Objects.requireNonNull(sharedKey, "sharedKey");
      Objects.requireNonNull(bearerToken, "bearerToken");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(backend, "backend");
      if (maxPageSize < 1 || maxPageSize > 1000) throw new IllegalArgumentException("maxPageSize must be 1..1000");
      if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535");
    }

    public static Settings of(String accountName, InstantSource clock, EmulatedNodeBackend backend) {
      return new Settings(accountName, Optional.empty(), Optional.empty(), clock, backend, 1000, 0);
    }

    public Settings withSharedKey(Secret key) {
      return new Settings(accountName, Optional.of(key), bearerToken, clock, backend, maxPageSize, port);
    }

    public Settings withBearerToken(String token) {
      return new Settings(accountName, sharedKey, Optional.of(token), clock, backend, maxPageSize, port);
    }

    public Settings withMaxPageSize(int size) {
      return new Settings(accountName, sharedKey, bearerToken, clock, backend, size, port);
    }

    public Settings withPort(int p) {
      return new Settings(accountName, sharedKey, bearerToken, clock, backend, maxPageSize, p);
    }
  }

  /** A request as received, for tests that check what a client sent (header names are case-insensitive). */
  public record RecordedRequest(String method, String path, Map<String, String> query, Map<String, String> headers, String body) {}

  private static final Duration MIN_RESIZE_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration DEFAULT_RESIZE_TIMEOUT = Duration.ofMinutes(15);
  private static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(15);
  private static final DateTimeFormatter NODE_ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd't'HHmmss'z'").withZone(ZoneOffset.UTC);

  private static final class Node {
    final String id;
    final boolean lowPriority;
    final Instant allocationTime;
    NodeStatus status;
    boolean leaving;

    Node(String id, boolean lowPriority, Instant allocationTime, NodeStatus status) {
      this.id = id;
      this.lowPriority = lowPriority;
      this.allocationTime = allocationTime;
      this.status = status;
    }
  }

  private static final class Pool {
    final String id;
    final ObjectNode spec;
    final Instant created;
    String state = "active";
    Instant stateTime;
    String allocationState = "steady";
    Instant allocationTime;
    int targetDedicated;
    int targetLowPriority;
    Duration resizeTimeout;
    Instant resizeStarted;
    final List<ObjectNode> resizeErrors = new ArrayList<>();
    final Map<String, Node> nodes = new LinkedHashMap<>();
    long version;
    Instant lastModified;
    int nextNodeNumber = 1;

    Pool(String id, ObjectNode spec, Instant now) {
      this.id = id;
      this.spec = spec;
      this.created = now;
      this.stateTime = now;
      this.allocationTime = now;
      this.lastModified = now;
    }
  }

  private static final class Fault {
    int remaining;
    final int status;
    final String code;
    final Optional<Duration> retryAfter;

    Fault(int remaining, int status, String code, Optional<Duration> retryAfter) {
      this.remaining = remaining;
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  private final Settings settings;
  private final Object lock = new Object();
  private final Map<String, Pool> pools = new LinkedHashMap<>();
  private final List<RecordedRequest> requests = new ArrayList<>();
  private final ObjectMapper json = new ObjectMapper();
  private final HttpServer server;
  private final ExecutorService executor;
  private final URI url;
  private Optional<Fault> fault = Optional.empty();
  private long etagCounter = 0x8D4_1309_1E73_9A56L;

  private BatchEmulator(Settings settings) throws IOException {
    this.settings = settings;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), settings.port()), 0);
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "batch-emulator");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    this.url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Starts an emulator on 127.0.0.1 (ephemeral port unless the settings name one). */
  public static BatchEmulator start(Settings settings) throws IOException {
    return new BatchEmulator(settings);
  }

  /** The account URL clients use, e.g. {@code http://127.0.0.1:40123}. */
  public URI url() {
    return url;
  }

  public String accountName() {
    return settings.accountName();
  }

  /** Brings every pool up to date with the clock and the backend (requests do this too). */
  public void tick() {
    synchronized (lock) {
      reconcile();
    }
  }

  /** Every request received so far, oldest first. */
  public List<RecordedRequest> requests() {
    synchronized (lock) {
      return List.copyOf(requests);
    }
  }

  /**
   * Answers the next {@code count} requests with {@code status} and a Batch error of
   * {@code code} (and a Retry-After header when given), before any other processing: for testing
   * a client's handling of throttling and server errors.
   */
  public void failNextRequests(int count, int status, String code, Optional<Duration> retryAfter) {
    synchronized (lock) {
      fault = Optional.of(new Fault(count, status, code, retryAfter));
    }
  }

  /**
   * Puts a node with a chosen id into an existing pool as if a resize had allocated it (the
   * target grows with it): for reproducing a situation, such as the official examples' node ids.
   */
  public void seedNode(String poolId, String nodeId, boolean lowPriority) {
    synchronized (lock) {
      Pool p = pools.get(key(poolId));
      if (p == null) throw new IllegalArgumentException("no pool " + poolId);
      Provisioning result = settings.backend().provision(request(p, nodeId, lowPriority));
      if (!(result instanceof Provisioning.Allocated)) {
        throw new IllegalStateException("backend did not allocate seeded node " + nodeId + ": " + result);
      }
      addNode(p, nodeId, lowPriority);
      if (lowPriority) p.targetLowPriority++;
      else p.targetDedicated++;
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  // ---- HTTP plumbing -------------------------------------------------------------------------

  private record Reply(int status, Optional<JsonNode> body, Map<String, String> headers) {
    static Reply empty(int status) {
      return new Reply(status, Optional.empty(), new LinkedHashMap<>());
    }

    static Reply json(int status, JsonNode body) {
      return new Reply(status, Optional.of(body), new LinkedHashMap<>());
    }

    Reply header(String name, String value) {
      headers.put(name, value);
      return this;
    }
  }

  private static final class BatchFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;
    final transient Map<String, String> values;

    BatchFailure(int status, String code, String message, Map<String, String> values) {
      super(message);
      this.status = status;
      this.code = code;
      this.values = values;
    }

    BatchFailure(int status, String code, String message) {
      this(status, code, message, Map.of());
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] raw;
      try (InputStream in = ex.getRequestBody()) {
        raw = in.readAllBytes();
      }
      String body = new String(raw, StandardCharsets.UTF_8);
      String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
      String rawPath = ex.getRequestURI().getRawPath();
      Map<String, String> query = query(ex.getRequestURI().getRawQuery());
      Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      ex.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
      Reply reply;
      synchronized (lock) {
        requests.add(new RecordedRequest(method, decode(rawPath), Map.copyOf(query), Collections.unmodifiableMap(headers), body));
        try {
          reply = dispatch(ex, method, rawPath, query, headers, body);
        } catch (BatchFailure f) {
          reply = errorReply(f);
        } catch (RuntimeException e) {
          reply = errorReply(new BatchFailure(500, "InternalServerError", "emulator failure: " + e));
        }
      }
      String clientRequestId = headers.get("client-request-id");
      if (clientRequestId != null) reply.headers().put("client-request-id", clientRequestId);
      reply.headers().put("request-id", UUID.randomUUID().toString());
      reply.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
      if (reply.body().isPresent()) {
        byte[] out = json.writeValueAsBytes(reply.body().get());
        ex.getResponseHeaders().set("Content-Type", "application/json;odata=minimalmetadata");
        ex.sendResponseHeaders(reply.status(), out.length);
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      } else {
        ex.sendResponseHeaders(reply.status(), -1);
      }
    }
  }

  private Reply dispatch(HttpExchange ex, String method, String rawPath, Map<String, String> query,
                         Map<String, String> headers, String body) {
    if (fault.isPresent()) {
      Fault f = fault.get();
      if (--f.remaining <= 0) fault = Optional.empty();
      Reply r = errorReply(new BatchFailure(f.status, f.code, "injected failure " + f.status + " " + f.code));
      f.retryAfter.ifPresent(d -> r.header("Retry-After", Long.toString(d.toSeconds())));
      return r;
    }
    authenticate(method, ex.getRequestURI(), headers);
    String version = query.get("api-version");
    if (version == null) {
      throw new BatchFailure(400, "MissingRequiredQueryParameter", "A query parameter that's mandatory for this request is not specified.",
          Map.of("QueryParameterName", "api-version"));
    }
    if (!version.equals(BatchApi.API_VERSION)) {
      throw new BatchFailure(400, "InvalidQueryParameterValue", "The emulator implements only api-version " + BatchApi.API_VERSION,
          Map.of("QueryParameterName", "api-version", "QueryParameterValue", version));
    }
    reconcile();
    List<String> seg = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) seg.add(decode(s));
    }
    if (seg.size() == 1 && seg.get(0).equals("nodecounts") && method.equals("GET")) return nodeCounts(query);
    if (seg.isEmpty() || !seg.get(0).equals("pools")) throw notFound();
    if (seg.size() == 1) {
      if (method.equals("GET")) return listPools(query);
      if (method.equals("POST")) return createPool(parseBody(body));
      throw notFound();
    }
    Pool pool = pools.get(key(seg.get(1)));
    if (pool == null) throw new BatchFailure(404, "PoolNotFound", "The specified pool does not exist.");
    if (seg.size() == 2) {
      return switch (method) {
        case "GET" -> Reply.json(200, select(poolJson(pool), query)).header("ETag", etag(pool)).header("Last-Modified", rfc1123(pool.lastModified));
        case "PATCH" -> patchPool(pool, parseBody(body));
        case "DELETE" -> deletePool(pool);
        default -> throw notFound();
      };
    }
    String action = seg.get(2);
    if (seg.size() == 3 && method.equals("POST")) {
      return switch (action) {
        case "resize" -> resize(pool, parseBody(body));
        case "stopresize" -> stopResize(pool);
        case "removenodes" -> removeNodes(pool, parseBody(body));
        default -> throw notFound();
      };
    }
    if (action.equals("nodes") && method.equals("GET")) {
      if (seg.size() == 3) return listNodes(pool, query);
      if (seg.size() == 4) {
        Node n = pool.nodes.get(seg.get(3));
        if (n == null) throw new BatchFailure(404, "NodeNotFound", "The specified node does not exist.");
        // Batch's GetNode answers with ETag and Last-Modified like GetPool; a node changes when its state does.
        ObjectNode full = nodeJson(pool, n);
        return Reply.json(200, select(full, query))
            .header("ETag", "0x" + Integer.toHexString(full.toString().hashCode()).toUpperCase(Locale.ROOT))
            .header("Last-Modified", rfc1123(n.status.since()));
      }
    }
    throw notFound();
  }

  private void authenticate(String method, URI uri, Map<String, String> headers) {
    if (settings.sharedKey().isEmpty() && settings.bearerToken().isEmpty()) return;
    String auth = headers.get("Authorization");
    if (auth == null) {
      throw new BatchFailure(401, "MissingRequiredHeader", "The request is not authenticated: no Authorization header.",
          Map.of("HeaderName", "Authorization"));
    }
    if (auth.startsWith("Bearer ") && settings.bearerToken().isPresent()) {
      if (MessageDigest.isEqual(auth.substring(7).getBytes(StandardCharsets.UTF_8), settings.bearerToken().get().getBytes(StandardCharsets.UTF_8))) {
        return;
      }
      throw new BatchFailure(401, "InvalidAuthenticationTokenAudience", "The access token is not valid for this emulator.");
    }
    if (auth.startsWith("SharedKey ") && settings.sharedKey().isPresent()) {
      String date = Optional.ofNullable(headers.get("ocp-date")).orElse(headers.get("Date"));
      if (date == null) {
        throw new BatchFailure(403, "AuthenticationFailed", "Server failed to authenticate the request: no ocp-date or Date header.");
      }
      try {
        Instant at = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        if (Duration.between(at, settings.clock().instant()).abs().compareTo(MAX_CLOCK_SKEW) > 0) {
          throw new BatchFailure(403, "AuthenticationFailed", "Server failed to authenticate the request: the request time is more than 15 minutes off.");
        }
      } catch (DateTimeParseException e) {
        throw new BatchFailure(400, "InvalidHeaderValue", "The value for the date header is not in RFC 1123 format.");
      }
      BatchSharedKeyCredential credential = new BatchSharedKeyCredential(settings.accountName(), settings.sharedKey().get());
      Map<String, String> ocp = new TreeMap<>();
      headers.forEach((k, v) -> {
        if (k.toLowerCase(Locale.ROOT).startsWith("ocp-")) ocp.put(k, v);
      });
      String expected = credential.authorization(credential.stringToSign(method, uri, headers::get, ocp));
      if (MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), auth.getBytes(StandardCharsets.UTF_8))) {
        return;
      }
      throw new BatchFailure(403, "AuthenticationFailed",
          "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.");
    }
    throw new BatchFailure(401, "AuthenticationFailed", "The authentication scheme is not accepted by this emulator.");
  }

  private Reply errorReply(BatchFailure f) {
    ObjectNode e = json.createObjectNode();
    e.put("odata.metadata", url + "/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element");
    e.put("code", f.code);
    ObjectNode m = e.putObject("message");
    m.put("lang", "en-US");
    m.put("value", f.getMessage() + "\nRequestId:" + UUID.randomUUID() + "\nTime:" + settings.clock().instant());
    if (!f.values.isEmpty()) {
      ArrayNode values = e.putArray("values");
      f.values.forEach((k, v) -> values.addObject().put("key", k).put("value", v));
    }
    return Reply.json(f.status, e);
  }

  private static BatchFailure notFound() {
    return new BatchFailure(404, "ResourceNotFound", "The specified resource does not exist.");
  }

  private ObjectNode parseBody(String body) {
    if (body.isBlank()) return json.createObjectNode();
    try {
      JsonNode n = json.readTree(body);
      if (!n.isObject()) throw new BatchFailure(400, "InvalidRequestBody", "The request body must be a JSON object.");
      return (ObjectNode) n;
    } catch (IOException e) {
      throw new BatchFailure(400, "InvalidRequestBody", "The specified Request Body is not syntactically valid.");
    }
  }

  // ---- operations ----------------------------------------------------------------------------

  private Reply createPool(ObjectNode body) {
    Instant now = settings.clock().instant();
    String id = requiredText(body, "id");
    requiredText(body, "vmSize");
    if (id.length() > 64 || !id.matches("[A-Za-z0-9_-]+")) {
      throw invalidProperty("id", id, "The pool id must be at most 64 letters, digits, hyphens and underscores.");
    }
    if (pools.containsKey(key(id))) throw new BatchFailure(409, "PoolExists", "The specified pool already exists.");
    boolean autoScale = body.path("enableAutoScale").asBoolean(false);
    boolean targetsGiven = body.has("targetDedicatedNodes") || body.has("targetLowPriorityNodes");
    if (autoScale && targetsGiven) {
      throw invalidProperty("targetDedicatedNodes", body.path("targetDedicatedNodes").asText(), "Target node counts must not be set when autoscale is enabled.");
    }
    if (!autoScale && !targetsGiven) {
      throw new BatchFailure(400, "MissingRequiredProperty", "A required property was not specified in the request body.",
          Map.of("PropertyName", "targetDedicatedNodes"));
    }
    int dedicated = nonNegative(body, "targetDedicatedNodes");
    int lowPriority = nonNegative(body, "targetLowPriorityNodes");
    Duration timeout = resizeTimeout(body);
    checkPoolParts(body);
    ObjectNode spec = body.deepCopy();
    Pool p = new Pool(id, spec, now);
    p.targetDedicated = dedicated;
    p.targetLowPriority = lowPriority;
    p.resizeTimeout = timeout;
    p.version = ++etagCounter;
    pools.put(key(id), p);
    if (dedicated + lowPriority > 0) {
      startResize(p, now);
      reconcile(p, now);
    }
    return Reply.empty(201).header("ETag", etag(p)).header("Last-Modified", rfc1123(now)).header("DataServiceId", poolUrl(p));
  }

  /**
   * The required properties and enums of a pool's nested parts, as the REST description declares
   * them (VirtualMachineConfiguration, BatchContainerConfiguration, VMExtension, BatchStartTask,
   * EnvironmentSetting, MetadataItem), so a client that leaves one out fails here as on Batch.
   */
  private static void checkPoolParts(ObjectNode body) {
    JsonNode vmc = body.get("virtualMachineConfiguration");
    if (vmc != null) {
      if (!vmc.path("imageReference").isObject()) throw missing("virtualMachineConfiguration.imageReference");
      requiredIn(vmc, "nodeAgentSKUId", "virtualMachineConfiguration.nodeAgentSKUId");
      JsonNode cc = vmc.get("containerConfiguration");
      if (cc != null) {
        String type = requiredIn(cc, "type", "virtualMachineConfiguration.containerConfiguration.type");
        if (!type.equals("dockerCompatible") && !type.equals("criCompatible")) {
          throw invalidProperty("virtualMachineConfiguration.containerConfiguration.type", type, "Allowed: dockerCompatible, criCompatible.");
        }
      }
      for (JsonNode e : vmc.path("extensions")) {
        for (String f : List.of("name", "publisher", "type")) requiredIn(e, f, "virtualMachineConfiguration.extensions." + f);
      }
    }
    JsonNode st = body.get("startTask");
    if (st != null) {
      requiredIn(st, "commandLine", "startTask.commandLine");
      for (JsonNode e : st.path("environmentSettings")) requiredIn(e, "name", "startTask.environmentSettings.name");
    }
    for (JsonNode m : body.path("metadata")) {
      requiredIn(m, "name", "metadata.name");
      requiredIn(m, "value", "metadata.value");
    }
  }

  private static String requiredIn(JsonNode node, String field, String path) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) throw missing(path);
    return v.asText();
  }

  private static BatchFailure missing(String path) {
    return new BatchFailure(400, "MissingRequiredProperty", "A required property was not specified in the request body.",
        Map.of("PropertyName", path));
  }

  private Reply patchPool(Pool p, ObjectNode body) {
    if (p.state.equals("deleting")) throw new BatchFailure(409, "PoolBeingDeleted", "The specified pool has been marked for deletion and is being reclaimed.");
    // Batch replaces exactly the properties sent and keeps the rest.
    body.properties().forEach(e -> p.spec.set(e.getKey(), e.getValue()));
    touch(p);
    return Reply.empty(200).header("ETag", etag(p)).header("Last-Modified", rfc1123(p.lastModified)).header("DataServiceId", poolUrl(p));
  }

  private Reply deletePool(Pool p) {
    Instant now = settings.clock().instant();
    if (!p.state.equals("deleting")) {
      p.state = "deleting";
      p.stateTime = now;
      p.targetDedicated = 0;
      p.targetLowPriority = 0;
      for (Node n : p.nodes.values()) {
        release(p, n);
      }
      touch(p);
      reconcile(p, now);
    }
    return Reply.empty(202);
  }

  private Reply resize(Pool p, ObjectNode body) {
    Instant now = settings.clock().instant();
    refuseUnlessSteady(p);
    if (p.spec.path("enableAutoScale").asBoolean(false)) {
      throw new BatchFailure(409, "AutoScalingEnabled", "The specified pool has autoscale enabled; it cannot be resized manually.");
    }
    int dedicated = nonNegative(body, "targetDedicatedNodes");
    int lowPriority = nonNegative(body, "targetLowPriorityNodes");
    Duration timeout = resizeTimeout(body);
    p.targetDedicated = dedicated;
    p.targetLowPriority = lowPriority;
    p.resizeTimeout = timeout;
    startResize(p, now);
    touch(p);
    return Reply.empty(202).header("ETag", etag(p)).header("Last-Modified", rfc1123(now)).header("DataServiceId", poolUrl(p));
  }

  private Reply stopResize(Pool p) {
    Instant now = settings.clock().instant();
    if (p.allocationState.equals("resizing")) {
      // The pool keeps the nodes it has at this moment; it reaches steady on the next update.
      p.allocationState = "stopping";
      p.allocationTime = now;
      touch(p);
    }
    return Reply.empty(202).header("ETag", etag(p)).header("Last-Modified", rfc1123(now)).header("DataServiceId", poolUrl(p));
  }

  private Reply removeNodes(Pool p, ObjectNode body) {
    Instant now = settings.clock().instant();
    JsonNode list = body.get("nodeList");
    if (list == null || !list.isArray()) {
      throw new BatchFailure(400, "MissingRequiredProperty", "A required property was not specified in the request body.",
          Map.of("PropertyName", "nodeList"));
    }
    if (list.size() == 0 || list.size() > BatchApi.MAX_REMOVE_NODES) {
      throw invalidProperty("nodeList", Integer.toString(list.size()), "nodeList must contain between 1 and 100 node ids.");
    }
    refuseUnlessSteady(p);
    Duration timeout = resizeTimeout(body);
    List<Node> chosen = new ArrayList<>();
    for (JsonNode id : list) {
      Node n = p.nodes.get(id.asText());
      if (n == null) {
        throw new BatchFailure(400, "InvalidPropertyValue", "The node " + id.asText() + " is not in the pool.",
            Map.of("PropertyName", "nodeList", "PropertyValue", id.asText()));
      }
      if (!n.leaving && !chosen.contains(n)) chosen.add(n);
    }
    for (Node n : chosen) {
      release(p, n);
      if (n.lowPriority) p.targetLowPriority = Math.max(0, p.targetLowPriority - 1);
      else p.targetDedicated = Math.max(0, p.targetDedicated - 1);
    }
    p.resizeTimeout = timeout;
    startResize(p, now);
    touch(p);
    return Reply.empty(202).header("ETag", etag(p)).header("Last-Modified", rfc1123(now)).header("DataServiceId", poolUrl(p));
  }

  private Reply listPools(Map<String, String> query) {
    List<ObjectNode> all = new ArrayList<>();
    pools.values().forEach(p -> all.add(poolJson(p)));
    return page("/pools", all, query);
  }

  private Reply listNodes(Pool p, Map<String, String> query) {
    List<ObjectNode> all = new ArrayList<>();
    p.nodes.values().forEach(n -> all.add(nodeJson(p, n)));
    return page("/pools/" + enc(p.id) + "/nodes", all, query);
  }

  private Reply nodeCounts(Map<String, String> query) {
    List<ObjectNode> all = new ArrayList<>();
    for (Pool p : pools.values()) {
      ObjectNode c = json.createObjectNode();
      c.put("poolId", p.id);
      c.set("dedicated", counts(p, false));
      c.set("lowPriority", counts(p, true));
      all.add(c);
    }
    return page("/nodecounts", all, query);
  }

  private ObjectNode counts(Pool p, boolean lowPriority) {
    ObjectNode c = json.createObjectNode();
    for (BatchNodeState s : BatchNodeState.values()) {
      c.put(s.countsKey(), 0);
    }
    int total = 0;
    for (Node n : p.nodes.values()) {
      if (n.lowPriority != lowPriority) continue;
      String k = shownState(n).countsKey();
      c.put(k, c.path(k).asInt() + 1);
      total++;
    }
    c.put("total", total);
    return c;
  }

  /** One page of a list: {@code $filter} first, then {@code $skiptoken}/{@code maxresults}, then {@code $select}. */
  private Reply page(String path, List<ObjectNode> all, Map<String, String> query) {
    List<ObjectNode> items = all;
    String filter = query.get("$filter");
    if (filter != null) {
      Predicate<JsonNode> predicate;
      try {
        predicate = ODataFilter.parse(filter);
      } catch (ODataFilter.SyntaxException e) {
        throw new BatchFailure(400, "InvalidQueryParameterValue", "Value for one of the query parameters specified in the request URI is invalid: " + e.getMessage(),
            Map.of("QueryParameterName", "$filter", "QueryParameterValue", filter));
      }
      items = items.stream().filter(predicate).toList();
    }
    int max = settings.maxPageSize();
    if (query.containsKey("maxresults")) {
      try {
        int asked = Integer.parseInt(query.get("maxresults"));
        if (asked < 1 || asked > 1000) throw new NumberFormatException();
        max = Math.min(max, asked);
      } catch (NumberFormatException e) {
        throw new BatchFailure(400, "InvalidQueryParameterValue", "maxresults must be between 1 and 1000.",
            Map.of("QueryParameterName", "maxresults", "QueryParameterValue", query.get("maxresults")));
      }
    }
    int skip = 0;
    if (query.containsKey("$skiptoken")) {
      try {
        skip = Integer.parseInt(query.get("$skiptoken"));
      } catch (NumberFormatException e) {
        throw new BatchFailure(400, "InvalidQueryParameterValue", "The continuation token is not valid.",
            Map.of("QueryParameterName", "$skiptoken"));
      }
    }
    ObjectNode out = json.createObjectNode();
    ArrayNode value = out.putArray("value");
    int end = Math.min(items.size(), skip + max);
    for (int i = skip; i < end; i++) {
      value.add(select(items.get(i), query));
    }
    if (end < items.size()) {
      Map<String, String> next = new LinkedHashMap<>(query);
      next.put("$skiptoken", Integer.toString(end));
      StringBuilder link = new StringBuilder(url.toString()).append(path).append('?');
      next.forEach((k, v) -> link.append(k).append('=').append(enc(v)).append('&'));
      link.setLength(link.length() - 1);
      out.put("odata.nextLink", link.toString());
    }
    return Reply.json(200, out);
  }

  private ObjectNode select(ObjectNode item, Map<String, String> query) {
    String select = query.get("$select");
    if (select == null || select.isBlank()) return item;
    ObjectNode out = json.createObjectNode();
    for (String name : select.split(",")) {
      String n = name.trim();
      if (item.has(n)) out.set(n, item.get(n));
    }
    return out;
  }

  // ---- state machine -------------------------------------------------------------------------

  private void reconcile() {
    Instant now = settings.clock().instant();
    for (Pool p : List.copyOf(pools.values())) {
      reconcile(p, now);
    }
  }

  private void reconcile(Pool p, Instant now) {
    for (Node n : List.copyOf(p.nodes.values())) {
      Optional<NodeStatus> st = settings.backend().status(p.id, n.id);
      if (st.isEmpty()) p.nodes.remove(n.id);
      else n.status = st.get();
    }
    if (p.state.equals("deleting")) {
      if (p.nodes.isEmpty()) pools.remove(key(p.id));
      return;
    }
    if (p.allocationState.equals("stopping")) {
      finishResize(p, now);
      return;
    }
    if (!p.allocationState.equals("resizing")) return;
    if (!grow(p, false) || !grow(p, true)) {
      finishResize(p, now);
      return;
    }
    shrink(p, false);
    shrink(p, true);
    boolean done = live(p, false) == p.targetDedicated && live(p, true) == p.targetLowPriority
        && p.nodes.values().stream().noneMatch(n -> n.leaving);
    if (done) {
      finishResize(p, now);
    } else if (!now.isBefore(p.resizeStarted.plus(p.resizeTimeout))) {
      resizeError(p, "AllocationTimedout", "Desired number of nodes could not be allocated as the resize timeout was reached");
      finishResize(p, now);
    }
  }

  /** Asks the backend for missing nodes; false when it refused (the resize then ends). */
  private boolean grow(Pool p, boolean lowPriority) {
    int target = lowPriority ? p.targetLowPriority : p.targetDedicated;
    while (live(p, lowPriority) < target) {
      String nodeId = nodeId(p);
      Provisioning result = settings.backend().provision(request(p, nodeId, lowPriority));
      if (result instanceof Provisioning.Allocated) {
        p.nextNodeNumber++;
        addNode(p, nodeId, lowPriority);
      } else if (result instanceof Provisioning.Refused r) {
        resizeError(p, r.code(), r.message());
        return false;
      } else {
        return true; // pending: ask again on the next update
      }
    }
    return true;
  }

  /** Releases surplus nodes, failed ones first, then those still booting, then the newest. */
  private void shrink(Pool p, boolean lowPriority) {
    int target = lowPriority ? p.targetLowPriority : p.targetDedicated;
    int surplus = live(p, lowPriority) - target;
    if (surplus <= 0) return;
    List<Node> candidates = p.nodes.values().stream()
        .filter(n -> !n.leaving && n.lowPriority == lowPriority)
        .sorted(Comparator.comparingInt((Node n) -> shrinkRank(n.status.state()))
            .thenComparing((Node n) -> n.allocationTime, Comparator.reverseOrder()))
        .toList();
    for (int i = 0; i < surplus; i++) {
      release(p, candidates.get(i));
    }
  }

  private static int shrinkRank(BatchNodeState s) {
    return switch (s.toProviderState()) {
      case START_FAILED, UNUSABLE, PREEMPTED -> 0;
      case CREATING, STARTING -> 1;
      default -> 2;
    };
  }

  private void addNode(Pool p, String nodeId, boolean lowPriority) {
    Instant now = settings.clock().instant();
    NodeStatus status = settings.backend().status(p.id, nodeId)
        .orElse(new NodeStatus(BatchNodeState.CREATING, Optional.empty(), now, Optional.empty(), Optional.empty()));
    p.nodes.put(nodeId, new Node(nodeId, lowPriority, now, status));
  }

  private NodeRequest request(Pool p, String nodeId, boolean lowPriority) {
    JsonNode st = p.spec.path("startTask");
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode e : st.path("environmentSettings")) {
      env.put(e.path("name").asText(), e.path("value").asText(""));
    }
    Optional<String> command = st.hasNonNull("commandLine") ? Optional.of(st.get("commandLine").asText()) : Optional.empty();
    return new NodeRequest(p.id, nodeId, lowPriority, p.spec.path("vmSize").asText(), command, env);
  }

  private void release(Pool p, Node n) {
    if (n.leaving) return;
    n.leaving = true;
    settings.backend().release(p.id, n.id);
  }

  private static int live(Pool p, boolean lowPriority) {
    return (int) p.nodes.values().stream().filter(n -> !n.leaving && n.lowPriority == lowPriority).count();
  }

  private void startResize(Pool p, Instant now) {
    p.allocationState = "resizing";
    p.allocationTime = now;
    p.resizeStarted = now;
    p.resizeErrors.clear();
  }

  private void finishResize(Pool p, Instant now) {
    p.allocationState = "steady";
    p.allocationTime = now;
    touch(p);
  }

  private void resizeError(Pool p, String code, String message) {
    ObjectNode e = json.createObjectNode();
    e.put("code", code);
    e.put("message", message);
    p.resizeErrors.add(e);
  }

  private void refuseUnlessSteady(Pool p) {
    if (p.state.equals("deleting")) {
      throw new BatchFailure(409, "PoolBeingDeleted", "The specified pool has been marked for deletion and is being reclaimed.");
    }
    if (!p.allocationState.equals("steady")) {
      throw new BatchFailure(409, "PoolResizeInProgress",
          "The specified pool is currently resizing; wait until its allocation state is steady.",
          Map.of("PoolId", p.id, "AllocationState", p.allocationState));
    }
  }

  private void touch(Pool p) {
    p.version = ++etagCounter;
    p.lastModified = settings.clock().instant();
  }

  // ---- JSON views ----------------------------------------------------------------------------

  private ObjectNode poolJson(Pool p) {
    ObjectNode o = json.createObjectNode();
    o.put("id", p.id);
    o.put("url", poolUrl(p));
    o.put("eTag", etag(p));
    o.put("lastModified", p.lastModified.toString());
    o.put("creationTime", p.created.toString());
    o.put("state", p.state);
    o.put("stateTransitionTime", p.stateTime.toString());
    o.put("allocationState", p.allocationState);
    o.put("allocationStateTransitionTime", p.allocationTime.toString());
    o.put("vmSize", p.spec.path("vmSize").asText());
    o.put("resizeTimeout", p.resizeTimeout.toString());
    if (!p.resizeErrors.isEmpty()) {
      ArrayNode errors = o.putArray("resizeErrors");
      p.resizeErrors.forEach(errors::add);
    }
    o.put("currentDedicatedNodes", (int) p.nodes.values().stream().filter(n -> !n.lowPriority).count());
    o.put("currentLowPriorityNodes", (int) p.nodes.values().stream().filter(n -> n.lowPriority).count());
    o.put("targetDedicatedNodes", p.targetDedicated);
    o.put("targetLowPriorityNodes", p.targetLowPriority);
    o.put("enableAutoScale", p.spec.path("enableAutoScale").asBoolean(false));
    o.put("enableInterNodeCommunication", p.spec.path("enableInterNodeCommunication").asBoolean(false));
    o.put("taskSlotsPerNode", p.spec.path("taskSlotsPerNode").asInt(1));
    Set<String> derived = Set.of("id", "vmSize", "resizeTimeout", "targetDedicatedNodes", "targetLowPriorityNodes",
        "enableAutoScale", "enableInterNodeCommunication", "taskSlotsPerNode");
    p.spec.properties().forEach(e -> {
      if (!derived.contains(e.getKey())) o.set(e.getKey(), e.getValue());
    });
    return o;
  }

  private ObjectNode nodeJson(Pool p, Node n) {
    BatchNodeState state = shownState(n);
    NodeStatus st = n.status;
    ObjectNode o = json.createObjectNode();
    o.put("id", n.id);
    o.put("url", poolUrl(p) + "/nodes/" + enc(n.id));
    o.put("state", state.wireName());
    o.put("schedulingState", "enabled");
    o.put("stateTransitionTime", st.since().toString());
    if (state != BatchNodeState.CREATING) o.put("lastBootTime", n.allocationTime.toString());
    o.put("allocationTime", n.allocationTime.toString());
    st.ipAddress().ifPresent(ip -> o.put("ipAddress", ip));
    o.put("affinityId", "TVM:" + n.id);
    o.put("vmSize", p.spec.path("vmSize").asText());
    o.put("totalTasksRun", 0);
    o.put("runningTasksCount", 0);
    o.put("runningTaskSlotsCount", 0);
    o.put("totalTasksSucceeded", 0);
    o.put("isDedicated", !n.lowPriority);
    JsonNode startTask = p.spec.get("startTask");
    if (startTask != null && startTask.isObject()) {
      o.set("startTask", startTask);
      ObjectNode info = startTaskInfo(n, state);
      if (info != null) o.set("startTaskInfo", info);
    }
    if (state == BatchNodeState.UNUSABLE || (state == BatchNodeState.PREEMPTED && st.failureCode().isPresent())) {
      ObjectNode err = o.putArray("errors").addObject();
      err.put("code", st.failureCode().orElse("NodeUnusable"));
      err.put("message", st.failureMessage().orElse("The node is unusable."));
      err.putArray("errorDetails");
    }
    if (state != BatchNodeState.CREATING) {
      ObjectNode agent = o.putObject("nodeAgentInfo");
      agent.put("version", "1.0.0-emulator");
      agent.put("lastUpdateTime", n.allocationTime.toString());
    }
    return o;
  }

  private ObjectNode startTaskInfo(Node n, BatchNodeState state) {
    NodeStatus st = n.status;
    ObjectNode info = json.createObjectNode();
    switch (state) {
      case WAITING_FOR_START_TASK -> {
        info.put("state", "running");
        info.put("startTime", st.since().toString());
        info.put("retryCount", 0);
      }
      case IDLE, RUNNING -> {
        info.put("state", "completed");
        info.put("startTime", st.since().toString());
        info.put("endTime", st.since().toString());
        info.put("exitCode", 0);
        info.put("retryCount", 0);
        info.put("result", "success");
      }
      case START_TASK_FAILED -> {
        info.put("state", "completed");
        info.put("startTime", st.since().toString());
        info.put("endTime", st.since().toString());
        info.put("exitCode", 1);
        info.put("retryCount", 0);
        info.put("result", "failure");
        ObjectNode failure = info.putObject("failureInfo");
        failure.put("category", "usererror");
        failure.put("code", st.failureCode().orElse("FailureExitCode"));
        failure.put("message", st.failureMessage().orElse("The task exited with an exit code representing a failure"));
      }
      default -> {
        return null;
      }
    }
    return info;
  }

  private static BatchNodeState shownState(Node n) {
    return n.leaving ? BatchNodeState.LEAVING_POOL : n.status.state();
  }

  private String nodeId(Pool p) {
    int h = Math.abs((settings.accountName() + "/" + p.id).hashCode() % 1_000_000_000);
    return "tvm-" + h + "_" + p.nextNodeNumber + "-" + NODE_ID_TIME.format(settings.clock().instant());
  }

  // ---- small helpers -------------------------------------------------------------------------

  private String poolUrl(Pool p) {
    return url + "/pools/" + enc(p.id);
  }

  private static String etag(Pool p) {
    return "0x" + Long.toHexString(p.version).toUpperCase(Locale.ROOT);
  }

  private static String rfc1123(Instant t) {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(t.atOffset(ZoneOffset.UTC));
  }

  private static String key(String poolId) {
    return poolId.toLowerCase(Locale.ROOT); // Batch pool ids are case-insensitive
  }

  private static String requiredText(ObjectNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new BatchFailure(400, "MissingRequiredProperty", "A required property was not specified in the request body.",
          Map.of("PropertyName", field));
    }
    return v.asText();
  }

  private static int nonNegative(ObjectNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) return 0;
    if (!v.isInt() || v.asInt() < 0) throw invalidProperty(field, v.asText(), "The value must be a non-negative integer.");
    return v.asInt();
  }

  private static Duration resizeTimeout(ObjectNode body) {
    JsonNode v = body.get("resizeTimeout");
    if (v == null || v.isNull()) return DEFAULT_RESIZE_TIMEOUT;
    Duration d;
    try {
      d = Duration.parse(v.asText());
    } catch (DateTimeParseException e) {
      throw invalidProperty("resizeTimeout", v.asText(), "The value is not an ISO 8601 duration.");
    }
    if (d.compareTo(MIN_RESIZE_TIMEOUT) < 0) {
      throw invalidProperty("resizeTimeout", v.asText(), "The resize timeout must be at least 5 minutes.");
    }
    return d;
  }

  private static BatchFailure invalidProperty(String name, String value, String reason) {
    return new BatchFailure(400, "InvalidPropertyValue", "The value provided for one of the properties in the request body is invalid. " + reason,
        Map.of("PropertyName", name, "PropertyValue", value));
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw == null || raw.isEmpty()) return q;
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      q.put(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
    }
    return q;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
