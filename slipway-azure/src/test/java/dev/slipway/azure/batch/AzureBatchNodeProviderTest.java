package dev.slipway.azure.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.azure.batch.emulator.EmulatedNodeBackend.Provisioning;
import dev.slipway.azure.batch.emulator.TimedNodeBackend;
import dev.slipway.model.ErrorClass;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The azure-batch provider against two emulated Batch accounts. */
class AzureBatchNodeProviderTest {
  final FakeClock clock = new FakeClock(Instant.parse("2026-11-26T10:00:00Z"));
  final TimedNodeBackend backend = new TimedNodeBackend(clock,
      new TimedNodeBackend.Timings(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofSeconds(10)));
  BatchEmulator east;
  BatchEmulator west;
  AzureBatchNodeProvider provider;

  @BeforeEach
  void start() throws Exception {
    east = BatchEmulator.start(BatchEmulator.Settings.of("east", clock, backend).withSharedKey(BatchClientEmulatorTest.KEY));
    west = BatchEmulator.start(BatchEmulator.Settings.of("west", clock, backend).withSharedKey(BatchClientEmulatorTest.KEY));
    BatchClientOptions options = BatchClientOptions.defaults().withClock(clock).withRetry(BatchRetryPolicy.NONE, d -> { });
    for (BatchEmulator e : List.of(east, west)) {
      BatchClient.withSharedKey(e.url(), new BatchSharedKeyCredential(e.accountName(), BatchClientEmulatorTest.KEY), options)
          .addPool(BatchClientEmulatorTest.spec(e == east ? "cpu" : "gpu", 0, 0));
    }
    provider = new AzureBatchNodeProvider(
        List.of(new AzureBatchNodeProvider.PoolBinding("cpu", east.url(), 8), new AzureBatchNodeProvider.PoolBinding("gpu", west.url(), 150)),
        url -> {
          String account = url.equals(east.url()) ? "east" : "west";
          return BatchClient.withSharedKey(url, new BatchSharedKeyCredential(account, BatchClientEmulatorTest.KEY), options);
        },
        Duration.ofMinutes(15), clock);
  }

  @AfterEach
  void stop() {
    east.close();
    west.close();
  }

  NodePool pool(String id) {
    return provider.pool(id).orElseThrow();
  }

  @Test
  void pools_inDifferentAccounts_areServedByTheirOwnAccountUrl() {
    pool("cpu").resize(new PoolTarget(2, 0));
    pool("gpu").resize(new PoolTarget(0, 1));

    assertThat(provider.name()).isEqualTo("azure-batch");
    assertThat(pool("cpu").nodes()).hasSize(2).allSatisfy(n -> assertThat(n.lowPriority()).isFalse());
    assertThat(pool("gpu").nodes()).singleElement().satisfies(n -> assertThat(n.lowPriority()).isTrue());
    assertThat(east.requests()).noneMatch(r -> r.path().contains("gpu"));
    assertThat(west.requests()).noneMatch(r -> r.path().contains("cpu"));
  }

  @Test
  void resize_growsThePool_andNodesBecomeReadyWithAnAddress() {
    pool("cpu").resize(new PoolTarget(3, 0));
    assertThat(pool("cpu").targetSize()).isEqualTo(new PoolTarget(3, 0));
    assertThat(pool("cpu").nodes()).extracting(ProviderNode::state).containsOnly(ProviderNodeState.CREATING);

    clock.advance(Duration.ofSeconds(80));

    assertThat(pool("cpu").nodes()).hasSize(3).allSatisfy(n -> {
      assertThat(n.state()).isEqualTo(ProviderNodeState.READY);
      assertThat(n.address()).isPresent();
      assertThat(n.poolId()).isEqualTo("cpu");
      assertThat(n.createdAt()).isEqualTo(Instant.parse("2026-11-26T10:00:00Z"));
    });
    assertThat(pool("cpu").isResizing()).isFalse();
  }

  @Test
  void resize_aboveMaxSize_isAConfigurationErrorAndNothingIsSent() {
    int before = east.requests().size();

    assertThatThrownBy(() -> pool("cpu").resize(new PoolTarget(6, 3)))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.error().errorClass()).isEqualTo(ErrorClass.CONFIGURATION));
    assertThat(east.requests()).hasSize(before);
  }

  @Test
  void resizeOrRemove_whileAResizeRuns_failsWithResizeInProgress() {
    pool("cpu").resize(new PoolTarget(1, 0));
    clock.advance(Duration.ofSeconds(80));
    String node = pool("cpu").nodes().get(0).id();
    backend.allocateWith(r -> Provisioning.pending());
    pool("cpu").resize(new PoolTarget(4, 0));

    assertThatThrownBy(() -> pool("cpu").resize(new PoolTarget(5, 0)))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.error().errorClass()).isEqualTo(ErrorClass.RESIZE_IN_PROGRESS));
    assertThatThrownBy(() -> pool("cpu").remove(List.of(node)))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.error().errorClass()).isEqualTo(ErrorClass.RESIZE_IN_PROGRESS));
    assertThat(pool("cpu").isResizing()).isTrue();
  }

  @Test
  void remove_lowersTheTargetByTheNodesRemoved() {
    pool("gpu").resize(new PoolTarget(3, 2));
    clock.advance(Duration.ofSeconds(80));
    List<String> twoDedicatedOneLow = List.of(
        pool("gpu").nodes().stream().filter(n -> !n.lowPriority()).toList().get(0).id(),
        pool("gpu").nodes().stream().filter(n -> !n.lowPriority()).toList().get(1).id(),
        pool("gpu").nodes().stream().filter(ProviderNode::lowPriority).toList().get(0).id());

    pool("gpu").remove(twoDedicatedOneLow);

    assertThat(pool("gpu").targetSize()).isEqualTo(new PoolTarget(1, 1));
    assertThat(pool("gpu").nodes()).filteredOn(n -> n.state() == ProviderNodeState.LEAVING).hasSize(3);
    clock.advance(Duration.ofSeconds(10));
    assertThat(pool("gpu").nodes()).hasSize(2);
    assertThat(pool("gpu").isResizing()).isFalse();
  }

  @Test
  void remove_ofMoreThan100Nodes_isRefused() {
    List<String> ids = IntStream.range(0, 101).mapToObj(i -> "tvm-" + i).toList();

    assertThatThrownBy(() -> pool("gpu").remove(ids)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("100");
  }

  @Test
  void failures_areReportedWithTheirErrorClassAndBatchCode() {
    backend.allocateWith(r -> r.lowPriority()
        ? Provisioning.refused("AccountLowPriorityCoreQuotaReached", "low-priority core quota reached")
        : Provisioning.allocated());
    pool("cpu").resize(new PoolTarget(2, 1));
    String failing = pool("cpu").nodes().get(0).id();
    backend.failStartTask(failing);
    clock.advance(Duration.ofSeconds(80));

    assertThat(pool("cpu").status().resizeErrors()).singleElement().satisfies(e -> {
      assertThat(e.errorClass()).isEqualTo(ErrorClass.QUOTA);
      assertThat(e.code()).isEqualTo("AccountLowPriorityCoreQuotaReached");
    });
    ProviderNode failed = pool("cpu").nodes().stream().filter(n -> n.id().equals(failing)).findFirst().orElseThrow();
    assertThat(failed.state()).isEqualTo(ProviderNodeState.START_FAILED);
    assertThat(failed.error()).hasValueSatisfying(e -> assertThat(e.summary()).isEqualTo("START_TASK FailureExitCode"));
  }

  @Test
  void accountName_isTheFirstHostLabelOfTheAccountUrl() {
    assertThat(AzureBatchNodeProvider.accountName(URI.create("https://MyAccount.westeurope.batch.azure.com"))).isEqualTo("myaccount");
    assertThatThrownBy(() -> AzureBatchNodeProvider.accountName(URI.create("http://127.0.0.1:8080")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("account name");
  }
}
