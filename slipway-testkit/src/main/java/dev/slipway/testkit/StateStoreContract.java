package dev.slipway.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.Backoff;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.Lease;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.StateChanges;
import dev.slipway.spi.StateStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link StateStore} keeps, run against each implementation by a subclass
 * that says how to make a fresh, empty store (as Caffeine runs one spec against every cache).
 *
 * <p>Time comes from a {@link FakeClock} on millisecond boundaries (stores keep milliseconds).
 * Concurrency tests race real threads; a store that can be opened twice on the same data (two
 * connections, two clients) overrides {@link #anotherHandle} so the races cross handles the way
 * the hooks and the daemon cross processes.
 */
public abstract class StateStoreContract {
  private static final Duration RACE_TIMEOUT = Duration.ofSeconds(60);

  protected final FakeClock clock = new FakeClock();
  protected StateStore store;
  private final List<StateStore> extraHandles = new ArrayList<>();

  /** A new, empty store; the suite closes it. */
  protected abstract StateStore newStore();

  /**
   * A second, independent handle on the same data as {@code store} (the suite closes it), or
   * {@code store} itself when the implementation has no such notion.
   */
  protected StateStore anotherHandle(StateStore store) {
    return store;
  }

  /**
   * Whether the store answers {@link StateStore#changesSince} with only what changed (true for
   * stores that track a change sequence); the suite then also checks that it does.
   */
  protected boolean tracksChanges() {
    return false;
  }

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStores() {
    for (StateStore extra : extraHandles) {
      extra.close();
    }
    store.close();
  }

  private StateStore secondHandle() {
    StateStore other = anotherHandle(store);
    if (other != store) {
      extraHandles.add(other);
    }
    return other;
  }

  // ------------------------------------------------------------------ intents

  @Test
  void recordIntents_assignsIncreasingSequencesInRequestOrder() {
    List<HostIntent> first = store.recordIntents(List.of(up("gpu-0"), up("gpu-1")), clock.instant());
    List<HostIntent> second = store.recordIntents(List.of(down("gpu-2")), clock.advance(Duration.ofSeconds(1)));

    assertThat(first).extracting(HostIntent::host).containsExactly("gpu-0", "gpu-1");
    assertThat(first.get(0).seq()).isPositive();
    assertThat(first.get(1).seq()).isGreaterThan(first.get(0).seq());
    assertThat(second.get(0).seq()).isGreaterThan(first.get(1).seq());
  }

  @Test
  void recordIntents_returnsWhatItStored() {
    Instant at = clock.instant();
    IntentRequest request = new IntentRequest("gpu-3", "gpu", Intent.UP, IntentSource.RESUME, List.of("41", "42_7"));

    HostIntent recorded = store.recordIntents(List.of(request), at).get(0);

    assertThat(recorded)
        .isEqualTo(new HostIntent("gpu-3", "gpu", Intent.UP, IntentSource.RESUME, recorded.seq(), at, List.of("41", "42_7")));
    assertThat(store.intents()).containsEntry("gpu-3", recorded);
  }

  @Test
  void recordIntents_withoutJobIds_storesAnEmptyList() {
    store.recordIntents(List.of(down("gpu-0")), clock.instant());

    assertThat(store.intents().get("gpu-0").jobIds()).isEmpty();
  }

  @Test
  void recordIntents_withEmptyBatch_recordsNothing() {
    assertThat(store.recordIntents(List.of(), clock.instant())).isEmpty();
    assertThat(store.intents()).isEmpty();
  }

  @Test
  void recordIntents_whenOneRequestIsInvalid_recordsNoneOfTheBatch() {
    store.recordIntents(List.of(up("cpu-0")), clock.instant());
    IntentRequest invalid = new IntentRequest("gpu-9", "gpu", null, IntentSource.RESUME, List.of());

    assertThatThrownBy(() -> store.recordIntents(List.of(up("gpu-0"), up("gpu-1"), invalid), clock.instant()))
        .isInstanceOfAny(NullPointerException.class, IllegalArgumentException.class);

    assertThat(store.intents()).containsOnlyKeys("cpu-0");
  }

  @Test
  void recordIntents_afterAFailedBatch_keepsSequencesIncreasing() {
    long before = store.recordIntents(List.of(up("gpu-0")), clock.instant()).get(0).seq();
    IntentRequest invalid = new IntentRequest(null, "gpu", Intent.UP, IntentSource.RESUME, List.of());
    assertThatThrownBy(() -> store.recordIntents(List.of(up("gpu-1"), invalid), clock.instant()))
        .isInstanceOfAny(NullPointerException.class, IllegalArgumentException.class);

    long after = store.recordIntents(List.of(up("gpu-2")), clock.instant()).get(0).seq();

    assertThat(after).isGreaterThan(before);
  }

  @Test
  void intents_whenAHostHasSeveralIntents_returnsTheLatest() {
    store.recordIntents(List.of(up("gpu-0")), clock.instant());
    HostIntent latest = store.recordIntents(List.of(down("gpu-0")), clock.advance(Duration.ofMinutes(5))).get(0);

    assertThat(store.intents()).hasSize(1).containsEntry("gpu-0", latest);
  }

  @Test
  void recordIntents_withTheSameHostTwiceInOneBatch_keepsTheLaterOne() {
    List<HostIntent> recorded = store.recordIntents(List.of(up("gpu-0"), down("gpu-0")), clock.instant());

    assertThat(store.intents().get("gpu-0")).isEqualTo(recorded.get(1));
    assertThat(store.intents().get("gpu-0").intent()).isEqualTo(Intent.DOWN);
  }

  @Test
  void recordIntents_fromManyThreadsAtOnce_neverHandsOutTheSameSequenceTwice() throws Exception {
    int threads = 4;
    int callsPerThread = 40;
    List<Callable<List<Long>>> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      StateStore handle = t % 2 == 0 ? store : secondHandle();
      int thread = t;
      writers.add(
          () -> {
            List<Long> seqs = new ArrayList<>();
            for (int i = 0; i < callsPerThread; i++) {
              List<IntentRequest> batch = List.of(up("t" + thread + "-" + i + "a"), up("t" + thread + "-" + i + "b"));
              for (HostIntent recorded : handle.recordIntents(batch, clock.instant())) {
                seqs.add(recorded.seq());
              }
            }
            return seqs;
          });
    }

    List<List<Long>> perThread = race(writers);

    Set<Long> all = new HashSet<>();
    for (List<Long> seqs : perThread) {
      assertThat(seqs).isSorted().doesNotHaveDuplicates();
      all.addAll(seqs);
    }
    assertThat(all).hasSize(threads * callsPerThread * 2);
    assertThat(store.intents()).hasSize(threads * callsPerThread * 2);
    assertThat(store.intents().values()).extracting(HostIntent::seq).containsExactlyInAnyOrderElementsOf(all);
  }

  @Test
  void intent_ofOneHost_isItsLatestAndEmptyForOthers() {
    store.recordIntents(List.of(up("gpu-0"), up("gpu-1")), clock.instant());
    List<HostIntent> later = store.recordIntents(List.of(down("gpu-0")), clock.advance(Duration.ofSeconds(1)));

    assertThat(store.intent("gpu-0")).contains(later.get(0));
    assertThat(store.intent("gpu-1")).map(HostIntent::intent).contains(Intent.UP);
    assertThat(store.intent("gpu-9")).isEmpty();
  }

  // ------------------------------------------------------------------ bindings

  @Test
  void bindingsOfNode_findOnlyTheBindingsNamingThatNode() {
    HostBinding r0 = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    store.putBinding(requested("gpu-1", "gpu", 2)).orElseThrow();
    HostBinding joined = store.putBinding(new HostBinding("gpu-0", "gpu", BindingPhase.JOINED, Optional.of("node-a"),
        Optional.of("10.0.0.5"), 1, clock.instant(), Optional.empty(), r0.version())).orElseThrow();

    assertThat(store.bindingsOfNode("node-a")).containsExactly(joined);
    assertThat(store.bindingsOfNode("node-b")).isEmpty();
  }

  @Test
  void putBinding_withVersionZero_createsItWithAPositiveVersion() {
    HostBinding stored = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();

    assertThat(stored.version()).isPositive();
    assertThat(store.binding("gpu-0")).contains(stored);
    assertThat(store.bindings()).containsOnlyKeys("gpu-0");
  }

  @Test
  void putBinding_withVersionZeroWhenOneExists_failsAndChangesNothing() {
    HostBinding first = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();

    assertThat(store.putBinding(requested("gpu-0", "gpu", 2))).isEmpty();
    assertThat(store.binding("gpu-0")).contains(first);
  }

  @Test
  void putBinding_withTheCurrentVersion_replacesItAndChangesTheVersion() {
    HostBinding v1 = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    HostBinding joined =
        new HostBinding("gpu-0", "gpu", BindingPhase.JOINED, Optional.of("tvm-1"), Optional.of("10.0.0.4"), 1,
            clock.advance(Duration.ofSeconds(30)), Optional.empty(), v1.version());

    HostBinding v2 = store.putBinding(joined).orElseThrow();

    assertThat(v2.version()).isNotEqualTo(v1.version());
    assertThat(v2).isEqualTo(withVersion(joined, v2.version()));
    assertThat(store.binding("gpu-0")).contains(v2);
  }

  @Test
  void putBinding_withAStaleVersion_failsAndChangesNothing() {
    HostBinding v1 = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    HostBinding v2 = store.putBinding(v1.withPhase(BindingPhase.JOINED, clock.instant())).orElseThrow();

    assertThat(store.putBinding(v1.withPhase(BindingPhase.RELEASING, clock.instant()))).isEmpty();
    assertThat(store.binding("gpu-0")).contains(v2);
  }

  @Test
  void putBindings_writesEachOnItsOwnVersionAndRefusesOnlyTheStaleOnes() {
    HostBinding existing = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    HostBinding stale = requested("gpu-0", "gpu", 5);
    HostBinding fresh1 = requested("gpu-1", "gpu", 2);
    HostBinding joined = withNode(existing, "node-0");
    HostBinding fresh2 = requested("gpu-2", "gpu", 3);

    java.util.List<Optional<HostBinding>> out = store.putBindings(List.of(stale, fresh1, joined, fresh2));

    assertThat(out).hasSize(4);
    assertThat(out.get(0)).isEmpty();
    HostBinding s1 = out.get(1).orElseThrow();
    HostBinding s2 = out.get(2).orElseThrow();
    HostBinding s3 = out.get(3).orElseThrow();
    assertThat(s1).isEqualTo(withVersion(fresh1, s1.version()));
    assertThat(s2).isEqualTo(withVersion(joined, s2.version()));
    assertThat(s2.version()).isNotEqualTo(existing.version());
    assertThat(store.bindings()).containsOnlyKeys("gpu-0", "gpu-1", "gpu-2");
    assertThat(store.binding("gpu-0")).contains(s2);
    assertThat(store.binding("gpu-1")).contains(s1);
    assertThat(store.binding("gpu-2")).contains(s3);
    assertThat(store.putBindings(List.of())).isEmpty();
  }

  @Test
  void putBindings_areSeenByChangesSinceLikeSingleWrites() {
    StateChanges before = store.changesSince(0);
    store.putBindings(List.of(requested("gpu-0", "gpu", 1), requested("gpu-1", "gpu", 2)));

    StateChanges after = store.changesSince(before.sequence());

    assertThat(after.bindings()).containsOnlyKeys("gpu-0", "gpu-1");
    assertThat(after.bindings()).isEqualTo(store.bindings());
    if (!after.complete()) {
      assertThat(after.hosts()).containsExactlyInAnyOrder("gpu-0", "gpu-1");
      assertThat(after.sequence()).isGreaterThan(before.sequence());
    }
  }

  @Test
  void putBinding_withAVersionForAMissingBinding_fails() {
    assertThat(store.putBinding(withVersion(requested("gpu-0", "gpu", 1), 7))).isEmpty();
    assertThat(store.binding("gpu-0")).isEmpty();
  }

  @Test
  void putBinding_keepsTheProviderError() {
    ProviderError error = new ProviderError(ErrorClass.START_TASK, "StartTaskFailed", "exit code 3: join refused");
    HostBinding failed =
        new HostBinding("gpu-0", "gpu", BindingPhase.FAILED, Optional.of("tvm-1"), Optional.empty(), 4, clock.instant(),
            Optional.of(error), 0);

    HostBinding stored = store.putBinding(failed).orElseThrow();

    assertThat(store.binding("gpu-0")).contains(stored);
    assertThat(stored.error()).contains(error);
  }

  @Test
  void putBinding_afterDeleteAndRecreate_refusesAVersionFromBeforeTheDelete() {
    HostBinding old = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    assertThat(store.deleteBinding("gpu-0", old.version())).isTrue();
    HostBinding recreated = store.putBinding(requested("gpu-0", "gpu", 2)).orElseThrow();

    assertThat(store.putBinding(old.withPhase(BindingPhase.RELEASING, clock.instant()))).isEmpty();
    assertThat(store.binding("gpu-0")).contains(recreated);
  }

  @Test
  void deleteBinding_withTheCurrentVersion_removesIt() {
    HostBinding stored = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();

    assertThat(store.deleteBinding("gpu-0", stored.version())).isTrue();
    assertThat(store.binding("gpu-0")).isEmpty();
    assertThat(store.bindings()).isEmpty();
  }

  @Test
  void deleteBinding_withAStaleVersion_failsAndKeepsIt() {
    HostBinding v1 = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    HostBinding v2 = store.putBinding(v1.withPhase(BindingPhase.JOINED, clock.instant())).orElseThrow();

    assertThat(store.deleteBinding("gpu-0", v1.version())).isFalse();
    assertThat(store.binding("gpu-0")).contains(v2);
  }

  @Test
  void deleteBinding_ofAMissingHost_returnsFalse() {
    assertThat(store.deleteBinding("gpu-0", 1)).isFalse();
  }

  @Test
  void bindingsOfAPoolInAPhase_comeInIntentOrder() {
    store.putBinding(requested("gpu-2", "gpu", 30)).orElseThrow();
    store.putBinding(requested("gpu-0", "gpu", 10)).orElseThrow();
    store.putBinding(requested("gpu-1", "gpu", 20)).orElseThrow();
    store.putBinding(requested("cpu-0", "cpu", 5)).orElseThrow();
    HostBinding gpu3 = store.putBinding(requested("gpu-3", "gpu", 1)).orElseThrow();
    store.putBinding(gpu3.withPhase(BindingPhase.JOINED, clock.instant())).orElseThrow();

    assertThat(store.bindings("gpu", BindingPhase.REQUESTED)).extracting(HostBinding::host).containsExactly("gpu-0", "gpu-1", "gpu-2");
    assertThat(store.bindings("gpu", BindingPhase.JOINED)).extracting(HostBinding::host).containsExactly("gpu-3");
    assertThat(store.bindings("gpu", BindingPhase.FAILED)).isEmpty();
  }

  @Test
  void firstClaimable_isTheOldestRequestedHostWithoutANodeWhoseIntentIsUp() {
    store.recordIntents(List.of(up("gpu-0"), up("gpu-1"), up("gpu-2"), up("gpu-3"), up("cpu-0")), clock.instant());
    store.recordIntents(List.of(down("gpu-0")), clock.instant());
    store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    HostBinding gpu1 = store.putBinding(requested("gpu-1", "gpu", 2)).orElseThrow();
    store.putBinding(withNode(gpu1, "node-1")).orElseThrow();
    store.putBinding(requested("gpu-3", "gpu", 4)).orElseThrow();
    store.putBinding(requested("gpu-2", "gpu", 3)).orElseThrow();
    store.putBinding(requested("cpu-0", "cpu", 0)).orElseThrow();
    store.putBinding(requested("gpu-9", "gpu", 0)).orElseThrow();

    // gpu-0's latest intent is DOWN, gpu-1 has a node, gpu-9 has no intent at all.
    assertThat(store.firstClaimable("gpu")).map(HostBinding::host).contains("gpu-2");
    assertThat(store.firstClaimable("cpu")).map(HostBinding::host).contains("cpu-0");
    assertThat(store.firstClaimable("none")).isEmpty();
  }

  @Test
  void putBindingWithEvents_whenStored_appendsTheEvents() {
    HostEvent joined = HostEvent.ofHost(clock.instant(), "gpu-0", "gpu", "joined", "node-1 claimed gpu-0");

    HostBinding stored = store.putBinding(requested("gpu-0", "gpu", 1), List.of(joined)).orElseThrow();

    assertThat(store.binding("gpu-0")).contains(stored);
    assertThat(store.hostEvents("gpu-0", 10)).extracting(HostEvent::kind).containsExactly("joined");
  }

  @Test
  void putBindingWithEvents_whenTheCompareFails_appendsNothing() {
    HostBinding stored = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    HostEvent joined = HostEvent.ofHost(clock.instant(), "gpu-0", "gpu", "joined", "node-1 claimed gpu-0");

    assertThat(store.putBinding(withVersion(withNode(stored, "node-1"), stored.version() + 1000), List.of(joined))).isEmpty();

    assertThat(store.binding("gpu-0")).contains(stored);
    assertThat(store.hostEvents("gpu-0", 10)).isEmpty();
  }

  @Test
  void changesSince_zero_isCompleteAndHoldsEverything() {
    store.recordIntents(List.of(up("gpu-0"), up("gpu-1")), clock.instant());
    HostBinding b = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();

    StateChanges all = store.changesSince(0);

    assertThat(all.complete()).isTrue();
    assertThat(all.intents()).isEqualTo(store.intents());
    assertThat(all.bindings()).containsExactly(java.util.Map.entry("gpu-0", b));
  }

  @Test
  void changesSince_aSequence_bringsACopyUpToDateThroughWritesAndDeletes() {
    store.recordIntents(List.of(up("gpu-0"), up("gpu-1"), up("gpu-2")), clock.instant());
    HostBinding gpu0 = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    HostBinding gpu1 = store.putBinding(requested("gpu-1", "gpu", 2)).orElseThrow();
    StateChanges first = store.changesSince(0);
    java.util.Map<String, HostIntent> intents = new java.util.HashMap<>(first.intents());
    java.util.Map<String, HostBinding> bindings = new java.util.HashMap<>(first.bindings());

    store.recordIntents(List.of(down("gpu-2"), up("gpu-3")), clock.instant());
    store.putBinding(withNode(gpu0, "node-0")).orElseThrow();
    assertThat(store.deleteBinding("gpu-1", gpu1.version())).isTrue();
    StateChanges next = store.changesSince(first.sequence());
    assertThat(next.complete()).isEqualTo(!tracksChanges());
    if (!next.complete()) {
      assertThat(next.sequence()).isGreaterThan(first.sequence());
      // Only what changed, and gpu-1 is listed although its binding is gone.
      assertThat(next.hosts()).containsExactlyInAnyOrder("gpu-0", "gpu-1", "gpu-2", "gpu-3");
      assertThat(next.bindings()).doesNotContainKey("gpu-1");
    }
    apply(next, intents, bindings);

    assertThat(intents).isEqualTo(store.intents());
    assertThat(bindings).isEqualTo(store.bindings());
  }

  @Test
  void changesSince_theLatestSequence_isEmptyWhenNothingWasWritten() {
    store.recordIntents(List.of(up("gpu-0")), clock.instant());
    StateChanges first = store.changesSince(0);
    store.putPool(PoolRecord.initial("gpu")).orElseThrow();
    store.appendEvents(List.of(HostEvent.ofPool(clock.instant(), "gpu", "note", "pools and events are no intent or binding")));

    StateChanges again = store.changesSince(first.sequence());

    assertThat(again.complete()).isEqualTo(!tracksChanges());
    if (!again.complete()) {
      assertThat(again.hosts()).isEmpty();
      assertThat(again.sequence()).isEqualTo(first.sequence());
    }
  }

  @Test
  void changesSince_aFailedWrite_isNoChange() {
    store.recordIntents(List.of(up("gpu-0")), clock.instant());
    HostBinding b = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    StateChanges first = store.changesSince(0);

    assertThat(store.putBinding(withVersion(b, b.version() + 1000))).isEmpty();
    assertThat(store.deleteBinding("gpu-0", b.version() + 1000)).isFalse();
    assertThatThrownBy(() -> store.recordIntents(List.of(up("gpu-1"), new IntentRequest("", "gpu", Intent.UP, IntentSource.RESUME, List.of())),
        clock.instant())).isInstanceOf(IllegalArgumentException.class);
    StateChanges again = store.changesSince(first.sequence());

    assertThat(again.complete()).isEqualTo(!tracksChanges());
    if (!again.complete()) {
      assertThat(again.hosts()).isEmpty();
    }
  }

  @Test
  void changesSince_followedByWritesFromAnotherHandle_seesThemAll() throws Exception {
    StateStore other = secondHandle();
    java.util.Map<String, HostIntent> intents = new java.util.HashMap<>();
    java.util.Map<String, HostBinding> bindings = new java.util.HashMap<>();
    long sequence = 0;
    // Another handle writes while this one reads changes; the copy must converge to the store.
    Future<?> writer;
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      writer = pool.submit(() -> {
        for (int i = 0; i < 40; i++) {
          other.recordIntents(List.of(up("gpu-" + i)), clock.instant());
          other.putBinding(requested("gpu-" + i, "gpu", i)).orElseThrow();
          if (i % 3 == 0) {
            HostBinding b = other.binding("gpu-" + i).orElseThrow();
            other.deleteBinding(b.host(), b.version());
          }
        }
        return null;
      });
      while (!writer.isDone()) {
        StateChanges c = store.changesSince(sequence);
        apply(c, intents, bindings);
        sequence = c.sequence();
      }
      writer.get(RACE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    apply(store.changesSince(sequence), intents, bindings);

    assertThat(intents).isEqualTo(store.intents());
    assertThat(bindings).isEqualTo(store.bindings());
  }

  /** What a reader of changes does with them (as the reconciler's copy does). */
  private static void apply(StateChanges c, java.util.Map<String, HostIntent> intents, java.util.Map<String, HostBinding> bindings) {
    if (c.complete()) {
      intents.clear();
      bindings.clear();
      intents.putAll(c.intents());
      bindings.putAll(c.bindings());
      return;
    }
    for (String host : c.hosts()) {
      if (c.intents().containsKey(host)) {
        intents.put(host, c.intents().get(host));
      } else {
        intents.remove(host);
      }
      if (c.bindings().containsKey(host)) {
        bindings.put(host, c.bindings().get(host));
      } else {
        bindings.remove(host);
      }
    }
  }

  private HostBinding withNode(HostBinding b, String nodeId) {
    return new HostBinding(b.host(), b.poolId(), BindingPhase.JOINED, Optional.of(nodeId), Optional.of("10.0.0.1"), b.intentSeq(),
        clock.instant(), b.error(), b.version());
  }

  @Test
  void putBinding_whenTwoThreadsRaceWithTheSameVersion_exactlyOneWins() throws Exception {
    StateStore other = secondHandle();
    for (int round = 0; round < 25; round++) {
      String host = "gpu-" + round;
      HostBinding base = store.putBinding(requested(host, "gpu", round)).orElseThrow();
      HostBinding mine = new HostBinding(host, "gpu", BindingPhase.JOINED, Optional.of("node-a"), Optional.empty(), round,
          clock.instant(), Optional.empty(), base.version());
      HostBinding theirs = new HostBinding(host, "gpu", BindingPhase.JOINED, Optional.of("node-b"), Optional.empty(), round,
          clock.instant(), Optional.empty(), base.version());

      List<Optional<HostBinding>> results = race(List.of(() -> store.putBinding(mine), () -> other.putBinding(theirs)));

      assertThat(results).filteredOn(Optional::isPresent).hasSize(1);
      HostBinding winner = results.stream().flatMap(Optional::stream).findFirst().orElseThrow();
      assertThat(store.binding(host)).contains(winner);
    }
  }

  @Test
  void putBinding_readModifyWriteLoopsOnManyThreads_loseNoUpdate() throws Exception {
    store.putBinding(requested("gpu-0", "gpu", 0)).orElseThrow();
    int threads = 4;
    int incrementsPerThread = 25;
    List<Callable<Integer>> incrementers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      StateStore handle = t % 2 == 0 ? store : secondHandle();
      incrementers.add(
          () -> {
            int conflicts = 0;
            for (int done = 0; done < incrementsPerThread; ) {
              HostBinding current = handle.binding("gpu-0").orElseThrow();
              HostBinding next = new HostBinding(current.host(), current.poolId(), current.phase(), current.nodeId(),
                  current.address(), current.intentSeq() + 1, current.since(), current.error(), current.version());
              if (handle.putBinding(next).isPresent()) {
                done++;
              } else {
                conflicts++;
              }
            }
            return conflicts;
          });
    }

    race(incrementers);

    assertThat(store.binding("gpu-0").orElseThrow().intentSeq()).isEqualTo(threads * incrementsPerThread);
  }

  // ------------------------------------------------------------------ pools

  @Test
  void putPool_withVersionZero_createsItAndKeepsEveryField() {
    Instant started = clock.instant();
    Instant until = clock.instant().plus(Duration.ofMinutes(4));
    PoolRecord pool = new PoolRecord("gpu", new PoolTarget(3, 2), Optional.of(started),
        new Backoff(2, Optional.of(until), Optional.of(ErrorClass.CAPACITY), Optional.of("AllocationFailed")), 0);

    PoolRecord stored = store.putPool(pool).orElseThrow();

    assertThat(stored.version()).isPositive();
    assertThat(stored).isEqualTo(new PoolRecord("gpu", pool.requested(), pool.resizeStartedAt(), pool.backoff(), stored.version()));
    assertThat(store.pools()).containsOnlyKeys("gpu").containsEntry("gpu", stored);
  }

  @Test
  void putPool_withEmptyOptionals_roundTrips() {
    PoolRecord stored = store.putPool(PoolRecord.initial("cpu")).orElseThrow();

    assertThat(store.pools().get("cpu")).isEqualTo(stored);
    assertThat(stored.resizeStartedAt()).isEmpty();
    assertThat(stored.backoff()).isEqualTo(Backoff.NONE);
  }

  @Test
  void putPool_withAStaleVersion_failsAndChangesNothing() {
    PoolRecord v1 = store.putPool(PoolRecord.initial("gpu")).orElseThrow();
    PoolRecord v2 = store.putPool(new PoolRecord("gpu", new PoolTarget(4, 0), Optional.of(clock.instant()), Backoff.NONE,
        v1.version())).orElseThrow();

    assertThat(store.putPool(new PoolRecord("gpu", new PoolTarget(9, 9), Optional.empty(), Backoff.NONE, v1.version()))).isEmpty();
    assertThat(store.putPool(PoolRecord.initial("gpu"))).isEmpty();
    assertThat(store.pools().get("gpu")).isEqualTo(v2);
    assertThat(v2.version()).isNotEqualTo(v1.version());
  }

  @Test
  void putPool_whenTwoThreadsRaceWithTheSameVersion_exactlyOneWins() throws Exception {
    StateStore other = secondHandle();
    PoolRecord base = store.putPool(PoolRecord.initial("gpu")).orElseThrow();
    for (int round = 1; round <= 20; round++) {
      PoolRecord current = store.pools().get("gpu");
      PoolRecord mine = new PoolRecord("gpu", new PoolTarget(round, 0), Optional.empty(), Backoff.NONE, current.version());
      PoolRecord theirs = new PoolRecord("gpu", new PoolTarget(0, round), Optional.empty(), Backoff.NONE, current.version());

      List<Optional<PoolRecord>> results = race(List.of(() -> store.putPool(mine), () -> other.putPool(theirs)));

      assertThat(results).filteredOn(Optional::isPresent).hasSize(1);
    }
    assertThat(store.pools().get("gpu").version()).isNotEqualTo(base.version());
  }

  // ------------------------------------------------------------------ events

  @Test
  void hostEvents_returnsOnlyThatHostsEventsOldestFirstWithIds() {
    store.appendEvents(List.of(
        HostEvent.ofHost(clock.instant(), "gpu-0", "gpu", "resume-requested", "job 41"),
        HostEvent.ofHost(clock.advance(Duration.ofSeconds(1)), "gpu-1", "gpu", "resume-requested", "job 41"),
        HostEvent.ofPool(clock.advance(Duration.ofSeconds(1)), "gpu", "resized", "target 2/0")));
    store.appendEvents(List.of(HostEvent.ofHost(clock.advance(Duration.ofSeconds(1)), "gpu-0", "gpu", "joined", "node tvm-1")));

    List<HostEvent> events = store.hostEvents("gpu-0", 10);

    assertThat(events).extracting(HostEvent::kind).containsExactly("resume-requested", "joined");
    assertThat(events).extracting(HostEvent::host).containsOnly(Optional.of("gpu-0"));
    assertThat(events.get(0).id()).isPositive();
    assertThat(events.get(1).id()).isGreaterThan(events.get(0).id());
    assertThat(events.get(1).at()).isEqualTo(clock.instant());
    assertThat(events.get(1).message()).isEqualTo("node tvm-1");
  }

  @Test
  void hostEvents_withALimit_returnsTheNewestOldestFirst() {
    List<HostEvent> events = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      events.add(HostEvent.ofHost(clock.advance(Duration.ofSeconds(1)), "gpu-0", "gpu", "k" + i, "m" + i));
    }
    store.appendEvents(events);

    assertThat(store.hostEvents("gpu-0", 3)).extracting(HostEvent::kind).containsExactly("k7", "k8", "k9");
  }

  @Test
  void events_withEqualTimes_keepAppendOrder() {
    Instant at = clock.instant();
    store.appendEvents(List.of(HostEvent.ofHost(at, "gpu-0", "gpu", "first", "")));
    store.appendEvents(List.of(HostEvent.ofHost(at, "gpu-0", "gpu", "second", ""), HostEvent.ofHost(at, "gpu-0", "gpu", "third", "")));

    assertThat(store.hostEvents("gpu-0", 10)).extracting(HostEvent::kind).containsExactly("first", "second", "third");
    assertThat(store.hostEvents("gpu-0", 2)).extracting(HostEvent::kind).containsExactly("second", "third");
  }

  @Test
  void events_appendedOutOfTimeOrder_comeBackInTimeOrder() {
    Instant early = clock.instant();
    Instant late = clock.advance(Duration.ofMinutes(1));
    store.appendEvents(List.of(HostEvent.ofHost(late, "gpu-0", "gpu", "late", "")));
    store.appendEvents(List.of(HostEvent.ofHost(early, "gpu-0", "gpu", "early", "")));

    assertThat(store.hostEvents("gpu-0", 10)).extracting(HostEvent::kind).containsExactly("early", "late");
  }

  @Test
  void poolEvents_includeThePoolsOwnAndItsHostsButNoOtherPools() {
    store.appendEvents(List.of(
        HostEvent.ofHost(clock.advance(Duration.ofSeconds(1)), "gpu-0", "gpu", "joined", ""),
        HostEvent.ofPool(clock.advance(Duration.ofSeconds(1)), "gpu", "resized", ""),
        HostEvent.ofPool(clock.advance(Duration.ofSeconds(1)), "cpu", "resized", ""),
        HostEvent.ofHost(clock.advance(Duration.ofSeconds(1)), "cpu-0", "cpu", "joined", "")));

    List<HostEvent> gpu = store.poolEvents("gpu", 10);

    assertThat(gpu).extracting(HostEvent::kind).containsExactly("joined", "resized");
    assertThat(gpu).extracting(HostEvent::poolId).containsOnly("gpu");
    assertThat(gpu.get(1).host()).isEmpty();
    assertThat(store.poolEvents("gpu", 1)).extracting(HostEvent::kind).containsExactly("resized");
  }

  @Test
  void events_ofAnUnknownHostOrPool_areEmpty() {
    assertThat(store.hostEvents("nobody", 5)).isEmpty();
    assertThat(store.poolEvents("nothing", 5)).isEmpty();
  }

  @Test
  void deleteEventsBefore_deletesOnlyOlderEventsAndKeepsTheRecentHistory() {
    Instant start = clock.instant();
    store.appendEvents(List.of(
        HostEvent.ofHost(start, "gpu-0", "gpu", "old-host", ""),
        HostEvent.ofPool(start.plusSeconds(1), "gpu", "old-pool", "")));
    Instant cutoff = clock.advance(Duration.ofDays(8));
    store.appendEvents(List.of(
        HostEvent.ofHost(cutoff, "gpu-0", "gpu", "at-cutoff", ""),
        HostEvent.ofHost(clock.advance(Duration.ofSeconds(1)), "gpu-0", "gpu", "new-host", ""),
        HostEvent.ofPool(clock.instant(), "gpu", "new-pool", "")));

    assertThat(store.deleteEventsBefore(cutoff, 100)).isEqualTo(2);

    assertThat(store.hostEvents("gpu-0", 10)).extracting(HostEvent::kind).containsExactly("at-cutoff", "new-host");
    assertThat(store.poolEvents("gpu", 10)).extracting(HostEvent::kind).containsExactly("at-cutoff", "new-host", "new-pool");
    assertThat(store.deleteEventsBefore(cutoff, 100)).isZero();
  }

  @Test
  void deleteEventsBefore_withALimit_deletesABacklogOverSeveralCalls() {
    List<HostEvent> old = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      old.add(HostEvent.ofHost(clock.advance(Duration.ofSeconds(1)), "gpu-" + (i % 3), "gpu", "k" + i, ""));
    }
    store.appendEvents(old);
    Instant cutoff = clock.advance(Duration.ofSeconds(1));
    store.appendEvents(List.of(HostEvent.ofHost(cutoff, "gpu-0", "gpu", "kept", "")));

    List<Integer> deleted = new ArrayList<>();
    for (int n = store.deleteEventsBefore(cutoff, 3); n > 0; n = store.deleteEventsBefore(cutoff, 3)) {
      deleted.add(n);
    }

    assertThat(deleted).containsExactly(3, 3, 1);
    assertThat(store.poolEvents("gpu", 100)).extracting(HostEvent::kind).containsExactly("kept");
  }

  @Test
  void deleteEventsBefore_withANonPositiveLimit_isRefused() {
    assertThatThrownBy(() -> store.deleteEventsBefore(clock.instant(), 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void eventIds_afterOldEventsWereDeleted_keepIncreasing() {
    store.appendEvents(List.of(HostEvent.ofHost(clock.instant(), "gpu-0", "gpu", "old", "")));
    long oldId = store.hostEvents("gpu-0", 1).get(0).id();
    store.deleteEventsBefore(clock.advance(Duration.ofMinutes(1)), 10);

    store.appendEvents(List.of(HostEvent.ofHost(clock.instant(), "gpu-0", "gpu", "new", "")));

    assertThat(store.hostEvents("gpu-0", 10)).singleElement().satisfies(e -> assertThat(e.id()).isGreaterThan(oldId));
  }

  // ------------------------------------------------------------------ activity (the daemon's idle poll)

  @Test
  void activity_ofAnEmptyStore_isZeroWithoutJoinedHosts() {
    assertThat(store.activity().intentSequence()).isZero();
    assertThat(store.activity().joinedHosts()).isEmpty();
  }

  @Test
  void activity_intentSequence_isTheNewestSequenceHandedOut() {
    List<HostIntent> first = store.recordIntents(List.of(up("gpu-0"), up("gpu-1")), clock.instant());
    assertThat(store.activity().intentSequence()).isEqualTo(first.get(1).seq());

    List<HostIntent> second = store.recordIntents(List.of(down("gpu-0")), clock.instant());

    assertThat(store.activity().intentSequence()).isEqualTo(second.get(0).seq()).isGreaterThan(first.get(1).seq());
  }

  @Test
  void activity_intentSequence_doesNotChangeWithBindingsPoolsOrEvents() {
    store.recordIntents(List.of(up("gpu-0")), clock.instant());
    long before = store.activity().intentSequence();

    store.putBinding(requested("gpu-0", "gpu", before)).orElseThrow();
    store.putPool(PoolRecord.initial("gpu")).orElseThrow();
    store.appendEvents(List.of(HostEvent.ofHost(clock.instant(), "gpu-0", "gpu", "x", "")));

    assertThat(store.activity().intentSequence()).isEqualTo(before);
  }

  @Test
  void activity_joinedHosts_followBindingsIntoAndOutOfJoined() {
    HostBinding a = store.putBinding(requested("gpu-0", "gpu", 1)).orElseThrow();
    HostBinding b = store.putBinding(requested("gpu-1", "gpu", 2)).orElseThrow();
    store.putBinding(requested("cpu-0", "cpu", 3)).orElseThrow();
    HostBinding aJoined = store.putBinding(withNode(a, "node-a").withPhase(BindingPhase.JOINED, clock.instant())).orElseThrow();
    HostBinding bJoined = store.putBinding(withNode(b, "node-b").withPhase(BindingPhase.JOINED, clock.instant())).orElseThrow();

    assertThat(store.activity().joinedHosts()).containsExactlyInAnyOrder("gpu-0", "gpu-1");

    store.putBinding(aJoined.withPhase(BindingPhase.REGISTERED, clock.instant())).orElseThrow();
    store.deleteBinding("gpu-1", bJoined.version());

    assertThat(store.activity().joinedHosts()).isEmpty();
  }

  @Test
  void events_withANonPositiveLimit_areRefused() {
    assertThatThrownBy(() -> store.hostEvents("gpu-0", 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.poolEvents("gpu", -1)).isInstanceOf(IllegalArgumentException.class);
  }

  // ------------------------------------------------------------------ leases

  private static final Duration TTL = Duration.ofSeconds(15);

  @Test
  void acquireLease_whenFree_grantsItUntilNowPlusTtl() {
    Lease lease = store.acquireLease("leader", "daemon-a", TTL, clock.instant()).orElseThrow();

    assertThat(lease.holder()).isEqualTo("daemon-a");
    assertThat(lease.name()).isEqualTo("leader");
    assertThat(lease.fencingToken()).isPositive();
    assertThat(lease.expiresAt()).isEqualTo(clock.instant().plus(TTL));
    assertThat(store.lease("leader")).contains(lease);
  }

  @Test
  void acquireLease_byTheHolder_renewsWithTheSameToken() {
    Lease first = store.acquireLease("leader", "daemon-a", TTL, clock.instant()).orElseThrow();

    Lease renewed = store.acquireLease("leader", "daemon-a", TTL, clock.advance(Duration.ofSeconds(10))).orElseThrow();

    assertThat(renewed.fencingToken()).isEqualTo(first.fencingToken());
    assertThat(renewed.expiresAt()).isEqualTo(clock.instant().plus(TTL));
  }

  @Test
  void acquireLease_whileAnotherHoldsIt_isRefusedAndChangesNothing() {
    Lease held = store.acquireLease("leader", "daemon-a", TTL, clock.instant()).orElseThrow();

    assertThat(store.acquireLease("leader", "daemon-b", TTL, clock.advance(Duration.ofSeconds(14)))).isEmpty();
    assertThat(store.lease("leader")).contains(held);
  }

  @Test
  void acquireLease_afterExpiry_letsAnotherTakeOverWithAHigherToken() {
    Lease old = store.acquireLease("leader", "daemon-a", TTL, clock.instant()).orElseThrow();
    clock.advance(TTL);

    Lease taken = store.acquireLease("leader", "daemon-b", TTL, clock.instant()).orElseThrow();

    assertThat(taken.holder()).isEqualTo("daemon-b");
    assertThat(taken.fencingToken()).isGreaterThan(old.fencingToken());
    assertThat(store.acquireLease("leader", "daemon-a", TTL, clock.advance(Duration.ofSeconds(1)))).isEmpty();
  }

  @Test
  void acquireLease_byTheHolderAfterItsOwnExpiry_keepsTheTokenWhenNobodyElseTookIt() {
    Lease first = store.acquireLease("leader", "daemon-a", TTL, clock.instant()).orElseThrow();

    Lease again = store.acquireLease("leader", "daemon-a", TTL, clock.advance(TTL.multipliedBy(3))).orElseThrow();

    assertThat(again.fencingToken()).isEqualTo(first.fencingToken());
  }

  @Test
  void fencingToken_increasesWithEveryChangeOfHolder() {
    long previous = 0;
    String[] holders = {"a", "b", "a", "c", "b"};
    for (String holder : holders) {
      Lease lease = store.acquireLease("leader", holder, TTL, clock.instant()).orElseThrow();
      assertThat(lease.fencingToken()).isGreaterThan(previous);
      previous = lease.fencingToken();
      clock.advance(TTL);
    }
  }

  @Test
  void releaseLease_byTheHolder_freesItAndTheNextHolderGetsAHigherToken() {
    Lease first = store.acquireLease("leader", "daemon-a", TTL, clock.instant()).orElseThrow();

    store.releaseLease("leader", "daemon-a");

    assertThat(store.lease("leader")).isEmpty();
    Lease next = store.acquireLease("leader", "daemon-b", TTL, clock.advance(Duration.ofSeconds(1))).orElseThrow();
    assertThat(next.fencingToken()).isGreaterThan(first.fencingToken());
  }

  @Test
  void releaseLease_byTheOldHolderAfterATakeover_doesNotTouchTheNewHolder() {
    store.acquireLease("leader", "daemon-a", TTL, clock.instant()).orElseThrow();
    Lease taken = store.acquireLease("leader", "daemon-b", TTL, clock.advance(TTL)).orElseThrow();

    store.releaseLease("leader", "daemon-a");

    assertThat(store.lease("leader")).contains(taken);
  }

  @Test
  void lease_thatExpired_isStillReportedWithItsExpiry() {
    Lease lease = store.acquireLease("leader", "daemon-a", TTL, clock.instant()).orElseThrow();
    clock.advance(TTL.multipliedBy(2));

    assertThat(store.lease("leader")).contains(lease);
  }

  @Test
  void leases_withDifferentNames_areIndependent() {
    assertThat(store.acquireLease("leader", "daemon-a", TTL, clock.instant())).isPresent();
    assertThat(store.acquireLease("janitor", "daemon-b", TTL, clock.instant())).isPresent();
    assertThat(store.lease("nothing")).isEmpty();
  }

  @Test
  void acquireLease_whenManyRaceForAFreeLease_grantsItToExactlyOne() throws Exception {
    StateStore other = secondHandle();
    List<Callable<Optional<Lease>>> contenders = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      StateStore handle = i % 2 == 0 ? store : other;
      String holder = "daemon-" + i;
      contenders.add(() -> handle.acquireLease("leader", holder, TTL, clock.instant()));
    }

    List<Optional<Lease>> results = race(contenders);

    assertThat(results).filteredOn(Optional::isPresent).hasSize(1);
  }

  // ------------------------------------------------------------------ helpers

  protected static IntentRequest up(String host) {
    return new IntentRequest(host, poolOf(host), Intent.UP, IntentSource.RESUME, List.of("1"));
  }

  protected static IntentRequest down(String host) {
    return new IntentRequest(host, poolOf(host), Intent.DOWN, IntentSource.SUSPEND, List.of());
  }

  private static String poolOf(String host) {
    int dash = host.indexOf('-');
    return dash < 0 ? host : host.substring(0, dash);
  }

  protected HostBinding requested(String host, String poolId, long intentSeq) {
    return new HostBinding(host, poolId, BindingPhase.REQUESTED, Optional.empty(), Optional.empty(), intentSeq, clock.instant(),
        Optional.empty(), 0);
  }

  protected static HostBinding withVersion(HostBinding b, long version) {
    return new HostBinding(b.host(), b.poolId(), b.phase(), b.nodeId(), b.address(), b.intentSeq(), b.since(), b.error(), version);
  }

  /** Starts every task at the same moment on its own thread and returns their results in order. */
  protected static <T> List<T> race(List<Callable<T>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      CountDownLatch ready = new CountDownLatch(tasks.size());
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> task : tasks) {
        futures.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          return task.call();
        }));
      }
      ready.await(RACE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      go.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(RACE_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
