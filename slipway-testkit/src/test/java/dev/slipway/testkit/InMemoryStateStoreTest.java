package dev.slipway.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.Lease;
import dev.slipway.spi.PoolRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The in-memory store keeps the semantics the engine relies on (the shared contract suite covers the rest). */
class InMemoryStateStoreTest {
  private final InMemoryStateStore store = new InMemoryStateStore();
  private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

  private HostBinding requested(String host, long version) {
    return new HostBinding(host, "gpu", BindingPhase.REQUESTED, Optional.empty(), Optional.empty(), 1, t0, Optional.empty(), version);
  }

  @Test
  void intents_getIncreasingSequencesAndTheLatestWins() {
    List<HostIntent> first = store.recordIntents(List.of(
        new IntentRequest("gpu-0", "gpu", Intent.UP, IntentSource.RESUME, List.of("42")),
        new IntentRequest("gpu-1", "gpu", Intent.UP, IntentSource.RESUME, List.of())), t0);
    List<HostIntent> second = store.recordIntents(List.of(new IntentRequest("gpu-0", "gpu", Intent.DOWN, IntentSource.SUSPEND, List.of())), t0);

    assertThat(first).extracting(HostIntent::seq).containsExactly(1L, 2L);
    assertThat(second.get(0).seq()).isEqualTo(3);
    assertThat(store.intents().get("gpu-0").intent()).isEqualTo(Intent.DOWN);
  }

  @Test
  void bindings_areCompareAndSetOnTheirVersion() {
    HostBinding stored = store.putBinding(requested("gpu-0", 0)).orElseThrow();
    assertThat(stored.version()).isEqualTo(1);
    assertThat(store.putBinding(requested("gpu-0", 0))).as("create of an existing binding").isEmpty();
    assertThat(store.putBinding(stored.withPhase(BindingPhase.JOINED, t0))).map(HostBinding::version).contains(2L);
    assertThat(store.putBinding(stored.withPhase(BindingPhase.FAILED, t0))).as("stale version").isEmpty();
    assertThat(store.deleteBinding("gpu-0", 1)).isFalse();
    assertThat(store.deleteBinding("gpu-0", 2)).isTrue();
    assertThat(store.bindings()).isEmpty();
  }

  @Test
  void pools_areCompareAndSetOnTheirVersion() {
    PoolRecord p = store.putPool(PoolRecord.initial("gpu")).orElseThrow();
    assertThat(store.putPool(PoolRecord.initial("gpu"))).isEmpty();
    assertThat(store.putPool(p)).map(PoolRecord::version).contains(2L);
  }

  @Test
  void events_getIdsAndComeBackNewestLimitOldestFirst() {
    store.appendEvents(List.of(HostEvent.ofHost(t0, "gpu-0", "gpu", "a", "1"), HostEvent.ofPool(t0, "gpu", "b", "2"),
        HostEvent.ofHost(t0, "gpu-0", "gpu", "c", "3")));
    assertThat(store.hostEvents("gpu-0", 1)).extracting(HostEvent::kind).containsExactly("c");
    assertThat(store.poolEvents("gpu", 5)).extracting(HostEvent::id).containsExactly(1L, 2L, 3L);
  }

  @Test
  void lease_fencingTokenGrowsOnlyWhenTheHolderChanges() {
    Lease a = store.acquireLease("leader", "a", Duration.ofSeconds(10), t0).orElseThrow();
    assertThat(store.acquireLease("leader", "b", Duration.ofSeconds(10), t0.plusSeconds(5))).isEmpty();
    Lease renewed = store.acquireLease("leader", "a", Duration.ofSeconds(10), t0.plusSeconds(5)).orElseThrow();
    assertThat(renewed.fencingToken()).isEqualTo(a.fencingToken());
    Lease b = store.acquireLease("leader", "b", Duration.ofSeconds(10), t0.plusSeconds(16)).orElseThrow();
    assertThat(b.fencingToken()).isGreaterThan(a.fencingToken());
    store.releaseLease("leader", "a");
    assertThat(store.lease("leader")).contains(b);
  }
}
