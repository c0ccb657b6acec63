package dev.slipway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.EngineListener.ResumeStage;
import dev.slipway.engine.PlanAction.DeleteBinding;
import dev.slipway.engine.PlanAction.PutBinding;
import dev.slipway.engine.PlanAction.PutPool;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.NodeType;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReconcilerTest {
  private static PoolTopology pool(String id, int max) {
    return new PoolTopology(id, id, max, NodeType.DEDICATED, "batch", 1, Set.of());
  }

  @Test
  void pass_whenOneBindingOfTheBatchLosesItsCompareAndSet_writesTheOthersAndDropsOnlyThatHostsEvents() {
    World w = new World(pool("gpu", 4));
    w.resume("gpu-0", "gpu-1", "gpu-2");
    java.util.concurrent.atomic.AtomicBoolean raced = new java.util.concurrent.atomic.AtomicBoolean();
    // Another writer creates gpu-1's binding after the snapshot, just before the pass writes its batch.
    StoreRace store = new StoreRace(w.store, () -> {
      if (raced.compareAndSet(false, true)) {
        w.store.putBinding(new HostBinding("gpu-1", "gpu", BindingPhase.FAILED, Optional.empty(), Optional.empty(), 0,
            w.clock.instant(), Optional.empty(), 0));
      }
    });
    Reconciler reconciler = new Reconciler(store, w.provider, w.slurm, w.topology, World.TIMINGS, w.clock, w.events::add, w.metrics);

    Reconciler.PassResult result = reconciler.pass();

    assertThat(raced).isTrue();
    assertThat(result.conflicts()).isEqualTo(1);
    assertThat(w.store.binding("gpu-0").map(HostBinding::phase)).contains(BindingPhase.REQUESTED);
    assertThat(w.store.binding("gpu-2").map(HostBinding::phase)).contains(BindingPhase.REQUESTED);
    assertThat(w.store.binding("gpu-1").map(HostBinding::phase)).contains(BindingPhase.FAILED);
    assertThat(w.store.hostEvents("gpu-0", 10)).extracting(e -> e.kind()).contains("resume-requested");
    assertThat(w.store.hostEvents("gpu-1", 10)).extracting(e -> e.kind()).doesNotContain("resume-requested");
  }

  @Test
  void resumeJoinRegisterSuspend_endToEnd_leavesNoNodeAndReportsLatencies() {
    World w = new World(pool("gpu", 4));
    w.resume("gpu-0", "gpu-1", "gpu-2");

    w.pass();
    assertThat(w.pools.get("gpu").calls).containsExactly("resize 3");
    w.clock.advance(Duration.ofSeconds(40));
    w.provide();
    assertThat(w.bindings(BindingPhase.JOINED)).isEqualTo(3);
    w.clock.advance(Duration.ofSeconds(20));
    w.pass();
    assertThat(w.bindings(BindingPhase.REGISTERED)).isEqualTo(3);
    assertThat(w.metrics.phases).containsEntry(BindingPhase.REGISTERED, 3);
    assertThat(w.metrics.stages.get(ResumeStage.REGISTERED)).containsOnly(Duration.ofSeconds(20));
    assertThat(w.metrics.stages.get(ResumeStage.NODE_CREATED)).hasSize(3);

    w.suspend("gpu-0", "gpu-1", "gpu-2");
    w.pass();
    assertThat(w.pools.get("gpu").nodes()).isEmpty();
    w.pass();
    assertThat(w.store.bindings()).isEmpty();
    assertThat(w.pools.get("gpu").calls).containsExactly("resize 3", "remove 3");
    assertThat(w.store.hostEvents("gpu-0", 20)).extracting(e -> e.kind())
        .containsSubsequence("resume-requested", "joined", "registered", "release-requested", "released");
  }

  @Test
  void providerFailureInOnePool_isClassifiedBacksItOffAndDoesNotBlockTheOther() {
    World w = new World(pool("a", 2), pool("b", 2));
    w.pools.get("a").failCalls(Optional.of(new ProviderError(ErrorClass.QUOTA, "CoreQuotaReached", "quota of 40 cores used")));
    w.resume("a-0", "b-0");

    Reconciler.PassResult r = w.pass();

    assertThat(r.providerFailures()).isEqualTo(1);
    assertThat(w.pools.get("b").status().target().dedicated()).isEqualTo(1);
    PoolRecord a = w.store.pools().get("a");
    assertThat(a.backoff().lastErrorClass()).contains(ErrorClass.QUOTA);
    assertThat(a.resizeStartedAt()).isEmpty();
    assertThat(w.metrics.providerCalls).containsEntry("resize:QUOTA", 1).containsEntry("resize:ok", 1);
    assertThat(w.events).anySatisfy(e -> assertThat(e.kind()).isEqualTo("provider-error"));

    // Quota is a fallback class: the next pass fails a-0 and puts it DOWN with the reason, so its job goes elsewhere.
    w.pools.get("a").failCalls(Optional.empty());
    w.pass();
    assertThat(w.slurm.state("a-0").down()).isTrue();
    assertThat(w.slurm.state("a-0").reason()).contains("slipway: QUOTA CoreQuotaReached in pool a");
    assertThat(w.slurm.state("a-1").reason()).contains("slipway: QUOTA CoreQuotaReached in pool a");
    assertThat(w.slurm.state("b-1").down()).isFalse();
  }

  @Test
  void resizeRefusedBecauseOneIsRunning_isNoFailureAndIsNotLeftInFlight() {
    World w = new World(pool("gpu", 2));
    w.pools.get("gpu").failCalls(Optional.of(new ProviderError(ErrorClass.RESIZE_IN_PROGRESS, "ResizeInProgress", "busy")));
    w.resume("gpu-0");

    Reconciler.PassResult r = w.pass();

    assertThat(r.providerFailures()).isZero();
    assertThat(w.store.pools().get("gpu").resizeStartedAt()).isEmpty();
    assertThat(w.store.pools().get("gpu").backoff().level()).isZero();
    w.pools.get("gpu").failCalls(Optional.empty());
    w.pass();
    assertThat(w.pools.get("gpu").status().target().dedicated()).isEqualTo(1);
  }

  @Test
  void crashAfterTheStoreWrites_nextLeaderFinishesTheRemoval() {
    World w = new World(pool("gpu", 2));
    w.resume("gpu-0");
    w.cycle(Duration.ofSeconds(30));
    w.pass();
    assertThat(w.bindings(BindingPhase.REGISTERED)).isEqualTo(1);
    w.suspend("gpu-0");

    // The leader plans and makes its store writes durable, then dies before calling the provider.
    Snapshot s = w.reconciler.snapshot(w.clock.instant(), new ArrayList<>());
    Plan plan = new Planner(World.TIMINGS).plan(s, w.clock.instant());
    plan.actions(PutBinding.class).forEach(p -> assertThat(w.store.putBinding(p.binding())).isPresent());
    plan.actions(DeleteBinding.class).forEach(d -> w.store.deleteBinding(d.host(), d.expectedVersion()));
    plan.actions(PutPool.class).forEach(p -> w.store.putPool(p.pool()));
    assertThat(w.store.binding("gpu-0").orElseThrow().phase()).isEqualTo(BindingPhase.RELEASING);
    assertThat(w.pools.get("gpu").nodes()).hasSize(1);

    w.restart();
    w.pass();
    w.pass();

    assertThat(w.pools.get("gpu").nodes()).isEmpty();
    assertThat(w.store.bindings()).isEmpty();
  }

  @Test
  void crashAfterResizeRecordBeforeResize_nextLeaderResizes() {
    World w = new World(pool("gpu", 2));
    w.resume("gpu-0");
    Snapshot s = w.reconciler.snapshot(w.clock.instant(), new ArrayList<>());
    Plan plan = new Planner(World.TIMINGS).plan(s, w.clock.instant());
    plan.actions(PutBinding.class).forEach(p -> w.store.putBinding(p.binding()));
    plan.actions(PutPool.class).forEach(p -> w.store.putPool(p.pool()));
    assertThat(w.store.pools().get("gpu").resizeStartedAt()).isPresent();

    w.restart();
    w.clock.advance(Duration.ofSeconds(5));
    w.pass();

    assertThat(w.pools.get("gpu").status().target().dedicated()).isEqualTo(1);
    assertThat(w.store.pools().get("gpu").backoff().level()).as("a resize that never started is no failure").isZero();
  }

  @Test
  void nodeThatClaimsAHostDuringThePass_isNotRemovedAndTheStaleTransitionIsRefused() {
    World w = new World(pool("gpu", 2));
    w.resume("gpu-0");
    w.pass();
    w.pools.get("gpu").completeResize();
    w.pools.get("gpu").bootAll();
    // Long enough for the ready node to look like an orphan and for gpu-0 to time out.
    w.clock.advance(Duration.ofMinutes(11));
    ProviderNode node = w.pools.get("gpu").nodes().get(0);
    NodeProviderSpy.joinDuringNextListing(w, node);

    Reconciler.PassResult r = w.pass();

    assertThat(r.conflicts()).isEqualTo(1);
    HostBinding b = w.store.binding("gpu-0").orElseThrow();
    assertThat(b.phase()).isEqualTo(BindingPhase.JOINED);
    assertThat(w.pools.get("gpu").nodes()).extracting(ProviderNode::id).containsExactly(node.id());
    assertThat(w.slurm.updates).as("the MarkDown planned for the stale REQUESTED binding is dropped").isEmpty();
  }

  @Test
  void leaderThatLostItsLeaseWhilePlanning_appliesNothing() {
    World w = new World(pool("gpu", 2));
    w.resume("gpu-0");
    Reconciler deposed = new Reconciler(w.store, w.provider, w.slurm, w.topology, World.TIMINGS, w.clock, w.events::add,
        EngineListener.NONE, () -> false);

    deposed.pass();

    assertThat(w.store.bindings()).isEmpty();
    assertThat(w.pools.get("gpu").calls).isEmpty();
    assertThat(w.events).anySatisfy(e -> assertThat(e.kind()).isEqualTo("not-leader"));
  }

  @Test
  void slurmUnreachable_providerWorkGoesOnAndIsReported() {
    World w = new World(pool("gpu", 2));
    w.resume("gpu-0");
    w.slurm.unreachable(true);

    w.pass();

    assertThat(w.pools.get("gpu").status().target().dedicated()).isEqualTo(1);
    assertThat(w.metrics.slurmCalls).containsEntry("read:error", 1);
    assertThat(w.events).anySatisfy(e -> assertThat(e.kind()).isEqualTo("slurm-error"));
  }

  @Test
  void storeLoss_registeredNodesAreAdoptedFromSlurmAndProvider() {
    World w = new World(pool("gpu", 4));
    w.resume("gpu-0", "gpu-1");
    w.cycle(Duration.ofSeconds(30));
    w.pass();
    assertThat(w.bindings(BindingPhase.REGISTERED)).isEqualTo(2);

    w.store.wipe();
    w.restart();
    w.clock.advance(Duration.ofHours(1));
    w.pass();

    assertThat(w.store.bindings().values()).extracting(HostBinding::host, HostBinding::phase).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple("gpu-0", BindingPhase.REGISTERED), org.assertj.core.groups.Tuple.tuple("gpu-1", BindingPhase.REGISTERED));
    assertThat(w.pools.get("gpu").nodes()).hasSize(2);
  }

  @Test
  void preemptedLowPriorityNode_hostIsDownedRequeuedReleasedAndReusable() {
    World w = new World(new PoolTopology("spot", "spot", 2, NodeType.LOW_PRIORITY, "work", 1, Set.of()));
    w.resume("spot-0");
    w.cycle(Duration.ofSeconds(30));
    w.pass();
    String nodeId = w.pools.get("spot").nodes().get(0).id();
    w.pools.get("spot").setState(nodeId, ProviderNodeState.PREEMPTED);

    w.pass();
    assertThat(w.slurm.state("spot-0").reason()).contains("preempted");
    w.forgetRemovedNodes();
    w.pass();
    assertThat(w.store.binding("spot-0")).isEmpty();
    assertThat(w.store.intents().get("spot-0").intent()).as("Slurm powered it down: the suspend hook ran").isEqualTo(dev.slipway.spi.Intent.DOWN);
    w.pass();
    assertThat(w.slurm.state("spot-0").down()).as("the pool backs off after a preemption").isTrue();
    w.clock.advance(World.TIMINGS.backoffBase());
    w.pass();
    assertThat(w.slurm.state("spot-0").down()).isFalse();

    w.resume("spot-0");
    w.cycle(Duration.ofSeconds(30));
    w.pass();
    assertThat(w.store.binding("spot-0").orElseThrow().phase()).isEqualTo(BindingPhase.REGISTERED);
  }
}
