package dev.slipway.azure.arm;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A fake Azure Resource Manager on loopback HTTPS (the SDK's bearer-token policy refuses plain
 * HTTP), faithful to the parts of ARM's REST contract the provisioner uses:
 * <ul>
 *   <li>every request needs {@code api-version} (400 MissingApiVersionParameter otherwise);</li>
 *   <li>GET of a missing resource is 404 with an ARM error body; a resource in a missing group
 *       is 404 ResourceGroupNotFound;</li>
 *   <li>PUT of a resource group and of a role assignment answers at once (201); other PUTs are
 *       long-running: 201 with {@code Azure-AsyncOperation}, whose status is InProgress on the
 *       first poll and then Succeeded (or Failed, when a failure was injected), after which the
 *       SDK GETs the resource;</li>
 *   <li>DELETE is 202 with {@code Location} (202 once more, then 200), or 204 when there is
 *       nothing to delete; deleting a group deletes what is in it;</li>
 *   <li>VM {@code deallocate} and {@code start} are long-running POSTs; {@code instanceView}
 *       reports {@code PowerState/...};</li>
 *   <li>{@code GET .../resourceGroups/{rg}/resources?$filter=tagName eq 'k' and tagValue eq 'v'}
 *       lists by tag.</li>
 * </ul>
 * Every request is recorded (method, path, body) so tests check bodies and order.
 */
final class FakeArm implements AutoCloseable {
  /** One request as the server saw it. */
  record Request(String method, String path, Map<String, String> query, String body) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern FILTER = Pattern.compile("tagName eq '([^']*)' and tagValue eq '([^']*)'");

  private final HttpsServer server;
  private final SSLContext clientContext;
  private final Map<String, Map<String, Object>> resources = new LinkedHashMap<>();
  private final Map<String, Operation> operations = new LinkedHashMap<>();
  private final List<Request> requests = new ArrayList<>();
  private final List<Predicate<String>> failingPuts = new ArrayList<>();

  private static final class Operation {
    int polls;
    boolean fail;
    boolean location;
    Runnable onDone = () -> {};
    boolean done;
  }

  private FakeArm(HttpsServer server, SSLContext clientContext) {
    this.server = server;
    this.clientContext = clientContext;
  }

  /** Starts on a random loopback port with a self-signed certificate made by the JDK's keytool in {@code dir}. */
  static FakeArm start(Path dir) throws Exception {
    Path ks = dir.resolve("fake-arm.p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
        "-alias", "arm", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1",
        "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    SSLContext serverContext = SSLContext.getInstance("TLS");
    serverContext.init(kmf.getKeyManagers(), null, null);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext clientContext = SSLContext.getInstance("TLS");
    clientContext.init(null, tmf.getTrustManagers(), null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(serverContext));
    FakeArm arm = new FakeArm(server, clientContext);
    server.createContext("/", arm::handle);
    server.start();
    return arm;
  }

  URI endpoint() {
    return URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  /** An azure-core HTTP client that trusts this server's certificate. */
  HttpClient httpClient() {
    return new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(clientContext)).build();
  }

  synchronized List<Request> requests() {
    return List.copyOf(requests);
  }

  synchronized void clearRequests() {
    requests.clear();
  }

  /** The next PUT whose id matches ends its long-running operation Failed (once). */
  synchronized void failNextPut(Predicate<String> id) {
    failingPuts.add(id);
  }

  /** Puts a resource straight into the store, as if someone else had made it. */
  synchronized void seed(String id, Map<String, Object> resource) {
    Map<String, Object> r = new LinkedHashMap<>(resource);
    r.put("id", id);
    resources.put(id.toLowerCase(Locale.ROOT), r);
  }

  synchronized boolean has(String id) {
    return resources.containsKey(id.toLowerCase(Locale.ROOT));
  }

  @SuppressWarnings("unchecked")
  synchronized Map<String, Object> resource(String id) {
    return (Map<String, Object>) resources.get(id.toLowerCase(Locale.ROOT));
  }

  @Override
  public void close() {
    server.stop(0);
  }

  // ------------------------------------------------------------------ HTTP

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String method = ex.getRequestMethod();
      String path = ex.getRequestURI().getRawPath();
      Map<String, String> query = query(ex.getRequestURI().getRawQuery());
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Answer a;
      synchronized (this) {
        requests.add(new Request(method, path, query, body));
        a = answer(method, URLDecoder.decode(path, StandardCharsets.UTF_8), query, body);
      }
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.getResponseHeaders().add("x-ms-request-id", UUID.randomUUID().toString());
      a.headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
      byte[] bytes = a.body == null ? new byte[0] : JSON.writeValueAsBytes(a.body);
      ex.sendResponseHeaders(a.status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream o = ex.getResponseBody()) {
          o.write(bytes);
        }
      }
    } catch (RuntimeException e) {
      e.printStackTrace();
      throw e;
    }
  }

  private record Answer(int status, Object body, Map<String, String> headers) {
    static Answer of(int status, Object body) {
      return new Answer(status, body, Map.of());
    }
  }

  private static Answer error(int status, String code, String message) {
    return Answer.of(status, Map.of("error", Map.of("code", code, "message", message)));
  }

  private Answer answer(String method, String path, Map<String, String> query, String body) throws IOException {
    if (path.startsWith("/fakeops/")) {
      return operation(path.substring("/fakeops/".length()));
    }
    if (!query.containsKey("api-version")) {
      return error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    }
    String lower = path.toLowerCase(Locale.ROOT);
    Matcher list = Pattern.compile("(/subscriptions/[^/]+/resourcegroups/[^/]+)/resources").matcher(lower);
    if (method.equals("GET") && list.matches()) {
      return listByTag(list.group(1), query.get("$filter"));
    }
    if (lower.endsWith("/instanceview") && method.equals("GET")) {
      String vmId = lower.substring(0, lower.length() - "/instanceview".length());
      Map<String, Object> vm = resources.get(vmId);
      if (vm == null) {
        return error(404, "ResourceNotFound", "The Resource was not found.");
      }
      return Answer.of(200, Map.of("statuses", List.of(Map.of("code", "ProvisioningState/succeeded"),
          Map.of("code", "PowerState/" + vm.getOrDefault("_power", "running")))));
    }
    if (method.equals("POST") && (lower.endsWith("/deallocate") || lower.endsWith("/start"))) {
      String vmId = lower.substring(0, lower.lastIndexOf('/'));
      Map<String, Object> vm = resources.get(vmId);
      if (vm == null) {
        return error(404, "ResourceNotFound", "The Resource was not found.");
      }
      String power = lower.endsWith("/start") ? "running" : "deallocated";
      return asyncOperation(202, null, () -> vm.put("_power", power), false);
    }
    String rgOfPath = resourceGroupOf(lower);
    boolean isGroup = lower.equals(rgOfPath);
    boolean isRoleAssignment = lower.contains("/providers/microsoft.authorization/roleassignments/");
    switch (method) {
      case "GET": {
        Map<String, Object> r = resources.get(lower);
        if (r == null) {
          if (!isGroup && rgOfPath != null && !resources.containsKey(rgOfPath) && !isRoleAssignment) {
            return error(404, "ResourceGroupNotFound", "Resource group '" + last(rgOfPath) + "' could not be found.");
          }
          return error(404, isGroup ? "ResourceGroupNotFound" : "ResourceNotFound", "The Resource '" + path + "' was not found.");
        }
        return Answer.of(200, visible(r));
      }
      case "PUT":
        return put(path, lower, body, isGroup, isRoleAssignment, rgOfPath);
      case "DELETE": {
        Map<String, Object> r = resources.get(lower);
        if (r == null) {
          return Answer.of(204, null);
        }
        if (isRoleAssignment) {
          resources.remove(lower);
          return Answer.of(200, visible(r));
        }
        return asyncOperation(202, null, () -> {
          resources.remove(lower);
          if (isGroup) {
            resources.keySet().removeIf(k -> k.startsWith(lower + "/"));
          }
        }, true);
      }
      default:
        return error(405, "MethodNotAllowed", method);
    }
  }

  @SuppressWarnings("unchecked")
  private Answer put(String path, String lower, String body, boolean isGroup, boolean isRoleAssignment, String rg) throws IOException {
    Map<String, Object> in = JSON.readValue(body, Map.class);
    if (!isGroup && !isRoleAssignment && rg != null && !resources.containsKey(rg)) {
      return error(404, "ResourceGroupNotFound", "Resource group '" + last(rg) + "' could not be found.");
    }
    Map<String, Object> previous = resources.get(lower);
    Map<String, Object> r = new LinkedHashMap<>(in);
    r.put("id", path);
    r.put("name", last(path));
    r.put("type", typeOf(path));
    Map<String, Object> props = new LinkedHashMap<>((Map<String, Object>) in.getOrDefault("properties", Map.of()));
    r.put("properties", props);
    if (in.get("identity") instanceof Map<?, ?> id && "SystemAssigned".equals(id.get("type"))) {
      Object principal = previous != null && previous.get("identity") instanceof Map<?, ?> pid ? pid.get("principalId") : null;
      r.put("identity", Map.of("type", "SystemAssigned", "principalId", principal != null ? principal : UUID.randomUUID().toString(),
          "tenantId", "00000000-0000-0000-0000-0000000000aa"));
    }
    if (lower.contains("/providers/microsoft.network/networkinterfaces/")) {
      List<Map<String, Object>> configs = (List<Map<String, Object>>) props.getOrDefault("ipConfigurations", List.of());
      for (Map<String, Object> c : configs) {
        ((Map<String, Object>) c.get("properties")).put("privateIPAddress", "10.40.1." + (4 + resources.size() % 200));
      }
    }
    if (lower.contains("/providers/microsoft.network/publicipaddresses/")) {
      props.put("ipAddress", "198.51.100." + (10 + resources.size() % 200));
    }
    if (isGroup || isRoleAssignment) {
      props.put("provisioningState", "Succeeded");
      resources.put(lower, r);
      return Answer.of(previous == null ? 201 : 200, visible(r));
    }
    boolean fail = failingPuts.stream().anyMatch(p -> p.test(path));
    failingPuts.removeIf(p -> p.test(path));
    props.put("provisioningState", previous == null ? "Creating" : "Updating");
    resources.put(lower, r);
    return asyncOperation(previous == null ? 201 : 200, visible(r), () -> props.put("provisioningState", fail ? "Failed" : "Succeeded"), false, fail);
  }

  private Answer asyncOperation(int status, Object body, Runnable onDone, boolean locationHeader) {
    return asyncOperation(status, body, onDone, locationHeader, false);
  }

  private Answer asyncOperation(int status, Object body, Runnable onDone, boolean locationHeader, boolean fail) {
    String opId = UUID.randomUUID().toString();
    Operation op = new Operation();
    op.onDone = onDone;
    op.fail = fail;
    op.location = locationHeader;
    operations.put(opId, op);
    String url = endpoint() + "fakeops/" + opId + "?api-version=2024-07-01";
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(locationHeader ? "Location" : "Azure-AsyncOperation", url);
    headers.put("Retry-After", "0");
    return new Answer(status, body, headers);
  }

  private Answer operation(String opId) {
    Operation op = operations.get(opId);
    if (op == null) {
      return error(404, "NotFound", "no operation " + opId);
    }
    op.polls++;
    if (op.polls < 2) {
      // A Location URL answers 202 while the operation runs; an Azure-AsyncOperation URL a status document.
      return op.location ? new Answer(202, null, Map.of("Retry-After", "0")) : new Answer(200, Map.of("status", "InProgress"), Map.of("Retry-After", "0"));
    }
    if (!op.done) {
      op.done = true;
      op.onDone.run();
    }
    if (op.location) {
      return Answer.of(200, null);
    }
    if (op.fail) {
      return Answer.of(200, Map.of("status", "Failed", "error", Map.of("code", "AllocationFailed",
          "message", "Allocation failed. We do not have sufficient capacity for the requested VM size in this region.")));
    }
    return Answer.of(200, Map.of("status", "Succeeded"));
  }

  private Answer listByTag(String rg, String filter) {
    if (!resources.containsKey(rg)) {
      return error(404, "ResourceGroupNotFound", "Resource group '" + last(rg) + "' could not be found.");
    }
    Matcher m = filter == null ? null : FILTER.matcher(filter);
    List<Object> value = new ArrayList<>();
    for (Map.Entry<String, Map<String, Object>> e : resources.entrySet()) {
      if (!e.getKey().startsWith(rg + "/providers/") || e.getKey().contains("/subnets/")) {
        continue;
      }
      Object tags = e.getValue().get("tags");
      if (m != null && m.matches()) {
        if (!(tags instanceof Map<?, ?> t) || !m.group(2).equals(t.get(m.group(1)))) {
          continue;
        }
      }
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("id", e.getValue().get("id"));
      item.put("name", e.getValue().get("name"));
      item.put("type", e.getValue().get("type"));
      item.put("location", e.getValue().get("location"));
      if (tags != null) {
        item.put("tags", tags);
      }
      value.add(item);
    }
    return Answer.of(200, Map.of("value", value));
  }

  private static Map<String, Object> visible(Map<String, Object> r) {
    Map<String, Object> out = new LinkedHashMap<>(r);
    out.keySet().removeIf(k -> k.startsWith("_"));
    return out;
  }

  /** {@code /subscriptions/s/resourcegroups/rg} of a path, or null. */
  private static String resourceGroupOf(String lower) {
    Matcher m = Pattern.compile("(/subscriptions/[^/]+/resourcegroups/[^/]+)(/.*)?").matcher(lower);
    return m.matches() ? m.group(1) : null;
  }

  private static String typeOf(String path) {
    String[] parts = path.split("/");
    int p = -1;
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].equalsIgnoreCase("providers")) {
        p = i;
      }
    }
    if (p < 0) {
      return "Microsoft.Resources/resourceGroups";
    }
    StringBuilder b = new StringBuilder(parts[p + 1]);
    for (int i = p + 2; i < parts.length; i += 2) {
      b.append('/').append(parts[i]);
    }
    return b.toString();
  }

  private static String last(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null) {
      return q;
    }
    for (String kv : raw.split("&")) {
      int i = kv.indexOf('=');
      String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
      String v = i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8);
      q.put(k, v);
    }
    return q;
  }
}
