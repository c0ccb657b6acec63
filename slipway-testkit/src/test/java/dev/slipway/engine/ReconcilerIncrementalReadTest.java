package dev.slipway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.SlurmHostState.Power;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.NodeType;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostIntent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The reconciler's copy of intents and bindings: read whole at the first pass and when it cannot
 * be trusted, otherwise brought up to date with only what changed, and always equal to what a
 * full read would give. Slurm's host states likewise: read whole every
 * {@link Reconciler#WHOLE_SLURM_READ_EVERY}, and in between only for the hosts with news.
 */
class ReconcilerIncrementalReadTest {
  private static PoolTopology pool(String id, int max) {
    return new PoolTopology(id, id, max, NodeType.DEDICATED, "batch", 1, Set.of());
  }

  @Test
  void passes_readEverythingOnceAndThenOnlyWhatChanged() {
    World w = new World(pool("gpu", 4));
    w.resume("gpu-0", "gpu-1");

    w.cycle(Duration.ofSeconds(30));
    w.cycle(Duration.ofSeconds(30));
    w.suspend("gpu-0");
    w.cycle(Duration.ofSeconds(30));

    assertThat(w.reconciler.fullReads()).isEqualTo(1);
    assertThat(w.bindings(BindingPhase.REGISTERED)).isEqualTo(1);
  }

  @Test
  void snapshot_afterWritesByTheJoinServiceHooksAndOthers_equalsAFullRead() {
    World w = new World(pool("gpu", 8), pool("cpu", 8));
    Random random = new Random(7);
    // An empty store has no change sequence yet, so reads stay whole until the first write.
    w.resume("gpu-0");
    // 45 steps of a pass and a snapshot each stay below the periodic full read.
    for (int step = 0; step < 45; step++) {
      String host = (random.nextBoolean() ? "gpu-" : "cpu-") + random.nextInt(8);
      switch (random.nextInt(5)) {
        case 0 -> w.resume(host);
        case 1 -> w.suspend(host);
        case 2 -> w.provide();
        case 3 -> w.store.binding(host).ifPresent(b -> w.store.deleteBinding(host, b.version()));
        default -> w.clock.advance(Duration.ofSeconds(random.nextInt(40)));
      }
      w.pass();
      Snapshot incremental = w.reconciler.snapshot(w.clock.instant(), new ArrayList<>());
      Reconciler fresh = new Reconciler(w.store, w.provider, w.slurm, w.topology, World.TIMINGS, w.clock, e -> { }, EngineListener.NONE);
      Snapshot full = fresh.snapshot(w.clock.instant(), new ArrayList<>());

      assertThat(incremental.intents()).as("step %d", step).isEqualTo(full.intents());
      assertThat(incremental.bindings()).as("step %d", step).isEqualTo(full.bindings());
    }
    assertThat(w.reconciler.fullReads()).isEqualTo(1);
  }

  @Test
  void everyHundredthPass_readsEverything() {
    World w = new World(pool("gpu", 2));
    w.resume("gpu-0");

    for (int i = 0; i < Reconciler.FULL_READ_EVERY; i++) {
      w.pass();
    }
    assertThat(w.reconciler.fullReads()).isEqualTo(1);
    w.pass();

    assertThat(w.reconciler.fullReads()).as("pass %d", Reconciler.FULL_READ_EVERY + 1).isEqualTo(2);
  }

  @Test
  void passThatFindsLeadershipLost_makesTheNextPassReadEverything() {
    World w = new World(pool("gpu", 2));
    AtomicBoolean leading = new AtomicBoolean(true);
    Reconciler r = new Reconciler(w.store, w.provider, w.slurm, w.topology, World.TIMINGS, w.clock, w.events::add,
        EngineListener.NONE, leading::get);
    w.resume("gpu-0");
    r.pass();
    r.pass();
    leading.set(false);
    r.pass();
    leading.set(true);

    assertThat(r.fullReads()).isEqualTo(1);
    r.pass();

    assertThat(r.fullReads()).isEqualTo(2);
  }

  @Test
  void resync_makesTheNextPassReadEverything() {
    World w = new World(pool("gpu", 2));
    w.resume("gpu-0");
    w.pass();
    w.pass();

    w.reconciler.resync();
    w.pass();

    assertThat(w.reconciler.fullReads()).isEqualTo(2);
  }

  @Test
  void lostStore_isReadWholeAndTheBindingsItForgotAreGone() {
    World w = new World(pool("gpu", 2));
    w.resume("gpu-0");
    w.pass();
    assertThat(w.store.binding("gpu-0")).map(HostBinding::phase).contains(BindingPhase.REQUESTED);

    w.store.wipe();
    Snapshot s = w.reconciler.snapshot(w.clock.instant(), new ArrayList<>());

    assertThat(s.bindings()).isEmpty();
    assertThat(s.intents()).isEmpty();
    assertThat(w.reconciler.fullReads()).isEqualTo(2);
    assertThat(w.store.binding("gpu-0")).isEqualTo(Optional.empty());
  }

  @Test
  void slurmRead_betweenWholeReads_asksOnlyTheHostsWithNews() {
    World w = new World(pool("gpu", 4));
    w.resume("gpu-0");
    w.pass();
    assertThat(w.slurm.reads).last().as("first pass: whole").isEqualTo(Set.of("gpu-0", "gpu-1", "gpu-2", "gpu-3"));

    w.clock.advance(Duration.ofSeconds(1));
    w.resume("gpu-1");
    w.pass();
    // gpu-0: its REQUESTED binding was written by the last pass; gpu-1: a new intent.
    assertThat(w.slurm.reads).last().isEqualTo(Set.of("gpu-0", "gpu-1"));

    w.clock.advance(Duration.ofSeconds(1));
    w.pass();
    assertThat(w.slurm.reads).last().isEqualTo(Set.of("gpu-1"));
    int readsSoFar = w.slurm.reads.size();

    w.clock.advance(Duration.ofSeconds(1));
    w.pass();
    assertThat(w.slurm.reads).as("nothing moved: no read at all").hasSize(readsSoFar);

    w.clock.advance(Reconciler.WHOLE_SLURM_READ_EVERY);
    w.pass();
    assertThat(w.slurm.reads).last().as("the period came: whole").isEqualTo(Set.of("gpu-0", "gpu-1", "gpu-2", "gpu-3"));
    assertThat(w.reconciler.wholeSlurmReads()).isEqualTo(2);
  }

  @Test
  void joinedHost_isReadEveryPass_soRegistrationIsSeenWithoutWaitingForAWholeRead() {
    World w = new World(pool("gpu", 4));
    w.resume("gpu-0");
    w.pass();
    w.clock.advance(Duration.ofSeconds(1));
    w.pass();
    w.provide();
    w.pass();
    w.clock.advance(Duration.ofSeconds(1));
    w.pass();
    assertThat(w.store.binding("gpu-0")).map(HostBinding::phase).contains(BindingPhase.REGISTERED);
    assertThat(w.reconciler.wholeSlurmReads()).as("all within one period").isEqualTo(1);
  }

  @Test
  void hostResumedAfterTheLastWholeRead_isReadBeforeItIsPlanned_notReleasedOnItsOldPoweredDownState() {
    World w = new World(pool("gpu", 4));
    w.resume("gpu-0");
    w.pass();
    // gpu-1 was POWERED_DOWN at the whole read; slurmctld resumes it and the hook records UP.
    w.clock.advance(Duration.ofSeconds(2));
    w.resume("gpu-1");
    w.pass();
    w.clock.advance(Duration.ofSeconds(2));
    w.pass();

    assertThat(w.store.binding("gpu-1")).map(HostBinding::phase).contains(BindingPhase.REQUESTED);
    assertThat(w.events).noneMatch(e -> e.message().contains("gpu-1 released"));
  }

  @Test
  void hostsSentASlurmUpdate_areReadAgainAtTheNextPass() {
    World w = new World(pool("gpu", 4));
    w.pools.get("gpu").capacity(0);
    w.resume("gpu-0", "gpu-1");
    w.pass();
    w.provide();
    w.clock.advance(Duration.ofSeconds(1));
    w.pass();
    List<String> updated = w.slurm.updates.stream().flatMap(u -> u.hosts().stream()).distinct().toList();
    assertThat(updated).as("capacity refusal marks the hosts down").contains("gpu-0", "gpu-1");
    int before = w.slurm.reads.size();

    w.clock.advance(Duration.ofSeconds(1));
    w.pass();

    assertThat(w.slurm.reads).hasSizeGreaterThan(before);
    assertThat(w.slurm.reads.get(before)).containsAll(updated);
    assertThat(w.slurm.state("gpu-0").down()).isTrue();
    assertThat(w.reconciler.wholeSlurmReads()).isEqualTo(1);
  }

  @Test
  void failedSlurmRead_makesTheNextReadWhole() {
    World w = new World(pool("gpu", 4));
    w.resume("gpu-0");
    w.pass();
    w.slurm.unreachable(true);
    w.clock.advance(Duration.ofSeconds(1));
    w.resume("gpu-1");
    w.pass();
    w.slurm.unreachable(false);
    w.clock.advance(Duration.ofSeconds(1));
    w.pass();

    assertThat(w.slurm.reads).last().isEqualTo(Set.of("gpu-0", "gpu-1", "gpu-2", "gpu-3"));
    assertThat(w.reconciler.wholeSlurmReads()).isEqualTo(2);
  }

  @Test
  void snapshot_showsSlurmAsReadAfterTheStoreForEveryHostWithNews() {
    // Random histories: in every snapshot, each host whose intent or binding changed since the
    // previous snapshot has the Slurm state of now (read after the store), whatever the period.
    World w = new World(pool("gpu", 8), pool("cpu", 8));
    Random random = new Random(11);
    w.resume("gpu-0");
    w.pass();
    Map<String, HostIntent> intentsSeen = Map.copyOf(w.store.intents());
    Map<String, HostBinding> bindingsSeen = Map.copyOf(w.store.bindings());
    for (int step = 0; step < 300; step++) {
      String host = (random.nextBoolean() ? "gpu-" : "cpu-") + random.nextInt(8);
      switch (random.nextInt(6)) {
        case 0 -> w.resume(host);
        case 1 -> w.suspend(host);
        case 2 -> w.provide();
        case 3 -> w.slurm.power(host, Power.POWERED_UP, random.nextBoolean(), Optional.empty());
        case 4 -> w.pass();
        default -> w.clock.advance(Duration.ofSeconds(random.nextInt(6)));
      }
      Set<String> news = new HashSet<>();
      for (Map.Entry<String, HostIntent> e : w.store.intents().entrySet()) {
        if (!e.getValue().equals(intentsSeen.get(e.getKey()))) {
          news.add(e.getKey());
        }
      }
      for (Map.Entry<String, HostBinding> e : w.store.bindings().entrySet()) {
        if (!e.getValue().equals(bindingsSeen.get(e.getKey()))) {
          news.add(e.getKey());
        }
      }
      intentsSeen = Map.copyOf(w.store.intents());
      bindingsSeen = Map.copyOf(w.store.bindings());

      Snapshot s = w.reconciler.snapshot(w.clock.instant(), new ArrayList<>());

      for (String h : news) {
        assertThat(s.slurm().orElseThrow().get(h)).as("step %d host %s", step, h).isEqualTo(w.slurm.state(h));
      }
    }
    assertThat(w.reconciler.wholeSlurmReads()).as("the history spans several periods").isGreaterThan(3);
  }
}
