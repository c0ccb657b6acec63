package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.azure.batch.AzureBatchNodeProvider;
import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchClientOptions;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchSharedKeyCredential;
import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.azure.batch.emulator.BatchEmulator.RecordedRequest;
import dev.slipway.azure.batch.emulator.TimedNodeBackend;
import dev.slipway.config.ConfigLoader;
import dev.slipway.config.ElasticPartition;
import dev.slipway.engine.EngineListener;
import dev.slipway.engine.EngineTimings;
import dev.slipway.engine.JoinRequest;
import dev.slipway.engine.JoinResult;
import dev.slipway.engine.JoinService;
import dev.slipway.engine.JoinSettings;
import dev.slipway.engine.PoolTopology;
import dev.slipway.engine.Reconciler;
import dev.slipway.model.NodeType;
import dev.slipway.model.Secret;
import dev.slipway.simulate.ScenarioReader;
import dev.slipway.simulate.ShipyardBaseline;
import dev.slipway.simulate.SimulationSettings;
import dev.slipway.slurm.NodeBaseState;
import dev.slipway.slurm.NodeFlag;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.slurm.SlurmNodeState;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import dev.slipway.spi.StateStore;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.FakeSlurm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Benchmark (run by {@code bench/batch-calls.sh}, not by the build: the name does not end in Test):
 * the Batch REST calls Slipway's engine makes for a burst, counted at the emulator, beside the
 * calls Batch Shipyard's helper makes for the same burst ({@link ShipyardBaseline}). N hosts over
 * P pools arrive in K hook calls 2 s apart, each followed by a wake-up pass; a resize takes 30 s to
 * get its VMs (the simulator's resize latency, which the baseline runs with) and nodes boot in
 * 80 s (emulator timings 30 + 30 + 20 s) on a fake clock; every idle node joins through the real
 * {@link JoinService}; a pass runs every 15 s until every host is registered. The harness's own
 * node reads are excluded from the counts. Checks one resize per pool per pass, that every
 * pool and node read carries {@code $select}, and that each join reads its own node once
 * ({@code GET nodes/node}) rather than the pool's list; prints calls by operation, payload bytes and ratios
 * to {@code target/batch-calls.txt}. Sizes: -Dbench.hosts (1000), -Dbench.pools (10), -Dbench.calls (20).
 */
class BatchCallsBurstBench {
  private static final Secret KEY = Secret.of("c2xpcHdheS1iZW5jaC1rZXktbm90LWEtc2VjcmV0");
  private static final Duration PASS_INTERVAL = Duration.ofSeconds(15);
  /** How long a resize waits for its VMs: the simulator's resize latency, which ShipyardBaseline runs with. */
  private static final Duration ALLOCATION = SimulationSettings.DEFAULTS.resizeLatency();

  @TempDir Path dir;

  @Test
  void burst_makesOneResizePerPoolPerPass_andSelectsFieldsOnEveryRead() throws Exception {
    int hosts = Integer.getInteger("bench.hosts", 1000);
    int poolCount = Integer.getInteger("bench.pools", 10);
    int calls = Integer.getInteger("bench.calls", 20);
    int perPool = hosts / poolCount;
    int perCallPerPool = perPool / calls;
    assertThat(perCallPerPool * calls * poolCount).as("hosts must split evenly over pools and calls").isEqualTo(hosts);

    FakeClock clock = new FakeClock(Instant.parse("2026-11-26T10:00:00Z"));
    TimedNodeBackend backend = new TimedNodeBackend(clock, new TimedNodeBackend.Timings(Duration.ofSeconds(30), Duration.ofSeconds(30),
        Duration.ofSeconds(20), Duration.ofSeconds(10)));
    backend.allocateWith(new AllocationDelay(clock, ALLOCATION));
    List<String> poolIds = new ArrayList<>();
    for (int p = 0; p < poolCount; p++) poolIds.add("p" + p);
    StringBuilder report = new StringBuilder();
    try (BatchEmulator emulator = BatchEmulator.start(BatchEmulator.Settings.of("benchacct", clock, backend));
         StateStore store = SqliteStateStore.open(dir.resolve("state.db"))) {
      BatchClient client = BatchClient.withSharedKey(emulator.url(), new BatchSharedKeyCredential("benchacct", KEY),
          BatchClientOptions.defaults().withClock(clock));
      for (String id : poolIds) {
        client.addPool(new BatchPoolSpec(id, "standard_f2s_v2", Optional.of("canonical"), Optional.of("ubuntu-24_04-lts"),
            Optional.of("server"), Optional.of("latest"), Optional.empty(), "batch.node.ubuntu 24.04", 0, 0, Duration.ofMinutes(15), 1,
            false, Optional.empty(), Optional.empty(), Map.of()));
      }
      AzureBatchNodeProvider provider = new AzureBatchNodeProvider(
          poolIds.stream().map(id -> new AzureBatchNodeProvider.PoolBinding(id, emulator.url(), perPool)).toList(), url -> client,
          Duration.ofMinutes(15), clock);
      List<PoolTopology> topology = poolIds.stream().map(id -> PoolTopology.of(id, id, perPool, NodeType.DEDICATED, "burst", 1, 0)).toList();
      FakeSlurm slurm = new FakeSlurm();
      List<String> allHosts = new ArrayList<>();
      topology.forEach(t -> allHosts.addAll(t.hosts()));
      slurm.addCloudNodes("burst", allHosts);
      Map<String, Secret> tokens = new LinkedHashMap<>();
      poolIds.forEach(id -> tokens.put(id, Secret.of("token-" + id)));
      Reconciler reconciler = new Reconciler(store, provider, new SlurmControlPort(slurm), topology, EngineTimings.DEFAULTS, clock,
          EventSink.NONE, EngineListener.NONE);
      JoinService joins = new JoinService(store, provider, new JoinSettings("bench", tokens, List.of("ctl:6817"), Secret.of("munge"),
          List.of()), clock, EventSink.NONE);

      Counting counting = new Counting(emulator);
      counting.startCounting();
      int passes = 0;
      int maxResizesPerPoolInAPass = 0;
      long wallStart = System.nanoTime();
      for (int c = 0; c < calls; c++) {
        List<IntentRequest> intents = new ArrayList<>();
        for (String id : poolIds) {
          for (int i = c * perCallPerPool; i < (c + 1) * perCallPerPool; i++) {
            String host = id + "-" + i;
            slurm.setState(host, SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERING_UP));
            intents.add(new IntentRequest(host, id, Intent.UP, IntentSource.RESUME, List.of(Integer.toString(c))));
          }
        }
        store.recordIntents(intents, clock.instant());
        maxResizesPerPoolInAPass = Math.max(maxResizesPerPoolInAPass, counting.pass(reconciler));
        passes++;
        clock.advance(Duration.ofSeconds(2));
      }
      Set<String> joined = new HashSet<>();
      Instant lastPass = clock.instant();
      for (int step = 0; step < 400 && registered(store) < hosts; step++) {
        clock.advance(Duration.ofSeconds(5));
        for (String id : poolIds) {
          for (ProviderNode n : counting.uncounted(() -> provider.pool(id).orElseThrow().nodes())) {
            if (n.state() == ProviderNodeState.READY && joined.add(n.id())) {
              JoinResult r = joins.join(new JoinRequest("bench", id, n.id(), tokens.get(id), n.address().orElseThrow()));
              if (r instanceof JoinResult.Accepted a) {
                slurm.setState(a.response().host(), SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD));
              }
            }
          }
        }
        if (!clock.instant().isBefore(lastPass.plus(PASS_INTERVAL))) {
          maxResizesPerPoolInAPass = Math.max(maxResizesPerPoolInAPass, counting.pass(reconciler));
          passes++;
          lastPass = clock.instant();
        }
      }
      long wallMillis = (System.nanoTime() - wallStart) / 1_000_000;
      // The payload probes below are the harness's own reads: they must not be counted.
      counting.stopCounting();
      assertThat(registered(store)).as("every host registered").isEqualTo(hosts);

      Map<String, Long> byOperation = counting.counted().stream()
          .collect(Collectors.groupingBy(BatchCallsBurstBench::operation, TreeMap::new, Collectors.counting()));
      List<RecordedRequest> reads = counting.counted().stream().filter(r -> r.method().equals("GET")).toList();
      long withSelect = reads.stream().filter(r -> r.query().containsKey("$select")).count();
      long withFilter = reads.stream().filter(r -> r.query().containsKey("$filter")).count();
      Payload payload = Payload.measure(emulator.url(), "p0");

      ShipyardBaseline.Report shipyard = shipyard(poolCount, perPool, calls, perCallPerPool);

      long slipwayTotal = counting.counted().size();
      long slipwayResizes = byOperation.getOrDefault("POST resize", 0L);
      long slipwayPoolReads = byOperation.getOrDefault("GET pool", 0L);
      long slipwayNodeLists = byOperation.getOrDefault("GET nodes", 0L);
      long slipwayNodeGets = byOperation.getOrDefault("GET nodes/node", 0L);
      long shipyardTotal = shipyard.resizeCalls() + shipyard.removeCalls() + shipyard.poolReads();
      String load = Files.readString(Path.of("/proc/loadavg")).strip();
      report.append(String.format("burst: %d hosts over %d pools in %d hook calls 2 s apart; allocation 30 s, boot 80 s; passes on every call and every %d s%n",
          hosts, poolCount, calls, PASS_INTERVAL.toSeconds()));
      report.append(String.format("load average: %s; %d cores; harness wall time %d ms%n", load, Runtime.getRuntime().availableProcessors(), wallMillis));
      report.append(String.format("slipway (azure-batch provider -> emulator): %d REST calls in %d passes and %d joins%n", slipwayTotal, passes, joined.size()));
      byOperation.forEach((op, n) -> report.append(String.format("  %-22s %6d%n", op, n)));
      report.append(String.format("  most resizes of one pool in one pass: %d%n", maxResizesPerPoolInAPass));
      report.append(String.format("  reads with $select: %d of %d; with $filter: %d%n", withSelect, reads.size(), withFilter));
      report.append(String.format("payload (pool p0 with %d idle nodes): GET pool %d bytes with $select, %d without; GET nodes %d bytes with $select (%d per node), %d without (%d per node); GET node %d bytes with $select, %d without%n",
          payload.nodes(), payload.poolSelected(), payload.poolFull(), payload.nodesSelected(), payload.nodesSelected() / Math.max(1, payload.nodes()),
          payload.nodesFull(), payload.nodesFull() / Math.max(1, payload.nodes()), payload.nodeSelected(), payload.nodeFull()));
      long readBytes = slipwayPoolReads * payload.poolSelected() + counting.nodeListBytesEstimate(payload) + slipwayNodeGets * payload.nodeSelected();
      report.append(String.format("slipway read bytes (estimate): %d%n", readBytes));
      report.append(String.format("batch shipyard (ShipyardBaseline, same burst and boot time): %d Batch calls: %d resize (POST resize), %d pool reads (GET pool, full), %d remove%n",
          shipyardTotal, shipyard.resizeCalls(), shipyard.poolReads(), shipyard.removeCalls()));
      report.append(String.format("ratios shipyard / slipway: resize %.2f, reads (pool reads + node lists + node gets) %.2f, all calls %.2f; read bytes %.2f%n",
          ratio(shipyard.resizeCalls(), slipwayResizes), ratio(shipyard.poolReads(), slipwayPoolReads + slipwayNodeLists + slipwayNodeGets),
          ratio(shipyardTotal, slipwayTotal), ratio(shipyard.poolReads() * payload.poolFull(), readBytes)));
      Files.createDirectories(Path.of("target"));
      Files.writeString(Path.of("target", "batch-calls.txt"), report);
      System.out.print(report);

      assertThat(maxResizesPerPoolInAPass).as("one resize per pool per pass").isLessThanOrEqualTo(1);
      assertThat(withSelect).as("every pool and node read names its fields").isEqualTo(reads.size());
      assertThat(slipwayNodeGets).as("one node lookup per join").isEqualTo(joined.size());
      assertThat(slipwayNodeLists).as("node lists only by passes, at most one per pool per pass").isLessThanOrEqualTo((long) passes * poolCount);
    }
  }

  /**
   * Keeps a pool's resize "allocating" for {@code delay} from the first node it asks for, then
   * allocates every node it asks for at that instant: Batch's resize that takes a while to get
   * its VMs, on the emulator (whose resize otherwise completes at once).
   */
  static final class AllocationDelay implements java.util.function.Function<dev.slipway.azure.batch.emulator.EmulatedNodeBackend.NodeRequest,
      dev.slipway.azure.batch.emulator.EmulatedNodeBackend.Provisioning> {
    private final FakeClock clock;
    private final Duration delay;
    private final Map<String, Instant> waitingSince = new java.util.HashMap<>();
    private final Map<String, Instant> allocatedAt = new java.util.HashMap<>();

    AllocationDelay(FakeClock clock, Duration delay) {
      this.clock = clock;
      this.delay = delay;
    }

    @Override
    public dev.slipway.azure.batch.emulator.EmulatedNodeBackend.Provisioning apply(
        dev.slipway.azure.batch.emulator.EmulatedNodeBackend.NodeRequest r) {
      Instant now = clock.instant();
      Instant done = allocatedAt.get(r.poolId());
      if (done != null && done.equals(now)) {
        return dev.slipway.azure.batch.emulator.EmulatedNodeBackend.Provisioning.allocated();
      }
      if (done != null) {
        // an earlier resize finished: this request starts a new wait
        allocatedAt.remove(r.poolId());
        waitingSince.remove(r.poolId());
      }
      Instant since = waitingSince.computeIfAbsent(r.poolId(), p -> now);
      if (now.isBefore(since.plus(delay))) {
        return dev.slipway.azure.batch.emulator.EmulatedNodeBackend.Provisioning.pending();
      }
      allocatedAt.put(r.poolId(), now);
      return dev.slipway.azure.batch.emulator.EmulatedNodeBackend.Provisioning.allocated();
    }
  }

  private static double ratio(long a, long b) {
    return b == 0 ? Double.NaN : (double) a / b;
  }

  private static int registered(StateStore store) {
    return (int) store.bindings().values().stream().filter(b -> b.phase() == BindingPhase.REGISTERED).count();
  }

  static String operation(RecordedRequest r) {
    return SimulateCommand.operation(r);
  }

  /** Which of the emulator's recorded requests are the engine's (the harness's own reads are left out). */
  private static final class Counting {
    private final BatchEmulator emulator;
    private final List<RecordedRequest> counted = new ArrayList<>();
    private final List<Integer> nodesListed = new ArrayList<>();
    private int seen;

    Counting(BatchEmulator emulator) {
      this.emulator = emulator;
    }

    private boolean stopped;

    void startCounting() {
      seen = emulator.requests().size();
    }

    /** Takes in the engine's last requests; later ones (the harness's probes) are not counted. */
    void stopCounting() {
      counted.addAll(since());
      stopped = true;
    }

    private List<RecordedRequest> since() {
      List<RecordedRequest> all = emulator.requests();
      List<RecordedRequest> fresh = all.subList(seen, all.size());
      seen = all.size();
      return fresh;
    }

    /** Runs a pass; returns the most resizes it made of one pool. */
    int pass(Reconciler reconciler) {
      counted.addAll(since());
      reconciler.pass();
      List<RecordedRequest> fresh = since();
      counted.addAll(fresh);
      return fresh.stream().filter(r -> r.method().equals("POST") && r.path().endsWith("/resize"))
          .collect(Collectors.groupingBy(RecordedRequest::path, Collectors.counting())).values().stream()
          .mapToInt(Long::intValue).max().orElse(0);
    }

    <T> T uncounted(java.util.function.Supplier<T> read) {
      counted.addAll(since());
      T result = read.get();
      since();
      if (result instanceof List<?> l) nodesListed.add(l.size());
      return result;
    }

    List<RecordedRequest> counted() {
      if (!stopped) counted.addAll(since());
      return counted;
    }

    /** Node-list bytes, estimated: each engine node list at the mean pool size the harness saw. */
    long nodeListBytesEstimate(Payload p) {
      double meanNodes = nodesListed.stream().mapToInt(Integer::intValue).average().orElse(0);
      long lists = counted.stream().filter(r -> operation(r).equals("GET nodes")).count();
      return (long) (lists * meanNodes * p.nodesSelected() / Math.max(1, p.nodes()));
    }
  }

  /** Response sizes of one pool's reads, with the engine's $select and without. */
  record Payload(int nodes, long poolSelected, long poolFull, long nodesSelected, long nodesFull, long nodeSelected, long nodeFull) {
    static Payload measure(URI url, String poolId) throws Exception {
      HttpClient http = HttpClient.newHttpClient();
      String base = url + "/pools/" + poolId;
      String v = "api-version=" + dev.slipway.azure.batch.BatchApi.API_VERSION;
      String nodeList = get(http, base + "/nodes?" + v);
      int nodes = nodeList.split("\"id\"", -1).length - 1;
      String firstId = new com.fasterxml.jackson.databind.ObjectMapper().readTree(nodeList).path("value").path(0).path("id").asText();
      String node = base + "/nodes/" + enc(firstId) + "?" + v;
      return new Payload(nodes,
          get(http, base + "?" + v + "&$select=" + enc(BatchClient.POOL_SELECT)).length(), get(http, base + "?" + v).length(),
          get(http, base + "/nodes?" + v + "&$select=" + enc(BatchClient.NODE_SELECT)).length(), nodeList.length(),
          get(http, node + "&$select=" + enc(BatchClient.NODE_SELECT)).length(), get(http, node).length());
    }

    private static String enc(String s) {
      return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String get(HttpClient http, String uri) throws Exception {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri)).GET().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) throw new IllegalStateException(uri + ": " + r.statusCode() + " " + r.body());
      return r.body();
    }
  }

  /** Batch Shipyard's helper on the same burst: one config, one scenario, ShipyardBaseline. */
  private ShipyardBaseline.Report shipyard(int poolCount, int perPool, int calls, int perCallPerPool) throws Exception {
    Path config = Files.createDirectories(dir.resolve("config"));
    StringBuilder slurm = new StringBuilder("""
        slurm:
          cluster_id: bench
          controller: {ssh: {username: admin}, vm_size: standard_d2_v3, vm_count: 1}
          login: {ssh: {username: alice}, vm_size: standard_d2_v3, vm_count: 1}
          shared_data_volumes: {nfs: {host_mount_path: /shared, store_slurmctld_state: true}}
          slurm_options:
            elastic_partitions:
              burst:
                default: true
                batch_pools:
        """);
    for (int p = 0; p < poolCount; p++) {
      slurm.append(String.format("          p%d: {compute_node_type: dedicated, max_compute_nodes: %d, weight: 1, features: [f%d], vm_size: standard_f2s_v2}%n",
          p, perPool, p));
    }
    slurm.append("slipway: {backend: sim}\n");
    Files.writeString(config.resolve("slurm.yaml"), slurm);
    StringBuilder scenario = new StringBuilder("config: config\nend: 1h\nseed: 1\n"
        + "cluster: {suspend_time: 5m, resume_timeout: 20m, suspend_timeout: 2m}\n"
        + "pool_defaults: {boot_time: {distribution: fixed, value: 80s}}\njobs:\n");
    for (int c = 0; c < calls; c++) {
      for (int p = 0; p < poolCount; p++) {
        scenario.append(String.format("  - {at: %ds, partition: burst, nodes: %d, duration: 10m, constraint: f%d}%n", c * 2, perCallPerPool, p));
      }
    }
    Path file = dir.resolve("burst.yaml");
    Files.writeString(file, scenario);
    List<ElasticPartition> partitions = new ConfigLoader(ConfigOptions.knownVmSizes()).loadDirectory(config).config().slurm().options()
        .elasticPartitions();
    var s = ScenarioReader.read(file);
    return new ShipyardBaseline(s, partitions, SimulationSettings.DEFAULTS.withStateDir(dir.resolve("shipyard")), s.seed()).run();
  }
}
