package dev.slipway.azure.batch.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.azure.batch.AzureBatchNodeProvider;
import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchClientOptions;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchRetryPolicy;
import dev.slipway.azure.batch.BatchSharedKeyCredential;
import dev.slipway.azure.batch.FakeClock;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.Secret;
import dev.slipway.sim.LatencyDistribution;
import dev.slipway.sim.SimFaults;
import dev.slipway.sim.SimPoolSpec;
import dev.slipway.sim.SimProvider;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The emulator driven by the simulator, seen through the azure-batch provider over HTTP. */
class SimNodeBackendTest {
  private static final Secret KEY = Secret.of(Base64.getEncoder().encodeToString("sim-backend-test-key-0123456789ab".getBytes()));
  private static final Duration BOOT = Duration.ofSeconds(90);

  private final FakeClock clock = new FakeClock(Instant.parse("2026-11-26T10:00:00Z"));
  private BatchEmulator emulator;

  @AfterEach
  void stop() {
    if (emulator != null) emulator.close();
  }

  private SimProvider simWith(SimFaults faults) {
    return SimProvider.builder(clock).seed(7)
        .pool(SimPoolSpec.typical("gpu", 8)
            .withLatencies(LatencyDistribution.fixed(Duration.ofSeconds(1)), LatencyDistribution.fixed(Duration.ofSeconds(20)),
                LatencyDistribution.fixed(BOOT), LatencyDistribution.fixed(Duration.ofSeconds(30)))
            .withFaults(faults))
        .build();
  }

  private NodePool poolOver(SimProvider sim) throws Exception {
    emulator = BatchEmulator.start(BatchEmulator.Settings.of("simacct", clock, new SimNodeBackend(sim, clock)).withSharedKey(KEY));
    BatchClientOptions options = BatchClientOptions.defaults().withClock(clock).withRetry(BatchRetryPolicy.NONE, d -> { });
    BatchClient client = BatchClient.withSharedKey(emulator.url(), new BatchSharedKeyCredential("simacct", KEY), options);
    client.addPool(new BatchPoolSpec("gpu", "standard_d2s_v5", Optional.of("Canonical"), Optional.of("ubuntu-24_04-lts"),
        Optional.of("server"), Optional.empty(), Optional.empty(), "batch.node.ubuntu 24.04", 0, 0, Duration.ofMinutes(15), 1, false,
        Optional.empty(), Optional.empty(), java.util.Map.of()));
    return new AzureBatchNodeProvider(List.of(new AzureBatchNodeProvider.PoolBinding("gpu", emulator.url(), 8)), url -> client,
        Duration.ofMinutes(15), clock).pool("gpu").orElseThrow();
  }

  private void runUntil(NodePool pool, Predicate<NodePool> done) {
    Instant deadline = clock.instant().plus(Duration.ofHours(1));
    while (!done.test(pool)) {
      assertThat(clock.instant()).as("condition reached within an hour of emulated time").isBefore(deadline);
      clock.advance(Duration.ofSeconds(5));
    }
  }

  private static boolean settled(NodePool p) {
    return !p.isResizing() && p.nodes().stream().noneMatch(n -> n.state() == ProviderNodeState.CREATING
        || n.state() == ProviderNodeState.STARTING || n.state() == ProviderNodeState.LEAVING);
  }

  @Test
  void resize_nodesBootWithTheSimulatorsLatencies_andBecomeReady() throws Exception {
    NodePool pool = poolOver(simWith(SimFaults.NONE));
    Instant start = clock.instant();

    pool.resize(new PoolTarget(2, 1));
    runUntil(pool, p -> p.nodes().size() == 3);
    runUntil(pool, SimNodeBackendTest::settled);

    List<ProviderNode> nodes = pool.nodes();
    assertThat(nodes).hasSize(3).allSatisfy(n -> {
      assertThat(n.state()).isEqualTo(ProviderNodeState.READY);
      assertThat(n.address()).isPresent();
    });
    assertThat(nodes).filteredOn(ProviderNode::lowPriority).hasSize(1);
    assertThat(Duration.between(start, clock.instant())).as("allocation 20 s + boot 90 s at least").isGreaterThanOrEqualTo(BOOT);
  }

  @Test
  void startTaskFailures_ofTheSimulator_showAsStartTaskFailedNodes() throws Exception {
    NodePool pool = poolOver(simWith(SimFaults.NONE.withStartTaskFailureRate(1.0)));

    pool.resize(new PoolTarget(1, 0));
    runUntil(pool, p -> p.nodes().size() == 1 && settled(p));

    ProviderNode node = pool.nodes().get(0);
    assertThat(node.state()).isEqualTo(ProviderNodeState.START_FAILED);
    assertThat(node.error()).map(ProviderError::errorClass).contains(ErrorClass.START_TASK);
  }

  @Test
  void allocationLimits_ofTheSimulator_endTheResizeWithTheirErrorClass() throws Exception {
    SimProvider sim = simWith(SimFaults.NONE);
    NodePool pool = poolOver(sim);
    sim.limitAllocation("gpu", ErrorClass.QUOTA, 0);

    pool.resize(new PoolTarget(2, 0));
    runUntil(pool, p -> !p.isResizing());

    assertThat(pool.nodes()).isEmpty();
    assertThat(pool.status().resizeErrors()).extracting(ProviderError::errorClass).containsExactly(ErrorClass.QUOTA);
  }

  @Test
  void remove_releasesTheSimulatorsNode() throws Exception {
    SimProvider sim = simWith(SimFaults.NONE);
    NodePool pool = poolOver(sim);
    pool.resize(new PoolTarget(2, 0));
    runUntil(pool, p -> p.nodes().size() == 2 && settled(p));
    String gone = pool.nodes().get(0).id();

    pool.remove(List.of(gone));
    runUntil(pool, p -> p.nodes().size() == 1 && settled(p));

    assertThat(pool.nodes()).extracting(ProviderNode::id).doesNotContain(gone);
    runUntil(pool, p -> sim.pool("gpu").orElseThrow().nodes().size() == 1);
    assertThat(sim.pool("gpu").orElseThrow().nodes()).singleElement()
        .satisfies(n -> assertThat(n.state()).isEqualTo(ProviderNodeState.READY));
    assertThat(sim.pool("gpu").orElseThrow().targetSize()).isEqualTo(new PoolTarget(1, 0));
  }
}
