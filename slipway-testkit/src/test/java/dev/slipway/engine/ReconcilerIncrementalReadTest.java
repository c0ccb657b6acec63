package dev.slipway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.model.NodeType;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The reconciler's copy of intents and bindings: read whole at the first pass and when it cannot
 * be trusted, otherwise brought up to date with only what changed, and always equal to what a
 * full read would give.
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
}
