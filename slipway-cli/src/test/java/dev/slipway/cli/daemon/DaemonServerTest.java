package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.EngineTimings;
import dev.slipway.engine.JoinResponse;
import dev.slipway.engine.JoinService;
import dev.slipway.engine.JoinSettings;
import dev.slipway.engine.PoolTopology;
import dev.slipway.engine.Reconciler;
import dev.slipway.model.NodeType;
import dev.slipway.model.Secret;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import dev.slipway.spi.StoreUnavailableException;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.FakeSlurm;
import dev.slipway.testkit.InMemoryStateStore;
import dev.slipway.tls.DaemonIdentity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.InstantSource;
import javax.net.ssl.SSLHandshakeException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DaemonServerTest {
  private static final String TOKEN = "s3cret-token";
  private static final String MUNGE = "bXVuZ2Uta2V5LWJ5dGVz";

  private final FakeClock clock = new FakeClock();
  private final InMemoryStateStore store = new InMemoryStateStore();
  private final StaticProvider provider = new StaticProvider("gpu");
  private final FakeSlurm slurm = new FakeSlurm();
  private final ClusterTopology topology = new ClusterTopology(List.of(PoolTopology.of("gpu", "gpu", 4, NodeType.DEDICATED, "p", 0, 0)));
  private final DaemonMetrics metrics = new DaemonMetrics();
  /** One key for the class: generating one per test would only cost time. */
  private static final DaemonIdentity IDENTITY = DaemonIdentity.generate("c1", new SecureRandom(), InstantSource.system());
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .sslContext(DaemonIdentity.pinnedClientContext(IDENTITY.pin())).build();
  private Daemon daemon;
  private DaemonServer server;
  private String base;

  @BeforeEach
  void start() throws IOException {
    slurm.addCloudNodes("p", topology.hosts());
    daemon = Daemon.builder(store, "d1",
            leading -> new Reconciler(store, provider, new SlurmControlPort(slurm), topology.pools(), EngineTimings.DEFAULTS, clock,
                EventSink.NONE, metrics, leading))
        .clock(clock).metrics(metrics).build();
    JoinSettings settings = new JoinSettings("c1", Map.of("gpu", Secret.of(TOKEN)), List.of("ctl-0", "ctl-1:7817"), Secret.of(MUNGE),
        List.of("nfs:/export /shared nfs rw"), Map.of("azfile", Secret.of("username=a\npassword=k\n")));
    JoinService joins = new JoinService(store, provider, settings, clock, EventSink.NONE);
    server = DaemonServer.start(InetAddress.getLoopbackAddress(), 0, IDENTITY, joins, daemon, metrics, Set.of("gpu"));
    base = "https://127.0.0.1:" + server.address().getPort();
    daemon.tick(); // lead: only the leader serves joins
  }

  @AfterEach
  void stop() {
    server.close();
    daemon.close();
  }

  private void hostWaits(String host) {
    HostIntent i = store.recordIntents(List.of(new IntentRequest(host, "gpu", Intent.UP, IntentSource.RESUME, List.of())), clock.instant()).get(0);
    store.putBinding(new HostBinding(host, "gpu", BindingPhase.REQUESTED, Optional.empty(), Optional.empty(), i.seq(), clock.instant(),
        Optional.empty(), 0));
  }

  private void node(String id, String address, ProviderNodeState state) {
    provider.add(new ProviderNode(id, "gpu", state, false, Optional.of(address), clock.instant(), Optional.empty()));
  }

  private HttpResponse<String> join(Map<String, String> form) throws Exception {
    String body = form.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    return http.send(HttpRequest.newBuilder(URI.create(base + "/v1/join")).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Map<String, String> form(String cluster, String pool, String node, String token) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("cluster_id", cluster);
    f.put("pool_id", pool);
    f.put("node_id", node);
    f.put("token", token);
    return f;
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void join_accepted_answersKeyValueLinesWithHostControllersMungeKeySecretFilesMountsAndResumeTime() throws Exception {
    java.time.Instant resumed = clock.instant();
    hostWaits("gpu-2");
    node("n1", "127.0.0.1", ProviderNodeState.READY);

    HttpResponse<String> r = join(form("c1", "gpu", "n1", TOKEN + "\n"));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).contains("text/plain; charset=utf-8");
    assertThat(r.body().lines()).containsExactly("host=gpu-2", "controllers=ctl-0,ctl-1", "conf_server=ctl-0:6817,ctl-1:7817",
        "munge_key=" + MUNGE, "secret_file=azfile " + java.util.Base64.getEncoder().encodeToString("username=a\npassword=k\n".getBytes()),
        "mount=nfs:/export /shared nfs rw",
        "resume_requested_at=" + resumed.getEpochSecond() + "." + String.format("%09d", resumed.getNano()));
    assertThat(store.binding("gpu-2").orElseThrow().phase()).isEqualTo(BindingPhase.JOINED);
    assertThat(store.binding("gpu-2").orElseThrow().address()).contains("127.0.0.1");
  }

  @Test
  void joinBody_writesTheResumeTimeAsEpochSecondsWithNineDecimals_andLeavesItOutWhenUnknown() {
    JoinResponse with = new JoinResponse("gpu-2", List.of("ctl-0"), dev.slipway.model.Secret.of("k"), List.of(),
        java.util.Optional.of(java.time.Instant.ofEpochSecond(1764190000L, 5_000_000)));
    JoinResponse without = new JoinResponse("gpu-2", List.of("ctl-0"), dev.slipway.model.Secret.of("k"), List.of());

    assertThat(DaemonServer.body(with).lines()).contains("resume_requested_at=1764190000.005000000");
    assertThat(DaemonServer.body(without)).doesNotContain("resume_requested_at");
  }

  @Test
  void join_atAStandby_is503SoTheNodeTriesTheNextDaemon_andClaimsNothing() throws Exception {
    hostWaits("gpu-2");
    node("n1", "127.0.0.1", ProviderNodeState.READY);
    store.acquireLease(LeaderLease.NAME, "d1", Duration.ofSeconds(15), clock.instant());
    store.releaseLease(LeaderLease.NAME, "d1");
    store.acquireLease(LeaderLease.NAME, "other", Duration.ofSeconds(15), clock.instant());
    clock.advance(Duration.ofSeconds(5));
    daemon.tick();
    assertThat(daemon.isLeader()).isFalse();

    HttpResponse<String> r = join(form("c1", "gpu", "n1", TOKEN));

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).startsWith("error=STANDBY ");
    assertThat(store.binding("gpu-2").orElseThrow().phase()).isEqualTo(BindingPhase.REQUESTED);
  }

  @Test
  void join_repeatedByTheSameNode_getsTheSameHost() throws Exception {
    hostWaits("gpu-0");
    hostWaits("gpu-1");
    node("n1", "127.0.0.1", ProviderNodeState.READY);

    String first = join(form("c1", "gpu", "n1", TOKEN)).body();
    String again = join(form("c1", "gpu", "n1", TOKEN)).body();

    assertThat(first).startsWith("host=gpu-0\n");
    assertThat(again).isEqualTo(first);
  }

  @Test
  void join_refusals_mapToTheDocumentedStatusesWithOneErrorLine() throws Exception {
    node("n1", "127.0.0.1", ProviderNodeState.READY);
    node("far", "10.9.9.9", ProviderNodeState.READY);
    node("leaving", "127.0.0.1", ProviderNodeState.LEAVING);

    assertRefused(join(form("c1", "gpu", "n1", "wrong")), 403, "BAD_TOKEN");
    assertRefused(join(form("other", "gpu", "n1", TOKEN)), 403, "WRONG_CLUSTER");
    assertRefused(join(form("c1", "gpu", "far", TOKEN)), 403, "ADDRESS_MISMATCH");
    assertRefused(join(form("c1", "gpu", "leaving", TOKEN)), 403, "NODE_RELEASED");
    assertRefused(join(form("c1", "cpu", "n1", TOKEN)), 404, "UNKNOWN_POOL");
    assertRefused(join(form("c1", "gpu", "ghost", TOKEN)), 404, "UNKNOWN_NODE");
    assertRefused(join(form("c1", "gpu", "n1", TOKEN)), 409, "NO_HOST_WAITING");
    provider.failure = new IllegalStateException("pool API down");
    assertRefused(join(form("c1", "gpu", "n1", TOKEN)), 503, "UNAVAILABLE");
  }

  private static void assertRefused(HttpResponse<String> r, int status, String rejection) {
    assertThat(r.statusCode()).as(rejection).isEqualTo(status);
    assertThat(r.body()).startsWith("error=" + rejection + " ").endsWith("\n");
    assertThat(r.body().lines()).hasSize(1);
    assertThat(r.body()).doesNotContain(TOKEN);
  }

  @Test
  void join_badRequests_areRefusedWith400Or405() throws Exception {
    Map<String, String> missing = form("c1", "gpu", "n1", TOKEN);
    missing.remove("node_id");

    assertThat(join(missing).statusCode()).isEqualTo(400);
    assertThat(join(missing).body()).startsWith("error=BAD_REQUEST missing form field node_id");
    assertThat(get("/v1/join").statusCode()).isEqualTo(405);
    HttpResponse<String> malformed = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/join"))
        .POST(HttpRequest.BodyPublishers.ofString("cluster_id=%zz")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(malformed.statusCode()).isEqualTo(400);
  }

  @Test
  void wake_answers204AndMakesTheNextTickPass() throws Exception {
    daemon.tick();
    String passesBefore = metricLine(metrics.scrape(), "slipway_passes_total{outcome=\"ok\"}");
    clock.advance(Duration.ofSeconds(1));
    daemon.tick();
    assertThat(metricLine(metrics.scrape(), "slipway_passes_total{outcome=\"ok\"}")).as("nothing changed, no period yet").isEqualTo(passesBefore);

    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/wake")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    daemon.tick();

    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(r.body()).isEmpty();
    assertThat(metricLine(metrics.scrape(), "slipway_passes_total{outcome=\"ok\"}")).endsWith(" 2.0");
  }

  @Test
  void healthz_isOkForAFreshLeaderAnd503WhenTheLastPassIsOlderThanThreePeriods() throws Exception {
    daemon.tick();

    HttpResponse<String> ok = get("/healthz");
    clock.advance(Duration.ofSeconds(31));
    HttpResponse<String> stale = get("/healthz");

    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).startsWith("ok leader last_pass=" + clock.instant().minusSeconds(31));
    assertThat(stale.statusCode()).isEqualTo(503);
    assertThat(stale.body()).startsWith("unhealthy leader");
  }

  @Test
  void everyEndpoint_isServedOverTlsWithTheClustersKey() throws Exception {
    hostWaits("gpu-1");
    node("n1", "127.0.0.1", ProviderNodeState.READY);

    assertThat(join(form("c1", "gpu", "n1", TOKEN)).statusCode()).isEqualTo(200);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(get("/metrics").statusCode()).isEqualTo(200);
    assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/wake")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(204);
  }

  @Test
  void aClientPinningAnotherKey_isRefusedBeforeItSendsAnything() throws Exception {
    hostWaits("gpu-1");
    node("n1", "127.0.0.1", ProviderNodeState.READY);
    String otherPin = DaemonIdentity.generate("c1", new SecureRandom(), InstantSource.system()).pin();
    HttpClient wrong = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .sslContext(DaemonIdentity.pinnedClientContext(otherPin)).build();

    assertThatThrownBy(() -> wrong.send(HttpRequest.newBuilder(URI.create(base + "/v1/join"))
            .POST(HttpRequest.BodyPublishers.ofString("cluster_id=c1&pool_id=gpu&node_id=n1&token=" + TOKEN)).build(),
        HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(SSLHandshakeException.class).hasMessageContaining(IDENTITY.pin());
    assertThat(join(form("c1", "gpu", "n1", TOKEN)).statusCode()).as("the host still waits for the right node").isEqualTo(200);
  }

  @Test
  void aClientTrustingTheUsualCertificateAuthorities_isRefused_andPlainHttpGetsNoAnswer() {
    HttpClient defaults = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    assertThatThrownBy(() -> defaults.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(SSLHandshakeException.class);
    assertThatThrownBy(() -> defaults.send(HttpRequest.newBuilder(URI.create(base.replace("https:", "http:") + "/healthz"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
  }

  @Test
  void healthz_is503WhenTheStoreIsUnreachable() throws Exception {
    InMemoryStateStore broken = new InMemoryStateStore();
    Daemon cut = Daemon.builder(FailingStore.cutOff(broken, () -> true), "d2",
            leading -> new Reconciler(broken, provider, new SlurmControlPort(slurm), topology.pools(), EngineTimings.DEFAULTS, clock,
                EventSink.NONE, metrics, leading))
        .clock(clock).metrics(metrics).build();
    JoinService joins = new JoinService(store, provider, new JoinSettings("c1", Map.of(), List.of(), Secret.of(MUNGE), List.of()), clock,
        EventSink.NONE);
    try (DaemonServer s = DaemonServer.start(InetAddress.getLoopbackAddress(), 0, IDENTITY, joins, cut, metrics, Set.of())) {
      cut.tick();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + s.address().getPort() + "/healthz")).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).startsWith("unhealthy standby").contains("StoreUnavailableException");
    }
  }

  @Test
  void metrics_exportsPrometheusTextWithLeaderPassesJoinsProviderCallsAndHostsByPhase() throws Exception {
    hostWaits("gpu-1");
    node("n1", "127.0.0.1", ProviderNodeState.READY);
    join(form("c1", "gpu", "n1", TOKEN));
    join(form("c1", "gpu", "n1", "bad"));
    // Slurm resumed the host (otherwise the engine would release a binding Slurm shows powered down)
    slurm.setState("gpu-1", dev.slipway.slurm.SlurmNodeState.of(dev.slipway.slurm.NodeBaseState.IDLE,
        dev.slipway.slurm.NodeFlag.CLOUD, dev.slipway.slurm.NodeFlag.POWERING_UP));
    daemon.tick();

    HttpResponse<String> r = get("/metrics");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
    String text = r.body();
    assertThat(text).contains("# TYPE slipway_leader gauge", "slipway_leader 1.0", "slipway_fencing_token 1.0");
    assertThat(text).contains("slipway_joins_total{outcome=\"accepted\",pool=\"gpu\"} 1.0",
        "slipway_joins_total{outcome=\"bad_token\",pool=\"gpu\"} 1.0");
    assertThat(text).contains("slipway_passes_total{outcome=\"ok\"} 2.0"); // the first when it took the lead
    assertThat(text).contains("slipway_provider_calls_total{call=\"list\",outcome=\"ok\",pool=\"gpu\"}");
    assertThat(text).contains("slipway_slurm_calls_total{call=\"read\",outcome=\"ok\"}");
    assertThat(text).contains("slipway_hosts{phase=\"joined\"} 1.0", "slipway_hosts{phase=\"requested\"} 0.0");
    assertThat(text).contains("slipway_pass_duration_seconds_count 2");
  }

  @Test
  void metrics_resumeStageLatencies_areHistogramsPerPoolAndStage() {
    metrics.resumeStage("gpu", dev.slipway.engine.EngineListener.ResumeStage.JOINED, Duration.ofSeconds(90));
    metrics.failure("gpu", dev.slipway.model.ErrorClass.CAPACITY);
    metrics.error(new StoreUnavailableException("gone", null));

    String text = metrics.scrape();

    assertThat(text).contains("slipway_resume_stage_seconds_count{pool=\"gpu\",stage=\"joined\"} 1");
    assertThat(text).contains("slipway_resume_stage_seconds_bucket{pool=\"gpu\",stage=\"joined\",le=\"+Inf\"} 1");
    assertThat(text).contains("slipway_failures_total{class=\"CAPACITY\",pool=\"gpu\"} 1.0");
    assertThat(text).contains("slipway_errors_total{class=\"StoreUnavailableException\"} 1.0");
  }

  private static String metricLine(String text, String prefix) {
    return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse(prefix + " 0.0");
  }
}
