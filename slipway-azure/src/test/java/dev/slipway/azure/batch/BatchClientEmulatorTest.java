package dev.slipway.azure.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.azure.batch.emulator.EmulatedNodeBackend.Provisioning;
import dev.slipway.azure.batch.emulator.TimedNodeBackend;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.Secret;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The Batch client end to end against the emulator, over real HTTP with shared-key signing. */
class BatchClientEmulatorTest {
  static final Secret KEY = Secret.of(Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".getBytes()));
  static final Duration BOOT = Duration.ofSeconds(80); // creating 30 + starting 30 + waiting 20

  final FakeClock clock = new FakeClock(Instant.parse("2026-11-26T10:00:00Z"));
  final TimedNodeBackend backend = new TimedNodeBackend(clock,
      new TimedNodeBackend.Timings(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofSeconds(10)));
  final List<Duration> pauses = new ArrayList<>();
  BatchEmulator emulator;
  BatchClient client;

  @BeforeEach
  void start() throws Exception {
    emulator = BatchEmulator.start(BatchEmulator.Settings.of("emuacct", clock, backend).withSharedKey(KEY).withMaxPageSize(3));
    client = BatchClient.withSharedKey(emulator.url(), new BatchSharedKeyCredential("emuacct", KEY), options());
  }

  BatchClientOptions options() {
    return BatchClientOptions.defaults().withClock(clock)
        .withRetry(new BatchRetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(10)), pauses::add);
  }

  @AfterEach
  void stop() {
    emulator.close();
  }

  static BatchPoolSpec spec(String id, int dedicated, int lowPriority) {
    return new BatchPoolSpec(id, "standard_d2s_v5", Optional.of("Canonical"), Optional.of("ubuntu-24_04-lts"),
        Optional.of("server"), Optional.empty(), Optional.empty(), "batch.node.ubuntu 24.04", dedicated, lowPriority,
        Duration.ofMinutes(15), 1, false, Optional.empty(),
        Optional.of(new BatchStartTask("/bin/sh -c 'slipway-node-join'", Map.of("SLIPWAY_POOL", id), true, 2, true)), Map.of());
  }

  @Test
  void addPool_nodesBootThroughBatchStates_untilIdleAndPoolSteady() {
    client.addPool(spec("gpu", 2, 1));

    BatchPoolInfo pool = client.getPool("gpu");
    assertThat(pool.targetDedicatedNodes()).isEqualTo(2);
    assertThat(pool.targetLowPriorityNodes()).isEqualTo(1);
    assertThat(pool.currentDedicatedNodes()).isEqualTo(2);
    assertThat(client.listNodes("gpu", Optional.empty())).extracting(BatchNodeInfo::state).containsOnly(BatchNodeState.CREATING);

    clock.advance(Duration.ofSeconds(35));
    assertThat(client.listNodes("gpu", Optional.empty())).extracting(BatchNodeInfo::state).containsOnly(BatchNodeState.STARTING);
    clock.advance(Duration.ofSeconds(30));
    assertThat(client.listNodes("gpu", Optional.empty())).extracting(BatchNodeInfo::state).containsOnly(BatchNodeState.WAITING_FOR_START_TASK);
    clock.advance(Duration.ofSeconds(20));
    List<BatchNodeInfo> nodes = client.listNodes("gpu", Optional.empty());
    assertThat(nodes).extracting(BatchNodeInfo::state).containsOnly(BatchNodeState.IDLE);
    assertThat(nodes).filteredOn(n -> !n.dedicated()).hasSize(1);
    assertThat(nodes).allSatisfy(n -> {
      assertThat(n.ipAddress()).isPresent();
      assertThat(n.allocationTime()).contains(Instant.parse("2026-11-26T10:00:00Z"));
      assertThat(n.error()).isEmpty();
    });
    assertThat(client.getPool("gpu").isResizing()).isFalse();
  }

  @Test
  void listNodes_followsNextLinkAcrossPages_andAsksOnlyForNeededProperties() {
    client.addPool(spec("big", 7, 0));

    List<BatchNodeInfo> nodes = client.listNodes("big", Optional.empty());

    assertThat(nodes).hasSize(7).extracting(BatchNodeInfo::id).doesNotHaveDuplicates();
    List<BatchEmulator.RecordedRequest> lists = emulator.requests().stream().filter(r -> r.path().equals("/pools/big/nodes")).toList();
    assertThat(lists).hasSize(3); // pages of 3, 3 and 1
    assertThat(lists).allSatisfy(r -> assertThat(r.query()).containsEntry("$select", BatchClient.NODE_SELECT));
    assertThat(lists.get(1).query()).containsEntry("$skiptoken", "3");
  }

  @Test
  void listNodes_withStateFilter_returnsOnlyMatchingNodes() {
    client.addPool(spec("p", 3, 0));
    clock.advance(BOOT);
    String failing = client.listNodes("p", Optional.empty()).get(0).id();
    backend.makeUnusable(failing, "DiskFull", "the OS disk is full");

    List<BatchNodeInfo> unusable = client.listNodes("p", Optional.of("state eq 'unusable'"));
    List<BatchNodeInfo> byId = client.listNodes("p", Optional.of("id eq '" + failing + "'"));

    assertThat(unusable).extracting(BatchNodeInfo::id).containsExactly(failing);
    assertThat(byId).extracting(BatchNodeInfo::id).containsExactly(failing);
    assertThat(client.listNodes("p", Optional.of("state eq 'idle'"))).hasSize(2);
  }

  @Test
  void resize_whilePoolIsResizing_failsWithResizeInProgress() {
    client.addPool(spec("p", 2, 0));
    backend.allocateWith(r -> Provisioning.pending());
    clock.advance(BOOT);
    client.resizePool("p", 4, 0, Duration.ofMinutes(15));

    assertThatThrownBy(() -> client.resizePool("p", 5, 0, Duration.ofMinutes(15)))
        .isInstanceOfSatisfying(BatchServiceException.class, e -> {
          assertThat(e.status()).isEqualTo(409);
          assertThat(e.error().errorClass()).isEqualTo(ErrorClass.RESIZE_IN_PROGRESS);
          assertThat(e.error().code()).isEqualTo("PoolResizeInProgress");
          assertThat(e.error().message()).contains("resizing");
        });
    assertThat(pauses).isEmpty(); // a conflict is not retried
  }

  @Test
  void removeNodes_moreThan100Ids_isRefusedBeforeAnyRequestIsSent() {
    client.addPool(spec("p", 1, 0));
    int before = emulator.requests().size();
    List<String> ids = IntStream.range(0, 101).mapToObj(i -> "tvm-" + i).toList();

    assertThatThrownBy(() -> client.removeNodes("p", ids, Duration.ofMinutes(5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 100");
    assertThat(emulator.requests()).hasSize(before);
  }

  @Test
  void removeNodes_lowersTargetsAndKeepsPoolResizingUntilNodesHaveLeft() {
    client.addPool(spec("p", 3, 1));
    clock.advance(BOOT);
    List<BatchNodeInfo> nodes = client.listNodes("p", Optional.empty());
    String dedicated = nodes.stream().filter(BatchNodeInfo::dedicated).findFirst().orElseThrow().id();
    String low = nodes.stream().filter(n -> !n.dedicated()).findFirst().orElseThrow().id();

    client.removeNodes("p", List.of(dedicated, low), Duration.ofMinutes(5));

    BatchPoolInfo during = client.getPool("p");
    assertThat(during.isResizing()).isTrue();
    assertThat(during.targetDedicatedNodes()).isEqualTo(2);
    assertThat(during.targetLowPriorityNodes()).isZero();
    assertThat(client.listNodes("p", Optional.of("state eq 'leavingpool'"))).extracting(BatchNodeInfo::id).containsExactlyInAnyOrder(dedicated, low);
    assertThatThrownBy(() -> client.removeNodes("p", List.of(nodes.get(2).id()), Duration.ofMinutes(5)))
        .isInstanceOfSatisfying(BatchServiceException.class, e -> assertThat(e.error().errorClass()).isEqualTo(ErrorClass.RESIZE_IN_PROGRESS));

    clock.advance(Duration.ofSeconds(10));
    BatchPoolInfo after = client.getPool("p");
    assertThat(after.isResizing()).isFalse();
    assertThat(after.currentDedicatedNodes()).isEqualTo(2);
    assertThat(client.listNodes("p", Optional.empty())).extracting(BatchNodeInfo::id).doesNotContain(dedicated, low);
  }

  @Test
  void stopResize_leavesThePoolWithTheNodesAllocatedSoFar() {
    client.addPool(spec("p", 1, 0));
    clock.advance(BOOT);
    int[] allowed = {2};
    backend.allocateWith(r -> allowed[0]-- > 0 ? Provisioning.allocated() : Provisioning.pending());
    client.resizePool("p", 6, 0, Duration.ofMinutes(15));
    assertThat(client.getPool("p").isResizing()).isTrue();

    client.stopResize("p");

    BatchPoolInfo pool = client.getPool("p");
    assertThat(pool.isResizing()).isFalse();
    assertThat(pool.currentDedicatedNodes()).isEqualTo(3);
    assertThat(pool.targetDedicatedNodes()).isEqualTo(6);
    assertThat(pool.resizeErrors()).isEmpty();
  }

  @Test
  void resize_refusedForQuota_endsWithAQuotaResizeError() {
    client.addPool(spec("p", 0, 0));
    backend.allocateWith(r -> Provisioning.refused("AccountCoreQuotaReached", "The account's dedicated core quota is reached"));

    client.resizePool("p", 2, 0, Duration.ofMinutes(15));

    BatchPoolInfo pool = client.getPool("p");
    assertThat(pool.isResizing()).isFalse();
    assertThat(pool.resizeErrors()).singleElement().satisfies(e -> {
      assertThat(e.code()).isEqualTo("AccountCoreQuotaReached");
      assertThat(e.toProviderError().errorClass()).isEqualTo(ErrorClass.QUOTA);
      assertThat(e.toProviderError().message()).contains("quota");
    });
  }

  @Test
  void resize_thatCannotAllocateBeforeItsTimeout_endsWithAllocationTimedout() {
    client.addPool(spec("p", 0, 0));
    backend.allocateWith(r -> Provisioning.pending());
    client.resizePool("p", 2, 0, Duration.ofMinutes(5));
    clock.advance(Duration.ofMinutes(4));
    assertThat(client.getPool("p").isResizing()).isTrue();

    clock.advance(Duration.ofMinutes(1));

    BatchPoolInfo pool = client.getPool("p");
    assertThat(pool.isResizing()).isFalse();
    assertThat(pool.resizeErrors()).extracting(BatchResizeError::code).containsExactly("AllocationTimedout");
    assertThat(pool.resizeErrors().get(0).toProviderError().errorClass()).isEqualTo(ErrorClass.CAPACITY);
  }

  @Test
  void resize_withTimeoutUnderFiveMinutes_isAConfigurationError() {
    client.addPool(spec("p", 0, 0));

    assertThatThrownBy(() -> client.resizePool("p", 1, 0, Duration.ofMinutes(4)))
        .isInstanceOfSatisfying(BatchServiceException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.error().errorClass()).isEqualTo(ErrorClass.CONFIGURATION);
          assertThat(e.values()).containsEntry("PropertyName", "resizeTimeout");
        });
  }

  @Test
  void failedNodes_carryStartTaskUnusableAndPreemptedErrors() {
    client.addPool(spec("p", 2, 1));
    List<BatchNodeInfo> nodes = client.listNodes("p", Optional.empty());
    List<String> dedicated = nodes.stream().filter(BatchNodeInfo::dedicated).map(BatchNodeInfo::id).toList();
    String low = nodes.stream().filter(n -> !n.dedicated()).findFirst().orElseThrow().id();
    backend.failStartTask(dedicated.get(0));
    clock.advance(BOOT);
    backend.makeUnusable(dedicated.get(1), "NodeDiskFull", "disk full");
    backend.preempt(low);

    Map<String, BatchNodeInfo> byId = new java.util.HashMap<>();
    client.listNodes("p", Optional.empty()).forEach(n -> byId.put(n.id(), n));

    assertThat(byId.get(dedicated.get(0)).error()).hasValueSatisfying(e -> {
      assertThat(e.errorClass()).isEqualTo(ErrorClass.START_TASK);
      assertThat(e.code()).isEqualTo("FailureExitCode");
    });
    assertThat(byId.get(dedicated.get(1)).error()).hasValueSatisfying(e -> {
      assertThat(e.errorClass()).isEqualTo(ErrorClass.UNUSABLE);
      assertThat(e.code()).isEqualTo("NodeDiskFull");
    });
    assertThat(byId.get(low).error()).hasValueSatisfying(e -> assertThat(e.errorClass()).isEqualTo(ErrorClass.PREEMPTED));
  }

  @Test
  void poolNodeCounts_countNodesByStateAndKind() {
    client.addPool(spec("a", 2, 1));
    client.addPool(spec("b", 1, 0));
    clock.advance(BOOT);
    backend.failStartTask(client.listNodes("b", Optional.empty()).get(0).id());

    List<BatchPoolNodeCounts> all = client.listPoolNodeCounts(Optional.empty());
    List<BatchPoolNodeCounts> onlyA = client.listPoolNodeCounts(Optional.of("a"));

    assertThat(all).extracting(BatchPoolNodeCounts::poolId).containsExactly("a", "b");
    assertThat(onlyA).singleElement().satisfies(c -> {
      assertThat(c.dedicated(BatchNodeState.IDLE)).isEqualTo(2);
      assertThat(c.lowPriority(BatchNodeState.IDLE)).isEqualTo(1);
      assertThat(c.totalDedicated()).isEqualTo(2);
    });
  }

  @Test
  void serverBusy_isRetriedAfterTheRetryAfterDelay() {
    client.addPool(spec("p", 1, 0));
    emulator.failNextRequests(2, 503, "ServerBusy", Optional.of(Duration.ofSeconds(3)));

    assertThat(client.getPool("p").id()).isEqualTo("p");
    assertThat(pauses).containsExactly(Duration.ofSeconds(3), Duration.ofSeconds(3));
  }

  @Test
  void throttlingThatPersists_givesUpAfterBoundedRetries_asTransient() {
    client.addPool(spec("p", 1, 0));
    emulator.failNextRequests(10, 429, "TooManyRequests", Optional.empty());

    assertThatThrownBy(() -> client.getPool("p")).isInstanceOfSatisfying(BatchServiceException.class, e -> {
      assertThat(e.status()).isEqualTo(429);
      assertThat(e.error().errorClass()).isEqualTo(ErrorClass.TRANSIENT);
    });
    assertThat(pauses).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));
  }

  @Test
  void wrongSharedKey_isRejected_asConfiguration() {
    Secret other = Secret.of(Base64.getEncoder().encodeToString(new byte[64]));
    BatchClient wrong = BatchClient.withSharedKey(emulator.url(), new BatchSharedKeyCredential("emuacct", other), options());

    assertThatThrownBy(() -> wrong.listPoolNodeCounts(Optional.empty())).isInstanceOfSatisfying(BatchServiceException.class, e -> {
      assertThat(e.status()).isEqualTo(403);
      assertThat(e.error().code()).isEqualTo("AuthenticationFailed");
      assertThat(e.error().errorClass()).isEqualTo(ErrorClass.CONFIGURATION);
      assertThat(e.getMessage()).doesNotContain(KEY.reveal()).doesNotContain(other.reveal());
    });
  }

  @Test
  void bearerTokens_areAccepted_andAWrongTokenIsAConfigurationError() throws Exception {
    try (BatchEmulator entra = BatchEmulator.start(BatchEmulator.Settings.of("entra", clock, backend).withBearerToken("good-token"))) {
      List<String> scopes = new ArrayList<>();
      BatchClient good = BatchClient.withTokenCredential(entra.url(), ctx -> {
        scopes.addAll(ctx.getScopes());
        return Mono.just(new AccessToken("good-token", clock.instant().plus(Duration.ofHours(1)).atOffset(ZoneOffset.UTC)));
      }, options());
      BatchClient bad = BatchClient.withTokenCredential(entra.url(),
          ctx -> Mono.just(new AccessToken("stolen", clock.instant().plus(Duration.ofHours(1)).atOffset(ZoneOffset.UTC))), options());

      good.addPool(spec("p", 1, 0));
      good.getPool("p");

      assertThat(scopes).containsOnly(BatchApi.TOKEN_SCOPE).hasSize(1); // cached: asked once
      assertThat(entra.requests()).allSatisfy(r -> assertThat(r.headers().get("Authorization")).isEqualTo("Bearer good-token"));
      assertThatThrownBy(() -> bad.getPool("p")).isInstanceOfSatisfying(BatchServiceException.class, e -> {
        assertThat(e.status()).isEqualTo(401);
        assertThat(e.error().errorClass()).isEqualTo(ErrorClass.CONFIGURATION);
      });
    }
  }

  @Test
  void missingPool_findPoolIsEmpty_andGetPoolIsAConfigurationError() {
    assertThat(client.findPool("nope")).isEmpty();
    assertThatThrownBy(() -> client.getPool("nope")).isInstanceOfSatisfying(BatchServiceException.class, e -> {
      assertThat(e.error().code()).isEqualTo("PoolNotFound");
      assertThat(e.error().errorClass()).isEqualTo(ErrorClass.CONFIGURATION);
    });
  }

  @Test
  void findNode_readsOneNodeWithTheListsSelect_andIsEmptyForAnUnknownNode() {
    client.addPool(spec("p", 3, 0));
    clock.advance(BOOT);
    BatchNodeInfo listed = client.listNodes("p", Optional.empty()).get(1);
    int before = emulator.requests().size();

    Optional<BatchNodeInfo> found = client.findNode("p", listed.id());
    Optional<BatchNodeInfo> unknown = client.findNode("p", "tvm-0_99-20261126t100000z");

    assertThat(found).contains(listed);
    assertThat(unknown).isEmpty();
    List<BatchEmulator.RecordedRequest> reads = emulator.requests().subList(before, emulator.requests().size());
    assertThat(reads).extracting(BatchEmulator.RecordedRequest::path)
        .containsExactly("/pools/p/nodes/" + listed.id(), "/pools/p/nodes/tvm-0_99-20261126t100000z");
    assertThat(reads).allSatisfy(r -> assertThat(r.query()).containsEntry("$select", BatchClient.NODE_SELECT));
  }

  @Test
  void findNode_inAMissingPool_isAPoolNotFoundError() {
    assertThatThrownBy(() -> client.findNode("nope", "tvm-1")).isInstanceOfSatisfying(BatchServiceException.class,
        e -> assertThat(e.error().code()).isEqualTo("PoolNotFound"));
  }

  @Test
  void listNodeIds_withStateFilter_returnsOnlyIdsOfMatchingNodes() {
    client.addPool(spec("p", 3, 0));
    clock.advance(BOOT);
    List<String> all = client.listNodeIds("p", Optional.empty());
    client.removeNodes("p", List.of(all.get(0)), Duration.ofMinutes(15));

    List<String> staying = client.listNodeIds("p", Optional.of("state ne 'leavingpool'"));

    assertThat(all).hasSize(3);
    assertThat(staying).containsExactlyElementsOf(all.subList(1, 3));
    assertThat(emulator.requests()).filteredOn(r -> r.path().equals("/pools/p/nodes"))
        .allSatisfy(r -> assertThat(r.query()).containsEntry("$select", "id"));
  }

  @Test
  void deletePool_drainsItsNodesAndThenThePoolIsGone() {
    client.addPool(spec("p", 2, 0));
    clock.advance(BOOT);

    client.deletePool("p");

    BatchPoolInfo deleting = client.getPool("p");
    assertThat(deleting.state()).isEqualTo("deleting");
    assertThatThrownBy(() -> client.resizePool("p", 3, 0, Duration.ofMinutes(15)))
        .isInstanceOfSatisfying(BatchServiceException.class, e -> assertThat(e.error().code()).isEqualTo("PoolBeingDeleted"));
    clock.advance(Duration.ofSeconds(10));
    assertThat(client.findPool("p")).isEmpty();
    assertThat(backend.liveNodes()).isZero();
  }

  @Test
  void addPool_twice_isRefusedWithPoolExists() {
    client.addPool(spec("p", 0, 0));

    assertThatThrownBy(() -> client.addPool(spec("P", 0, 0))).isInstanceOfSatisfying(BatchServiceException.class, e -> {
      assertThat(e.status()).isEqualTo(409);
      assertThat(e.error().code()).isEqualTo("PoolExists");
      assertThat(e.error().errorClass()).isEqualTo(ErrorClass.CONFIGURATION);
    });
  }

  @Test
  void updateStartTask_replacesTheStartTaskAndKeepsTheRest() {
    client.addPool(spec("p", 1, 0));

    client.updateStartTask("p", new BatchStartTask("/bin/true", Map.of(), false, 0, true));

    BatchEmulator.RecordedRequest patch = emulator.requests().stream().filter(r -> r.method().equals("PATCH")).findFirst().orElseThrow();
    assertThat(patch.body()).contains("/bin/true").doesNotContain("vmSize");
    assertThat(client.getPool("p").vmSize()).contains("standard_d2s_v5");
  }
}
