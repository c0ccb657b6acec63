package dev.slipway.engine;

import static dev.slipway.engine.SnapshotBuilder.T0;
import static dev.slipway.engine.SnapshotBuilder.addressOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.PlanAction.DeleteBinding;
import dev.slipway.engine.PlanAction.PutBinding;
import dev.slipway.engine.PlanAction.PutPool;
import dev.slipway.engine.PlanAction.RecordEvent;
import dev.slipway.engine.PlanAction.RemoveNodes;
import dev.slipway.engine.PlanAction.ResizePool;
import dev.slipway.engine.PlanAction.UpdateSlurm;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.NodeType;
import dev.slipway.spi.Backoff;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderNodeState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlannerTest {
  private static final EngineTimings TIMINGS =
      new EngineTimings(Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofMinutes(10));
  private static final ProviderError CAPACITY = new ProviderError(ErrorClass.CAPACITY, "AllocationFailed", "no Standard_NC6 in westeurope");
  private final Planner planner = new Planner(TIMINGS);

  private Plan plan(SnapshotBuilder b, Instant now) {
    return planner.plan(b.build(), now);
  }

  private static List<HostBinding> puts(Plan p) {
    return p.actions(PutBinding.class).stream().map(PutBinding::binding).toList();
  }

  private static Optional<HostBinding> put(Plan p, String host) {
    return puts(p).stream().filter(b -> b.host().equals(host)).findFirst();
  }

  private static List<String> deleted(Plan p) {
    return p.actions(DeleteBinding.class).stream().map(DeleteBinding::host).toList();
  }

  private static List<String> removed(Plan p) {
    return p.actions(RemoveNodes.class).stream().flatMap(r -> r.nodeIds().stream()).toList();
  }

  private static <T extends SlurmUpdate> List<T> slurm(Plan p, Class<T> kind) {
    return p.actions(UpdateSlurm.class).stream().map(UpdateSlurm::update).filter(kind::isInstance).map(kind::cast).toList();
  }

  private static Optional<Backoff> backoff(Plan p, String pool) {
    return p.actions(PutPool.class).stream().map(PutPool::pool).filter(r -> r.poolId().equals(pool)).map(r -> r.backoff()).findFirst();
  }

  private static List<String> eventKinds(Plan p) {
    return p.actions(RecordEvent.class).stream().map(e -> e.event().kind()).toList();
  }

  @Test
  void resume_acrossManyHookCalls_createsRequestedHostsInIntentOrderAndOneResize() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 8)
        .up("gpu-3", "gpu", 12, T0).up("gpu-0", "gpu", 10, T0).up("gpu-1", "gpu", 11, T0)
        .slurmPoweringUp("gpu-0").slurmPoweringUp("gpu-1").slurmPoweringUp("gpu-3");

    Plan p = plan(b, T0.plusSeconds(1));

    assertThat(puts(p)).extracting(HostBinding::host).containsExactly("gpu-0", "gpu-1", "gpu-3");
    assertThat(puts(p)).allMatch(h -> h.phase() == BindingPhase.REQUESTED && h.version() == 0);
    assertThat(p.actions(ResizePool.class)).containsExactly(new ResizePool("gpu", new PoolTarget(3, 0)));
    assertThat(p.actions(PutPool.class)).singleElement()
        .satisfies(r -> assertThat(r.pool().resizeStartedAt()).contains(T0.plusSeconds(1)));
  }

  @Test
  void suspend_ofManyRegisteredHosts_releasesThemInOneRemovalAndResizesNothing() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 8).status("gpu", 3, 0, false)
        .down("gpu-0", "gpu", 20, T0).down("gpu-1", "gpu", 21, T0).up("gpu-2", "gpu", 5, T0)
        .binding("gpu-0", "gpu", BindingPhase.REGISTERED, "n0", 1, T0)
        .binding("gpu-1", "gpu", BindingPhase.REGISTERED, "n1", 2, T0)
        .binding("gpu-2", "gpu", BindingPhase.REGISTERED, "n2", 5, T0)
        .node("n0", "gpu", ProviderNodeState.READY, T0).node("n1", "gpu", ProviderNodeState.READY, T0).node("n2", "gpu", ProviderNodeState.READY, T0)
        .slurmUp("gpu-2", addressOf("n2"));

    Plan p = plan(b, T0.plusSeconds(60));

    assertThat(puts(p)).extracting(HostBinding::host, HostBinding::phase)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("gpu-0", BindingPhase.RELEASING), org.assertj.core.groups.Tuple.tuple("gpu-1", BindingPhase.RELEASING));
    assertThat(p.actions(RemoveNodes.class)).containsExactly(new RemoveNodes("gpu", List.of("n0", "n1")));
    assertThat(p.actions(ResizePool.class)).isEmpty();
  }

  @Test
  void releasingHost_isDeletedOnceTheProviderNoLongerListsItsNode() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 8).down("gpu-0", "gpu", 20, T0)
        .binding("gpu-0", "gpu", BindingPhase.RELEASING, "n0", 1, T0);

    Plan p = plan(b, T0.plusSeconds(60));

    assertThat(deleted(p)).containsExactly("gpu-0");
    assertThat(p.actions(DeleteBinding.class).get(0).expectedVersion()).isEqualTo(7);
    assertThat(removed(p)).isEmpty();
  }

  @Test
  void resume_whenPoolIsResizing_waitsAndMergesTheRequest() {
    SnapshotBuilder resizing = new SnapshotBuilder().pool("gpu", 8).status("gpu", 2, 0, true)
        .record("gpu", new PoolTarget(2, 0), T0, Backoff.NONE)
        .binding("gpu-0", "gpu", BindingPhase.REQUESTED, null, 1, T0).binding("gpu-1", "gpu", BindingPhase.REQUESTED, null, 2, T0)
        .up("gpu-0", "gpu", 1, T0).up("gpu-1", "gpu", 2, T0).up("gpu-2", "gpu", 3, T0).up("gpu-3", "gpu", 4, T0)
        .node("n0", "gpu", ProviderNodeState.CREATING, T0);

    Plan during = plan(resizing, T0.plusSeconds(30));
    assertThat(puts(during)).extracting(HostBinding::host).containsExactly("gpu-2", "gpu-3");
    assertThat(during.actions(ResizePool.class)).isEmpty();

    SnapshotBuilder done = new SnapshotBuilder().pool("gpu", 8).status("gpu", 2, 0, false)
        .record("gpu", new PoolTarget(2, 0), T0, Backoff.NONE)
        .up("gpu-0", "gpu", 1, T0).up("gpu-1", "gpu", 2, T0).up("gpu-2", "gpu", 3, T0).up("gpu-3", "gpu", 4, T0);
    for (int i = 0; i < 4; i++) {
      done.binding("gpu-" + i, "gpu", BindingPhase.REQUESTED, null, i + 1, T0);
    }
    done.node("n0", "gpu", ProviderNodeState.STARTING, T0).node("n1", "gpu", ProviderNodeState.STARTING, T0);

    Plan after = plan(done, T0.plusSeconds(60));
    assertThat(after.actions(ResizePool.class)).containsExactly(new ResizePool("gpu", new PoolTarget(4, 0)));
  }

  @Test
  void requestedHost_withinResumeTimeout_waitsWithoutActions() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 8).status("gpu", 1, 0, false)
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.REQUESTED, null, 1, T0)
        .node("n0", "gpu", ProviderNodeState.STARTING, T0).slurmPoweringUp("gpu-0");

    Plan p = plan(b, T0.plus(Duration.ofMinutes(9)));

    assertThat(p.actions().stream().filter(a -> !(a instanceof RecordEvent))).isEmpty();
  }

  @Test
  void requestedHost_pastResumeTimeout_failsWithResumeTimeoutAndIsMarkedDownOnce() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 8).status("gpu", 1, 0, false)
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.REQUESTED, null, 1, T0)
        .node("n0", "gpu", ProviderNodeState.STARTING, T0).slurmPoweringUp("gpu-0");

    Plan p = plan(b, T0.plus(Duration.ofMinutes(10)));

    HostBinding failed = put(p, "gpu-0").orElseThrow();
    assertThat(failed.phase()).isEqualTo(BindingPhase.FAILED);
    assertThat(failed.error().orElseThrow().errorClass()).isEqualTo(ErrorClass.RESUME_TIMEOUT);
    assertThat(slurm(p, SlurmUpdate.MarkDown.class)).singleElement()
        .satisfies(m -> assertThat(m.reason()).startsWith("slipway: RESUME_TIMEOUT ResumeTimeout in pool gpu"));
    assertThat(backoff(p, "gpu").orElseThrow().lastErrorClass()).contains(ErrorClass.RESUME_TIMEOUT);

    // Once failed for this intent, the host stays failed: no retry, no loop.
    SnapshotBuilder later = new SnapshotBuilder().pool("gpu", 8).status("gpu", 0, 0, false)
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.FAILED, null, 1, T0, failed.error().get())
        .slurm("gpu-0", SlurmHostState.Power.POWERING_UP, true, false, null, "slipway: RESUME_TIMEOUT ResumeTimeout in pool gpu");
    Plan again = plan(later, T0.plus(Duration.ofHours(2)));
    assertThat(puts(again)).isEmpty();
    assertThat(again.actions(ResizePool.class)).isEmpty();
  }

  @Test
  void joinedNode_thatFailsItsStartTask_isRemovedAndTheHostRetriedAfterBackoff() {
    ProviderError startTask = new ProviderError(ErrorClass.START_TASK, "StartTaskFailed", "exit code 1");
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 8).status("gpu", 1, 0, false)
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.JOINED, "n0", 1, T0)
        .node("n0", "gpu", ProviderNodeState.START_FAILED, false, T0, startTask).slurmPoweringUp("gpu-0");
    Instant now = T0.plusSeconds(60);

    Plan p = plan(b, now);

    assertThat(put(p, "gpu-0").orElseThrow()).satisfies(h -> {
      assertThat(h.phase()).isEqualTo(BindingPhase.FAILED);
      assertThat(h.nodeId()).contains("n0");
      assertThat(h.error()).contains(startTask);
    });
    assertThat(removed(p)).containsExactly("n0");
    assertThat(backoff(p, "gpu").orElseThrow()).isEqualTo(
        new Backoff(1, Optional.of(now.plusSeconds(30)), Optional.of(ErrorClass.START_TASK), Optional.of("StartTaskFailed")));
    assertThat(p.actions(ResizePool.class)).isEmpty();

    SnapshotBuilder gone = new SnapshotBuilder().pool("gpu", 8).status("gpu", 0, 0, false)
        .record("gpu", new PoolTarget(1, 0), null, new Backoff(1, Optional.of(now.plusSeconds(30)), Optional.of(ErrorClass.START_TASK), Optional.of("x")))
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.FAILED, "n0", 1, now, startTask).slurmPoweringUp("gpu-0");
    assertThat(put(plan(gone, now.plusSeconds(10)), "gpu-0").orElseThrow().nodeId()).isEmpty();

    SnapshotBuilder waiting = new SnapshotBuilder().pool("gpu", 8).status("gpu", 0, 0, false)
        .record("gpu", new PoolTarget(1, 0), null, new Backoff(1, Optional.of(now.plusSeconds(30)), Optional.of(ErrorClass.START_TASK), Optional.of("x")))
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.FAILED, null, 1, now, startTask).slurmPoweringUp("gpu-0");
    assertThat(puts(plan(waiting, now.plusSeconds(20)))).isEmpty();
    Plan retry = plan(waiting, now.plusSeconds(30));
    assertThat(put(retry, "gpu-0").orElseThrow().phase()).isEqualTo(BindingPhase.REQUESTED);
    assertThat(retry.actions(ResizePool.class)).containsExactly(new ResizePool("gpu", new PoolTarget(1, 0)));
  }

  @Test
  void retriesOfOneResume_endInResumeTimeout_countedFromTheIntent() {
    ProviderError startTask = new ProviderError(ErrorClass.START_TASK, "StartTaskFailed", "exit code 1");
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 8)
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.FAILED, null, 1, T0.plus(Duration.ofMinutes(9)), startTask)
        .slurmPoweringUp("gpu-0");

    Plan p = plan(b, T0.plus(Duration.ofMinutes(11)));

    assertThat(put(p, "gpu-0").orElseThrow().error().orElseThrow().errorClass()).isEqualTo(ErrorClass.RESUME_TIMEOUT);
    assertThat(slurm(p, SlurmUpdate.MarkDown.class)).hasSize(1);
  }

  @Test
  void unboundNode_thatFailsToStart_isRemovedAndBacksOffThePool() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 8).status("gpu", 1, 0, false)
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.REQUESTED, null, 1, T0)
        .node("n0", "gpu", ProviderNodeState.UNUSABLE, T0).slurmPoweringUp("gpu-0");

    Plan p = plan(b, T0.plusSeconds(60));

    assertThat(removed(p)).containsExactly("n0");
    assertThat(backoff(p, "gpu").orElseThrow().lastErrorClass()).contains(ErrorClass.UNUSABLE);
    assertThat(p.actions(ResizePool.class)).as("growth waits for the backoff").isEmpty();
    assertThat(eventKinds(p)).contains("node-failed");
  }

  @Test
  void resizeEndingWithCapacityError_failsWaitingHostsAndMarksIdleHostsDown() {
    Instant now = T0.plusSeconds(120);
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).status("gpu", 2, 0, false, CAPACITY)
        .record("gpu", new PoolTarget(2, 0), T0, Backoff.NONE)
        .up("gpu-0", "gpu", 1, T0).up("gpu-1", "gpu", 2, T0)
        .binding("gpu-0", "gpu", BindingPhase.JOINED, "n0", 1, T0).binding("gpu-1", "gpu", BindingPhase.REQUESTED, null, 2, T0)
        .node("n0", "gpu", ProviderNodeState.READY, T0)
        .slurmPoweringUp("gpu-0").slurmPoweringUp("gpu-1").slurmIdleOff("gpu-2").slurmIdleOff("gpu-3");

    Plan p = plan(b, now);

    String reason = "slipway: CAPACITY AllocationFailed in pool gpu";
    assertThat(put(p, "gpu-1").orElseThrow().phase()).isEqualTo(BindingPhase.FAILED);
    assertThat(put(p, "gpu-0")).as("the host with a node keeps it").isEmpty();
    assertThat(slurm(p, SlurmUpdate.MarkDown.class)).containsExactly(new SlurmUpdate.MarkDown(List.of("gpu-1", "gpu-2", "gpu-3"), reason));
    Backoff after = backoff(p, "gpu").orElseThrow();
    assertThat(after.level()).isEqualTo(1);
    assertThat(after.until()).contains(now.plusSeconds(30));
    assertThat(p.actions(PutPool.class).get(0).pool().resizeStartedAt()).as("the shrink below is in flight").contains(now);
    assertThat(p.actions(ResizePool.class)).as("target 2 for 1 live node and 1 host wanting: shrink the unmet request")
        .containsExactly(new ResizePool("gpu", new PoolTarget(1, 0)));
  }

  @Test
  void capacityFallback_returnsHostsToServiceWhenTheBackoffEnds() {
    String reason = "slipway: CAPACITY AllocationFailed in pool gpu";
    Instant until = T0.plusSeconds(30);
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 3).backoff("gpu", ErrorClass.CAPACITY, "AllocationFailed", 1, until)
        .up("gpu-1", "gpu", 2, T0).binding("gpu-1", "gpu", BindingPhase.FAILED, null, 2, T0, CAPACITY)
        .slurm("gpu-1", SlurmHostState.Power.POWERING_UP, true, false, null, reason)
        .slurm("gpu-2", SlurmHostState.Power.POWERED_DOWN, true, false, null, reason)
        .slurm("gpu-0", SlurmHostState.Power.POWERED_DOWN, true, false, null, "admin: bad DIMM");

    Plan during = plan(b, T0.plusSeconds(10));
    assertThat(during.actions(UpdateSlurm.class)).isEmpty();
    assertThat(deleted(during)).isEmpty();

    Plan after = plan(b, until);
    assertThat(deleted(after)).containsExactly("gpu-1");
    assertThat(slurm(after, SlurmUpdate.ReturnToService.class)).containsExactly(new SlurmUpdate.ReturnToService(List.of("gpu-1", "gpu-2")));
  }

  @Test
  void capacityFallback_inADedicatedPool_leavesTheLowPriorityPoolOfTheSamePartitionAlone() {
    SnapshotBuilder b = new SnapshotBuilder()
        .pool("ded", 2, NodeType.DEDICATED, "work").pool("spot", 2, NodeType.LOW_PRIORITY, "work")
        .backoff("ded", ErrorClass.QUOTA, "CoreQuotaReached", 1, T0.plusSeconds(60))
        .slurmIdleOff("ded-0").slurmIdleOff("ded-1").slurmIdleOff("spot-0").slurmPoweringUp("spot-1")
        .up("spot-1", "spot", 4, T0);

    Plan p = plan(b, T0.plusSeconds(1));

    assertThat(slurm(p, SlurmUpdate.MarkDown.class))
        .containsExactly(new SlurmUpdate.MarkDown(List.of("ded-0", "ded-1"), "slipway: QUOTA CoreQuotaReached in pool ded"));
    assertThat(p.actions(ResizePool.class)).containsExactly(new ResizePool("spot", new PoolTarget(0, 1)));
  }

  @Test
  void newResumeOfAFailedHost_startsAgainUnlessThePoolIsInCapacityFallback() {
    ProviderError timeout = new ProviderError(ErrorClass.RESUME_TIMEOUT, "ResumeTimeout", "x");
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 2)
        .up("gpu-0", "gpu", 9, T0).binding("gpu-0", "gpu", BindingPhase.FAILED, null, 1, T0, timeout).slurmPoweringUp("gpu-0");

    assertThat(put(plan(b, T0.plusSeconds(1)), "gpu-0").orElseThrow()).satisfies(h -> {
      assertThat(h.phase()).isEqualTo(BindingPhase.REQUESTED);
      assertThat(h.intentSeq()).isEqualTo(9);
    });

    b.backoff("gpu", ErrorClass.CAPACITY, "AllocationFailed", 1, T0.plusSeconds(60));
    Plan closed = plan(b, T0.plusSeconds(1));
    assertThat(puts(closed)).isEmpty();
    assertThat(slurm(closed, SlurmUpdate.MarkDown.class)).singleElement()
        .satisfies(m -> assertThat(m.hosts()).containsExactly("gpu-0"));
  }

  @Test
  void preemptedRunningNode_marksTheHostDownPreemptedAndReleasesIt() {
    ProviderError preempted = new ProviderError(ErrorClass.PREEMPTED, "NodePreempted", "spot capacity reclaimed");
    SnapshotBuilder b = new SnapshotBuilder().pool("spot", 4, NodeType.LOW_PRIORITY, "work").status("spot", 0, 1, false)
        .up("spot-0", "spot", 1, T0).binding("spot-0", "spot", BindingPhase.REGISTERED, "n0", 1, T0)
        .node("n0", "spot", ProviderNodeState.PREEMPTED, true, T0, preempted)
        .slurmUp("spot-0", addressOf("n0"));

    Plan p = plan(b, T0.plusSeconds(600));

    assertThat(slurm(p, SlurmUpdate.MarkDown.class)).containsExactly(new SlurmUpdate.MarkDown(List.of("spot-0"), "preempted"));
    assertThat(put(p, "spot-0").orElseThrow()).satisfies(h -> {
      assertThat(h.phase()).isEqualTo(BindingPhase.RELEASING);
      assertThat(h.error()).contains(preempted);
    });
    assertThat(removed(p)).containsExactly("n0");

    // The node is gone: the binding goes and Slurm powers the host down, ready for reuse.
    SnapshotBuilder gone = new SnapshotBuilder().pool("spot", 4, NodeType.LOW_PRIORITY, "work")
        .up("spot-0", "spot", 1, T0).binding("spot-0", "spot", BindingPhase.RELEASING, "n0", 1, T0, preempted)
        .slurm("spot-0", SlurmHostState.Power.POWERED_UP, true, false, addressOf("n0"), "preempted");
    Plan released = plan(gone, T0.plusSeconds(660));
    assertThat(deleted(released)).containsExactly("spot-0");
    assertThat(slurm(released, SlurmUpdate.PowerDown.class)).containsExactly(new SlurmUpdate.PowerDown(List.of("spot-0"), "preempted"));

    SnapshotBuilder off = new SnapshotBuilder().pool("spot", 4, NodeType.LOW_PRIORITY, "work")
        .down("spot-0", "spot", 9, T0.plusSeconds(700))
        .slurm("spot-0", SlurmHostState.Power.POWERED_DOWN, true, false, null, "preempted");
    Plan back = plan(off, T0.plusSeconds(720));
    assertThat(slurm(back, SlurmUpdate.ReturnToService.class)).containsExactly(new SlurmUpdate.ReturnToService(List.of("spot-0")));
  }

  @Test
  void preemptedJoinedNode_thatSlurmAlreadyShowsRegistered_isMarkedDownAndReleased_notSilentlyRetried() {
    ProviderError preempted = new ProviderError(ErrorClass.PREEMPTED, "NodePreempted", "spot capacity reclaimed");
    SnapshotBuilder b = new SnapshotBuilder().pool("spot", 4, NodeType.LOW_PRIORITY, "work").status("spot", 0, 1, false)
        .up("spot-0", "spot", 1, T0).binding("spot-0", "spot", BindingPhase.JOINED, "n0", 1, T0)
        .node("n0", "spot", ProviderNodeState.PREEMPTED, true, T0, preempted)
        .slurmUp("spot-0", addressOf("n0"));

    Plan p = plan(b, T0.plusSeconds(20));

    assertThat(slurm(p, SlurmUpdate.MarkDown.class)).containsExactly(new SlurmUpdate.MarkDown(List.of("spot-0"), "preempted"));
    assertThat(put(p, "spot-0").orElseThrow()).satisfies(h -> {
      assertThat(h.phase()).isEqualTo(BindingPhase.RELEASING);
      assertThat(h.error()).contains(preempted);
    });
    assertThat(removed(p)).containsExactly("n0");
  }

  @Test
  void preemptedJoinedNode_thatSlurmDoesNotShowRegistered_isRetriedWithoutTellingSlurm() {
    ProviderError preempted = new ProviderError(ErrorClass.PREEMPTED, "NodePreempted", "spot capacity reclaimed");
    SnapshotBuilder b = new SnapshotBuilder().pool("spot", 4, NodeType.LOW_PRIORITY, "work").status("spot", 0, 1, false)
        .up("spot-0", "spot", 1, T0).binding("spot-0", "spot", BindingPhase.JOINED, "n0", 1, T0)
        .node("n0", "spot", ProviderNodeState.PREEMPTED, true, T0, preempted)
        .slurmPoweringUp("spot-0");

    Plan p = plan(b, T0.plusSeconds(20));

    assertThat(slurm(p, SlurmUpdate.MarkDown.class)).isEmpty();
    assertThat(put(p, "spot-0").orElseThrow().phase()).isEqualTo(BindingPhase.FAILED);
    assertThat(removed(p)).containsExactly("n0");
  }

  @Test
  void registeredHostWhoseNodeVanished_isMarkedDownAndReleased() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4)
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.REGISTERED, "n0", 1, T0).slurmUp("gpu-0", "10.1.1.1");

    Plan p = plan(b, T0.plusSeconds(60));

    assertThat(deleted(p)).containsExactly("gpu-0");
    assertThat(slurm(p, SlurmUpdate.MarkDown.class)).singleElement().satisfies(m -> assertThat(m.reason()).contains("UNUSABLE NodeMissing"));
    assertThat(slurm(p, SlurmUpdate.PowerDown.class)).hasSize(1);
  }

  @Test
  void orphanNode_isRemovedOnlyAfterItsGracePeriod() {
    SnapshotBuilder young = new SnapshotBuilder().pool("gpu", 4).status("gpu", 1, 0, false)
        .node("n0", "gpu", ProviderNodeState.READY, T0).up("gpu-0", "gpu", 1, T0)
        .binding("gpu-0", "gpu", BindingPhase.REQUESTED, null, 1, T0).slurmPoweringUp("gpu-0");
    assertThat(removed(plan(young, T0.plus(Duration.ofMinutes(4))))).isEmpty();

    Plan old = plan(young, T0.plus(Duration.ofMinutes(5)));
    assertThat(removed(old)).containsExactly("n0");
    assertThat(eventKinds(old)).contains("orphan-removed");
  }

  @Test
  void downIntent_beforeAnyNodeJoined_dropsTheRequestAndRemovesTheSpareNode() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).status("gpu", 2, 0, false)
        .up("gpu-0", "gpu", 1, T0).down("gpu-1", "gpu", 3, T0.plusSeconds(5))
        .binding("gpu-0", "gpu", BindingPhase.REQUESTED, null, 1, T0).binding("gpu-1", "gpu", BindingPhase.REQUESTED, null, 2, T0)
        .node("n0", "gpu", ProviderNodeState.CREATING, T0).node("n1", "gpu", ProviderNodeState.CREATING, T0.plusSeconds(1))
        .slurmPoweringUp("gpu-0").slurmIdleOff("gpu-1");

    Plan p = plan(b, T0.plusSeconds(10));

    assertThat(deleted(p)).containsExactly("gpu-1");
    assertThat(removed(p)).as("the newest spare node goes").containsExactly("n1");
    assertThat(p.actions(ResizePool.class)).isEmpty();
  }

  @Test
  void drift_adoptsANodeThatSlurmShowsRegisteredAtItsAddress() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).status("gpu", 1, 0, false)
        .node("n7", "gpu", ProviderNodeState.READY, T0).slurmUp("gpu-2", addressOf("n7"));

    Plan p = plan(b, T0.plus(Duration.ofHours(1)));

    assertThat(put(p, "gpu-2").orElseThrow()).satisfies(h -> {
      assertThat(h.phase()).isEqualTo(BindingPhase.REGISTERED);
      assertThat(h.nodeId()).contains("n7");
      assertThat(h.version()).isZero();
    });
    assertThat(removed(p)).as("an adopted node is no orphan").isEmpty();
    assertThat(eventKinds(p)).contains("adopted");
  }

  @Test
  void drift_releasesTheBindingOfAHostSlurmShowsPoweredDown() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).status("gpu", 1, 0, false)
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.REGISTERED, "n0", 1, T0)
        .node("n0", "gpu", ProviderNodeState.READY, T0).slurmIdleOff("gpu-0");

    Plan p = plan(b, T0.plusSeconds(60));

    assertThat(put(p, "gpu-0").orElseThrow().phase()).isEqualTo(BindingPhase.RELEASING);
    assertThat(removed(p)).containsExactly("n0");
  }

  @Test
  void drift_withoutSlurm_releasesNothingButProviderWorkGoesOn() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).slurmUnreadable()
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.REGISTERED, "n0", 1, T0)
        .node("n0", "gpu", ProviderNodeState.READY, T0).status("gpu", 1, 0, false)
        .up("gpu-1", "gpu", 2, T0);

    Plan p = plan(b, T0.plusSeconds(60));

    assertThat(put(p, "gpu-0")).isEmpty();
    assertThat(put(p, "gpu-1").orElseThrow().phase()).isEqualTo(BindingPhase.REQUESTED);
    assertThat(p.actions(ResizePool.class)).containsExactly(new ResizePool("gpu", new PoolTarget(2, 0)));
  }

  @Test
  void resumeFail_releasesTheNodeRecordsWhyAndNeverRetries() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).status("gpu", 1, 0, false)
        .intent("gpu-0", "gpu", Intent.DOWN, IntentSource.RESUME_FAIL, 5, T0.plusSeconds(1200))
        .binding("gpu-0", "gpu", BindingPhase.JOINED, "n0", 1, T0).node("n0", "gpu", ProviderNodeState.READY, T0)
        .slurm("gpu-0", SlurmHostState.Power.POWERED_DOWN, true, false, null, "ResumeTimeoutExceeded");

    Plan p = plan(b, T0.plusSeconds(1201));

    assertThat(put(p, "gpu-0").orElseThrow().phase()).isEqualTo(BindingPhase.RELEASING);
    assertThat(removed(p)).containsExactly("n0");
    assertThat(p.actions(RecordEvent.class)).anySatisfy(e -> assertThat(e.event().message()).contains("DOWN/RESUME_FAIL"));
    assertThat(p.actions(ResizePool.class)).isEmpty();
    assertThat(slurm(p, SlurmUpdate.ReturnToService.class)).as("a reason Slurm set is left to Slurm").isEmpty();

    SnapshotBuilder gone = new SnapshotBuilder().pool("gpu", 4)
        .intent("gpu-0", "gpu", Intent.DOWN, IntentSource.RESUME_FAIL, 5, T0.plusSeconds(1200))
        .binding("gpu-0", "gpu", BindingPhase.RELEASING, "n0", 1, T0);
    Plan after = plan(gone, T0.plusSeconds(1300));
    assertThat(deleted(after)).containsExactly("gpu-0");
    assertThat(puts(after)).isEmpty();
    assertThat(after.actions(ResizePool.class)).isEmpty();
  }

  @Test
  void suspend_ofAReclaimExcludedHost_keepsItsNodeWhileSlurmShowsItUp() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4, NodeType.DEDICATED, "batch", "gpu-0").status("gpu", 1, 0, false)
        .down("gpu-0", "gpu", 9, T0).binding("gpu-0", "gpu", BindingPhase.REGISTERED, "n0", 1, T0)
        .node("n0", "gpu", ProviderNodeState.READY, T0).slurmUp("gpu-0", addressOf("n0"));

    Plan kept = plan(b, T0.plusSeconds(60));
    assertThat(puts(kept)).isEmpty();
    assertThat(removed(kept)).isEmpty();

    b.slurmIdleOff("gpu-0");
    Plan released = plan(b, T0.plusSeconds(120));
    assertThat(put(released, "gpu-0").orElseThrow().phase()).isEqualTo(BindingPhase.RELEASING);
  }

  @Test
  void target_neverExceedsThePoolMaximum() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).maxSize("gpu", 2);
    for (int i = 0; i < 4; i++) {
      b.up("gpu-" + i, "gpu", i + 1, T0).slurmPoweringUp("gpu-" + i);
    }

    Plan p = plan(b, T0.plusSeconds(1));

    assertThat(p.actions(ResizePool.class)).containsExactly(new ResizePool("gpu", new PoolTarget(2, 0)));
  }

  @Test
  void removals_areChunkedIntoAtMost100NodesAndSlurmUpdatesInto500Hosts() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 1200).status("gpu", 250, 0, false)
        .backoff("gpu", ErrorClass.CAPACITY, "AllocationFailed", 1, T0.plusSeconds(300));
    for (int i = 0; i < 250; i++) {
      b.down("gpu-" + i, "gpu", i + 1, T0).binding("gpu-" + i, "gpu", BindingPhase.REGISTERED, "n" + i, i, T0)
          .node("n" + i, "gpu", ProviderNodeState.READY, T0);
    }
    for (int i = 250; i < 1200; i++) {
      b.slurmIdleOff("gpu-" + i);
    }

    Plan p = plan(b, T0.plusSeconds(1));

    assertThat(p.actions(RemoveNodes.class)).extracting(r -> r.nodeIds().size()).containsExactly(100, 100, 50);
    assertThat(slurm(p, SlurmUpdate.MarkDown.class)).extracting(m -> m.hosts().size()).containsExactly(500, 450);
  }

  @Test
  void joinedHost_registersWhenSlurmShowsItRespondingAndResetsBackoff() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).status("gpu", 1, 0, false)
        .record("gpu", new PoolTarget(1, 0), null, new Backoff(2, Optional.of(T0), Optional.of(ErrorClass.TRANSIENT), Optional.of("x")))
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.JOINED, "n0", 1, T0)
        .node("n0", "gpu", ProviderNodeState.READY, T0).slurmUp("gpu-0", addressOf("n0"));

    Plan p = plan(b, T0.plusSeconds(90));

    assertThat(put(p, "gpu-0").orElseThrow().phase()).isEqualTo(BindingPhase.REGISTERED);
    assertThat(backoff(p, "gpu")).contains(Backoff.NONE);
  }

  @Test
  void joinedHost_whoseSlurmAddressDiffers_getsItsNodeAddrSet() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).status("gpu", 1, 0, false)
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.JOINED, "n0", 1, T0)
        .node("n0", "gpu", ProviderNodeState.READY, T0).slurmPoweringUp("gpu-0");

    Plan p = plan(b, T0.plusSeconds(30));

    assertThat(slurm(p, SlurmUpdate.SetAddress.class)).containsExactly(new SlurmUpdate.SetAddress(java.util.Map.of("gpu-0", addressOf("n0"))));
  }

  @Test
  void poolTheProviderCouldNotList_getsNoActionsWhileOthersProceed() {
    SnapshotBuilder b = new SnapshotBuilder().pool("a", 2).pool("b", 2).unreadable("a")
        .up("a-0", "a", 1, T0).up("b-0", "b", 2, T0);

    Plan p = plan(b, T0.plusSeconds(1));

    assertThat(puts(p)).extracting(HostBinding::host).containsExactly("b-0");
    assertThat(p.actions(ResizePool.class)).extracting(ResizePool::poolId).containsExactly("b");
  }

  @Test
  void finishedResizeWithoutErrors_clearsTheInFlightMark() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).status("gpu", 1, 0, false)
        .record("gpu", new PoolTarget(1, 0), T0, Backoff.NONE)
        .up("gpu-0", "gpu", 1, T0).binding("gpu-0", "gpu", BindingPhase.REQUESTED, null, 1, T0)
        .node("n0", "gpu", ProviderNodeState.STARTING, T0).slurmPoweringUp("gpu-0");

    Plan p = plan(b, T0.plusSeconds(30));

    assertThat(p.actions(PutPool.class)).singleElement().satisfies(r -> {
      assertThat(r.pool().resizeStartedAt()).isEmpty();
      assertThat(r.pool().backoff()).isEqualTo(Backoff.NONE);
      assertThat(r.pool().version()).isEqualTo(3);
    });
    assertThat(p.actions(ResizePool.class)).isEmpty();
  }

  @Test
  void resizeThatFellShortWithoutErrors_countsAsTransientFailure() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 4).status("gpu", 2, 0, false)
        .record("gpu", new PoolTarget(2, 0), T0, Backoff.NONE)
        .up("gpu-0", "gpu", 1, T0).up("gpu-1", "gpu", 2, T0)
        .binding("gpu-0", "gpu", BindingPhase.REQUESTED, null, 1, T0).binding("gpu-1", "gpu", BindingPhase.REQUESTED, null, 2, T0)
        .node("n0", "gpu", ProviderNodeState.STARTING, T0).slurmPoweringUp("gpu-0").slurmPoweringUp("gpu-1");

    Plan p = plan(b, T0.plusSeconds(30));

    assertThat(backoff(p, "gpu").orElseThrow().lastErrorCode()).contains("ResizeShortfall");
    assertThat(p.actions(ResizePool.class)).as("asked again only when the backoff ends").isEmpty();
    SnapshotBuilder later = b.record("gpu", new PoolTarget(2, 0), null,
        new Backoff(1, Optional.of(T0.plusSeconds(60)), Optional.of(ErrorClass.TRANSIENT), Optional.of("ResizeShortfall")));
    assertThat(plan(later, T0.plusSeconds(60)).actions(ResizePool.class)).containsExactly(new ResizePool("gpu", new PoolTarget(2, 0)));
  }

  @Test
  void nodesOfTheOtherType_areNeitherCountedNorRemoved() {
    SnapshotBuilder b = new SnapshotBuilder().pool("spot", 4, NodeType.LOW_PRIORITY, "work").status("spot", 2, 0, false)
        .node("static-0", "spot", ProviderNodeState.READY, false, T0, null).node("static-1", "spot", ProviderNodeState.READY, false, T0, null)
        .up("spot-0", "spot", 1, T0).slurmPoweringUp("spot-0");

    Plan p = plan(b, T0.plus(Duration.ofHours(1)));

    assertThat(removed(p)).isEmpty();
    assertThat(p.actions(ResizePool.class)).containsExactly(new ResizePool("spot", new PoolTarget(2, 1)));
  }

  @Test
  void planner_isAPureFunctionOfItsInputs() {
    SnapshotBuilder b = new SnapshotBuilder().pool("gpu", 8).up("gpu-0", "gpu", 1, T0).slurmPoweringUp("gpu-0");
    Snapshot s = b.build();
    assertThat(planner.plan(s, T0)).isEqualTo(planner.plan(s, T0));
  }
}
