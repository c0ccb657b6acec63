package dev.slipway.cli.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.slipway.engine.JoinRequest;
import dev.slipway.engine.JoinResponse;
import dev.slipway.engine.JoinResult;
import dev.slipway.engine.JoinResult.Rejection;
import dev.slipway.engine.JoinService;
import dev.slipway.model.Secret;
import dev.slipway.tls.DaemonIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's HTTPS endpoints (JDK HttpsServer with the cluster's {@link DaemonIdentity}; clients
 * pin its public key, docs/join-protocol.md "Transport"): {@code POST /v1/join} (docs/join-protocol.md), {@code POST /v1/wake}, {@code GET /healthz} and
 * {@code GET /metrics}. Standbys serve them too: a join on a standby works (the join service is a
 * compare-and-set on the shared store) and wakes the standby's loop, which does nothing; the
 * leader notices the claim in its next periodic pass.
 *
 * <p>Requests are small and answered from memory or one store transaction, so a handful of
 * threads is enough; bodies are capped at {@value #MAX_BODY} bytes.
 */
public final class DaemonServer implements AutoCloseable {
  static final int MAX_BODY = 8192;
  /** slurmctld's default port, added to controllers given without one. */
  static final int SLURMCTLD_PORT = 6817;
  private static final Logger log = LoggerFactory.getLogger(DaemonServer.class);
  private static final Set<String> JOIN_FIELDS = Set.of("cluster_id", "pool_id", "node_id", "token");

  private final HttpsServer server;
  private final ExecutorService executor;
  private final JoinService joins;
  private final Daemon daemon;
  private final DaemonMetrics metrics;
  private final Set<String> knownPools;

  private DaemonServer(HttpsServer server, JoinService joins, Daemon daemon, DaemonMetrics metrics, Set<String> knownPools) {
    this.server = server;
    this.joins = joins;
    this.daemon = daemon;
    this.metrics = metrics;
    this.knownPools = Set.copyOf(knownPools);
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "slipway-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/v1/join", this::join);
    server.createContext("/v1/wake", this::wake);
    server.createContext("/healthz", this::health);
    server.createContext("/metrics", this::metrics);
  }

  /**
   * Binds {@code address:port} (port 0: any free port) and starts serving TLS with {@code identity}.
   * There is no plain-HTTP mode: the join answer carries the munge key.
   */
  public static DaemonServer start(InetAddress address, int port, DaemonIdentity identity, JoinService joins, Daemon daemon,
      DaemonMetrics metrics, Set<String> knownPools) throws IOException {
    HttpsServer server = HttpsServer.create(new InetSocketAddress(address, port), 64);
    server.setHttpsConfigurator(new HttpsConfigurator(identity.serverContext()));
    DaemonServer s = new DaemonServer(server, Objects.requireNonNull(joins), Objects.requireNonNull(daemon), metrics, knownPools);
    server.start();
    return s;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void join(HttpExchange ex) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("POST")) {
        reply(ex, 405, "error=METHOD_NOT_ALLOWED use POST\n");
        return;
      }
      Map<String, String> form;
      try {
        form = parseForm(ex.getRequestBody());
      } catch (IllegalArgumentException e) {
        reply(ex, 400, "error=BAD_REQUEST " + oneLine(e.getMessage()) + "\n");
        return;
      }
      for (String field : List.of("cluster_id", "pool_id", "node_id", "token")) {
        if (form.getOrDefault(field, "").isEmpty()) {
          reply(ex, 400, "error=BAD_REQUEST missing form field " + field + "\n");
          return;
        }
      }
      String source = ex.getRemoteAddress().getAddress().getHostAddress();
      if (!daemon.isLeader()) {
        // Only the leader's provider is sure to know a node it just created (the netns provider's
        // view lives in the process that made the nodes); 503 sends the node on to the next daemon.
        metrics.join(knownPools.contains(form.get("pool_id")) ? form.get("pool_id") : "unknown", "standby");
        reply(ex, 503, "error=STANDBY this daemon does not lead; try the next one\n");
        return;
      }
      // curl's --data-urlencode token@file keeps the file's trailing newline.
      Secret token = Secret.of(form.get("token").strip());
      JoinRequest request = new JoinRequest(form.get("cluster_id"), form.get("pool_id"), form.get("node_id"), token, source);
      JoinResult result = joins.join(request);
      String poolTag = knownPools.contains(request.poolId()) ? request.poolId() : "unknown";
      if (result instanceof JoinResult.Accepted a) {
        metrics.join(poolTag, "accepted");
        log.info("join: node {} of pool {} at {} is host {}", request.nodeId(), request.poolId(), source, a.response().host());
        reply(ex, 200, body(a.response()));
        daemon.wake();
      } else {
        JoinResult.Rejected r = (JoinResult.Rejected) result;
        metrics.join(poolTag, r.reason().name());
        log.warn("join refused: node {} of pool {} at {}: {} {}", oneLine(request.nodeId()), oneLine(request.poolId()), source,
            r.reason(), r.message());
        reply(ex, status(r.reason()), "error=" + r.reason() + " " + oneLine(r.message()) + "\n");
      }
    } catch (RuntimeException e) {
      log.warn("join failed: {}", e.toString());
      reply(ex, 503, "error=UNAVAILABLE " + oneLine(e.getClass().getSimpleName() + ": " + e.getMessage()) + "\n");
    }
  }

  static int status(Rejection r) {
    switch (r) {
      case BAD_TOKEN: case WRONG_CLUSTER: case ADDRESS_MISMATCH: case NODE_RELEASED: return 403;
      case UNKNOWN_POOL: case UNKNOWN_NODE: return 404;
      case NO_HOST_WAITING: return 409;
      default: return 503;
    }
  }

  /** The 200 body: one key=value per line (docs/join-protocol.md). */
  static String body(JoinResponse r) {
    StringBuilder b = new StringBuilder();
    b.append("host=").append(oneLine(r.host())).append('\n');
    b.append("controllers=").append(String.join(",", r.controllers().stream().map(DaemonServer::withoutPort).toList())).append('\n');
    b.append("conf_server=").append(String.join(",", r.controllers().stream().map(DaemonServer::withPort).toList())).append('\n');
    b.append("munge_key=").append(r.mungeKey().reveal()).append('\n');
    // Before the mount lines, which may name these files (a cifs credentials= option).
    r.secretFiles().forEach((name, content) -> b.append("secret_file=").append(name).append(' ')
        .append(Base64.getEncoder().encodeToString(content.reveal().getBytes(StandardCharsets.UTF_8))).append('\n'));
    r.mounts().forEach(m -> b.append("mount=").append(oneLine(m)).append('\n'));
    // Epoch seconds with nine decimals: what `date +%s.%N` prints, so sh and awk compare it as is.
    r.resumeRequestedAt().ifPresent(t -> b.append("resume_requested_at=").append(t.getEpochSecond()).append('.')
        .append(String.format("%09d", t.getNano())).append('\n'));
    return b.toString();
  }

  private static String withoutPort(String controller) {
    int colon = controller.lastIndexOf(':');
    return colon < 0 ? controller : controller.substring(0, colon);
  }

  private static String withPort(String controller) {
    return controller.lastIndexOf(':') < 0 ? controller + ":" + SLURMCTLD_PORT : controller;
  }

  private void wake(HttpExchange ex) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("POST")) {
        reply(ex, 405, "use POST\n");
        return;
      }
      ex.getRequestBody().readNBytes(MAX_BODY);
      daemon.wake();
      ex.sendResponseHeaders(204, -1);
    }
  }

  private void health(HttpExchange ex) throws IOException {
    try (ex) {
      Daemon.Health h = daemon.health();
      String role = h.leader() ? "leader" : "standby";
      String last = h.leader()
          ? "last_pass=" + h.lastPass().map(Object::toString).orElse("never")
          : "last_store_contact=" + h.lastStoreContact().map(Object::toString).orElse("never");
      if (h.healthy()) {
        reply(ex, 200, "ok " + role + " " + last + "\n");
      } else {
        reply(ex, 503, "unhealthy " + role + " " + last + (h.detail().isEmpty() ? "" : " " + oneLine(h.detail())) + "\n");
      }
    }
  }

  private void metrics(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  static Map<String, String> parseForm(InputStream in) throws IOException {
    byte[] raw = in.readNBytes(MAX_BODY + 1);
    if (raw.length > MAX_BODY) {
      throw new IllegalArgumentException("body longer than " + MAX_BODY + " bytes");
    }
    Map<String, String> form = new HashMap<>();
    String text = new String(raw, StandardCharsets.US_ASCII);
    for (String pair : text.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (JOIN_FIELDS.contains(key) && form.put(key, value) != null) {
        throw new IllegalArgumentException("form field " + key + " given twice");
      }
    }
    return form;
  }

  private static void reply(HttpExchange ex, int status, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private static String oneLine(String s) {
    return String.valueOf(s).replaceAll("[\\r\\n]+", " ");
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
