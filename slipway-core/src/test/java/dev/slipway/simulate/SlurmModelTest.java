package dev.slipway.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.model.NodeType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SlurmModelTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final SlurmTiming TIMING = SlurmTiming.of(Duration.ofMinutes(5), Duration.ofMinutes(10),
      Duration.ofMinutes(2));

  private final RecordingHooks hooks = new RecordingHooks();

  private static PoolModel pool(String id, int max, int weight, NodeType type, int exclude, String... features) {
    List<String> all = new java.util.ArrayList<>(List.of(features));
    all.add(type.configName());
    return new PoolModel(id, id, max, weight, all, type, exclude);
  }

  /** Partition "work": cheap low-priority pool "lp" (weight 1) and dedicated pool "ded" (weight 10). */
  private SlurmModel twoPoolModel(SlurmTiming timing) {
    SimTopology topology = new SimTopology(List.of(
        new PartitionModel("work", List.of(pool("ded", 4, 10, NodeType.DEDICATED, 0, "ib"),
            pool("lp", 4, 1, NodeType.LOW_PRIORITY, 0))),
        new PartitionModel("other", List.of(pool("cpu", 2, 1, NodeType.DEDICATED, 0)))));
    return new SlurmModel(topology, timing, hooks, T0);
  }

  private static JobSpec job(Duration at, String partition, int nodes, Duration duration) {
    return new JobSpec(T0.plus(at), partition, nodes, duration, Optional.empty(), true);
  }

  private static Instant at(Duration d) {
    return T0.plus(d);
  }

  private void registerAll(SlurmModel model, List<String> hosts, Duration at) {
    for (String h : hosts) {
      model.registered(h, T0.plus(at));
    }
  }

  private HostState state(SlurmModel model, String host) {
    return model.hostState(host).orElseThrow();
  }

  @Test
  void schedule_choosesLowestWeightPoolFirst() {
    SlurmModel model = twoPoolModel(TIMING);
    model.submit(job(Duration.ZERO, "work", 2, Duration.ofMinutes(1)));
    model.advanceTo(T0);
    assertThat(hooks.calls).containsExactly("resume lp-0,lp-1 jobs 1");
  }

  @Test
  void schedule_addsHigherWeightHostsOnlyWhenLowerWeightOnesDoNotSuffice() {
    SlurmModel model = twoPoolModel(TIMING);
    model.submit(job(Duration.ZERO, "work", 6, Duration.ofMinutes(1)));
    model.advanceTo(T0);
    assertThat(hooks.resumed).containsExactly(List.of("lp-0", "lp-1", "lp-2", "lp-3", "ded-0", "ded-1"));
  }

  @Test
  void schedule_withinOneWeight_prefersHostsAlreadyUpAndIdle() {
    SlurmModel model = twoPoolModel(TIMING);
    model.submit(job(Duration.ZERO, "work", 1, Duration.ofMinutes(1)));
    model.advanceTo(T0);
    registerAll(model, List.of("lp-0"), Duration.ofSeconds(30));
    model.advanceTo(at(Duration.ofSeconds(90)));
    assertThat(state(model, "lp-0").condition()).isEqualTo(HostCondition.IDLE);

    // lp-0 is idle and up; it is taken before powering up lp-1, so no resume call at all.
    String second = model.submit(job(Duration.ofMinutes(2), "work", 1, Duration.ofMinutes(1)));
    model.advanceTo(at(Duration.ofMinutes(2)));
    assertThat(hooks.resumed).hasSize(1);
    assertThat(model.job(second).orElseThrow().state()).isEqualTo(JobState.RUNNING);
    assertThat(model.job(second).orElseThrow().hosts()).containsExactly("lp-0");
  }

  @Test
  void schedule_lowerWeightPoweredDownHostBeatsHigherWeightIdleHost() {
    SlurmModel model = twoPoolModel(TIMING);
    model.submit(new JobSpec(T0, "work", 1, Duration.ofMinutes(1), Optional.of("ib"), true));
    model.advanceTo(T0);
    registerAll(model, List.of("ded-0"), Duration.ofSeconds(10));
    model.advanceTo(at(Duration.ofMinutes(2)));
    assertThat(state(model, "ded-0").sinfoState()).isEqualTo("idle");

    model.submit(job(Duration.ofMinutes(2), "work", 1, Duration.ofMinutes(1)));
    model.advanceTo(at(Duration.ofMinutes(2)));
    assertThat(hooks.resumed).containsExactly(List.of("ded-0"), List.of("lp-0"));
  }

  @Test
  void schedule_constraintLimitsHostsToThoseWithTheFeature() {
    SlurmModel model = twoPoolModel(TIMING);
    model.submit(new JobSpec(T0, "work", 2, Duration.ofMinutes(1), Optional.of("dedicated"), true));
    model.submit(new JobSpec(T0, "work", 1, Duration.ofMinutes(1), Optional.of("ib&low_priority|low_priority"), true));
    model.advanceTo(T0);
    assertThat(hooks.calls).containsExactly("resume ded-0,ded-1,lp-0 jobs 1,2");
  }

  @Test
  void schedule_jobsUseOnlyTheirPartitionsHosts() {
    SlurmModel model = twoPoolModel(TIMING);
    String id = model.submit(job(Duration.ZERO, "other", 2, Duration.ofMinutes(1)));
    model.advanceTo(T0);
    assertThat(model.job(id).orElseThrow().hosts()).containsExactly("cpu-0", "cpu-1");
  }

  @Test
  void submit_refusesUnknownPartitionAndRequestsNoHostSetCanMeet() {
    SlurmModel model = twoPoolModel(TIMING);
    String unknown = model.submit(job(Duration.ZERO, "nope", 1, Duration.ofMinutes(1)));
    String tooBig = model.submit(job(Duration.ZERO, "other", 3, Duration.ofMinutes(1)));
    String noFeature = model.submit(new JobSpec(T0, "work", 5, Duration.ofMinutes(1), Optional.of("ib"), true));
    model.advanceTo(T0);
    assertThat(List.of(unknown, tooBig, noFeature))
        .allSatisfy(id -> assertThat(model.job(id).orElseThrow().state()).isEqualTo(JobState.REJECTED));
    assertThat(model.job(noFeature).orElseThrow().reason()).hasValueSatisfying(r -> assertThat(r).contains("which has 4"));
    assertThat(model.stats().jobsRejected()).isEqualTo(3);
    assertThat(hooks.calls).isEmpty();
  }

  @Test
  void resume_aggregatesEveryHostAllocatedInOneInstantIntoOneCallWithJobIds() {
    SlurmModel model = twoPoolModel(TIMING);
    model.submit(job(Duration.ZERO, "work", 1, Duration.ofMinutes(1)));
    model.submit(job(Duration.ZERO, "work", 2, Duration.ofMinutes(1)));
    model.submit(job(Duration.ZERO, "other", 1, Duration.ofMinutes(1)));
    model.submit(job(Duration.ofSeconds(1), "work", 1, Duration.ofMinutes(1)));
    model.advanceTo(at(Duration.ofSeconds(1)));
    assertThat(hooks.calls).containsExactly(
        "resume lp-0,lp-1,lp-2,cpu-0 jobs 1,2,3",
        "resume lp-3 jobs 4");
    assertThat(model.stats().resumeCalls()).isEqualTo(2);
    assertThat(model.stats().hostsResumed()).isEqualTo(5);
  }

  @Test
  void job_runsOnceAllItsHostsRegistered_andCompletesAfterItsDuration() {
    SlurmModel model = twoPoolModel(TIMING);
    String id = model.submit(job(Duration.ZERO, "work", 2, Duration.ofMinutes(3)));
    model.advanceTo(T0);
    model.registered("lp-0", at(Duration.ofSeconds(40)));
    model.advanceTo(at(Duration.ofSeconds(40)));
    assertThat(model.job(id).orElseThrow().state()).isEqualTo(JobState.CONFIGURING);
    assertThat(state(model, "lp-1").sinfoState()).isEqualTo("alloc#");

    model.registered("lp-1", at(Duration.ofSeconds(70)));
    model.advanceTo(at(Duration.ofSeconds(70)));
    assertThat(model.job(id).orElseThrow().state()).isEqualTo(JobState.RUNNING);

    model.advanceTo(at(Duration.ofSeconds(70 + 180)));
    assertThat(model.job(id).orElseThrow().state()).isEqualTo(JobState.COMPLETED);
    SimStats stats = model.stats();
    assertThat(stats.jobsCompleted()).isEqualTo(1);
    assertThat(stats.waitTimes()).containsExactly(Duration.ofSeconds(70));
    assertThat(stats.resumeToRegistered()).containsExactly(Duration.ofSeconds(40), Duration.ofSeconds(70));
    assertThat(state(model, "lp-0").condition()).isEqualTo(HostCondition.IDLE);
  }

  @Test
  void resumeTimeout_marksHostDownPoweredDown_callsResumeFail_andRequeuesTheJobElsewhere() {
    SlurmModel model = twoPoolModel(TIMING);
    String id = model.submit(job(Duration.ZERO, "work", 2, Duration.ofMinutes(3)));
    model.advanceTo(T0);
    model.registered("lp-0", at(Duration.ofSeconds(30)));
    model.advanceTo(at(Duration.ofMinutes(10)).minusMillis(1));
    assertThat(hooks.failed).isEmpty();

    model.advanceTo(at(Duration.ofMinutes(10)));
    HostState lp1 = state(model, "lp-1");
    assertThat(lp1.sinfoState()).isEqualTo("down~");
    assertThat(lp1.reason()).contains("ResumeTimeout reached");
    assertThat(hooks.failed).containsExactly(List.of("lp-1"));
    JobView requeued = model.job(id).orElseThrow();
    assertThat(requeued.requeues()).isEqualTo(1);
    // Requeued in the same instant: lp-0 is up and idle, lp-1 is DOWN, so lp-2 is powered up.
    assertThat(requeued.hosts()).containsExactly("lp-0", "lp-2");
    assertThat(hooks.calls).containsExactly("resume lp-0,lp-1 jobs 1", "resume-fail lp-1", "resume lp-2 jobs 1");
    assertThat(model.stats().resumeFailures()).isEqualTo(1);
    assertThat(model.stats().requeues()).isEqualTo(1);
  }

  @Test
  void registrationAfterResumeTimeout_leavesHostDownAsUnexpectedReboot() {
    SlurmModel model = twoPoolModel(TIMING);
    model.submit(job(Duration.ZERO, "other", 1, Duration.ofMinutes(1)));
    model.advanceTo(at(Duration.ofMinutes(10)));
    model.registered("cpu-0", at(Duration.ofMinutes(11)));
    assertThat(state(model, "cpu-0").sinfoState()).isEqualTo("down");
    assertThat(state(model, "cpu-0").reason()).contains("Node unexpectedly rebooted");
    assertThat(model.stats().unexpectedRegistrations()).isEqualTo(1);
  }

  @Test
  void suspendTime_suspendsIdleHostsOnThePowerSaveTick_exceptSuspendExcNodes() {
    SimTopology topology = new SimTopology(List.of(
        new PartitionModel("work", List.of(pool("p", 3, 1, NodeType.DEDICATED, 1)))));
    SlurmModel model = new SlurmModel(topology, TIMING, hooks, T0);
    model.submit(job(Duration.ZERO, "work", 3, Duration.ofMinutes(1)));
    model.advanceTo(T0);
    registerAll(model, List.of("p-0", "p-1", "p-2"), Duration.ofSeconds(5));
    model.advanceTo(at(Duration.ofSeconds(65)));
    // Idle since 65 s; SuspendTime 5 min is reached at 365 s; the next 10 s tick is at 370 s.
    model.advanceTo(at(Duration.ofSeconds(369)));
    assertThat(hooks.suspended).isEmpty();
    model.advanceTo(at(Duration.ofSeconds(370)));
    assertThat(hooks.suspended).containsExactly(List.of("p-1", "p-2"));
    assertThat(state(model, "p-1").sinfoState()).isEqualTo("idle%");
    assertThat(state(model, "p-0").sinfoState()).isEqualTo("idle");

    // Powering down: not schedulable until SuspendTimeout (2 min) has passed.
    String next = model.submit(job(Duration.ofSeconds(380), "work", 2, Duration.ofMinutes(1)));
    model.advanceTo(at(Duration.ofSeconds(380)));
    assertThat(model.job(next).orElseThrow().state()).isEqualTo(JobState.PENDING);
    model.advanceTo(at(Duration.ofSeconds(490)));
    assertThat(state(model, "p-2").sinfoState()).isEqualTo("idle~");
    assertThat(state(model, "p-1").sinfoState()).isEqualTo("alloc#");
    assertThat(model.job(next).orElseThrow().hosts()).containsExactly("p-0", "p-1");
    assertThat(model.stats().hostsSuspended()).isEqualTo(2);

    model.advanceTo(at(Duration.ofHours(5)));
    assertThat(hooks.suspended.stream().flatMap(List::stream)).doesNotContain("p-0");
  }

  @Test
  void lostRunningNode_requeuesRequeueableJobAfterSlurmdTimeout_andFailsTheOther() {
    SlurmModel model = twoPoolModel(TIMING);
    String keep = model.submit(job(Duration.ZERO, "other", 1, Duration.ofHours(1)));
    String lose = model.submit(new JobSpec(T0, "other", 1, Duration.ofHours(1), Optional.empty(), false));
    model.advanceTo(T0);
    registerAll(model, List.of("cpu-0", "cpu-1"), Duration.ofSeconds(20));
    model.advanceTo(at(Duration.ofMinutes(10)));
    model.nodeLost("cpu-0");
    model.nodeLost("cpu-1");
    model.advanceTo(at(Duration.ofMinutes(10)));
    assertThat(state(model, "cpu-0").sinfoState()).isEqualTo("alloc*");
    assertThat(model.job(keep).orElseThrow().state()).isEqualTo(JobState.RUNNING);

    model.advanceTo(at(Duration.ofMinutes(15)));
    assertThat(state(model, "cpu-0").condition()).isEqualTo(HostCondition.DOWN);
    assertThat(state(model, "cpu-0").reason()).contains("Not responding");
    assertThat(model.job(keep).orElseThrow().state()).isEqualTo(JobState.PENDING);
    assertThat(model.job(keep).orElseThrow().requeues()).isEqualTo(1);
    assertThat(model.job(lose).orElseThrow().state()).isEqualTo(JobState.FAILED);
    assertThat(model.stats().jobsFailed()).isEqualTo(1);
  }

  @Test
  void setDownOnPreemptedHost_requeuesItsJobImmediately() {
    SlurmModel model = twoPoolModel(TIMING);
    String id = model.submit(job(Duration.ZERO, "work", 1, Duration.ofHours(1)));
    model.advanceTo(T0);
    registerAll(model, List.of("lp-0"), Duration.ofSeconds(20));
    model.advanceTo(at(Duration.ofMinutes(10)));
    model.nodeLost("lp-0");
    model.setDown(List.of("lp-0"), "preempted");
    model.advanceTo(at(Duration.ofMinutes(10)));
    JobView job = model.job(id).orElseThrow();
    assertThat(job.requeues()).isEqualTo(1);
    assertThat(job.hosts()).containsExactly("lp-1");
    assertThat(state(model, "lp-0").sinfoState()).isEqualTo("down*");
    assertThat(state(model, "lp-0").reason()).contains("preempted");
  }

  @Test
  void downHostIdleForSuspendTime_isSuspendedAndReturnsIdleWithIdleOnNodeSuspend() {
    SlurmModel model = twoPoolModel(TIMING);
    model.submit(job(Duration.ZERO, "other", 1, Duration.ofMinutes(1)));
    model.advanceTo(T0);
    registerAll(model, List.of("cpu-0"), Duration.ofSeconds(10));
    model.advanceTo(at(Duration.ofSeconds(30)));
    model.nodeLost("cpu-0");
    model.setDown(List.of("cpu-0"), "preempted");
    model.advanceTo(at(Duration.ofMinutes(6)));
    assertThat(hooks.suspended).containsExactly(List.of("cpu-0"));
    model.advanceTo(at(Duration.ofMinutes(9)));
    assertThat(state(model, "cpu-0").sinfoState()).isEqualTo("idle~");
    assertThat(state(model, "cpu-0").reason()).isEmpty();
  }

  @Test
  void downReasonOnPoweredDownHosts_sendsJobsToThePartitionsOtherPool_untilResume() {
    SlurmModel model = twoPoolModel(TIMING);
    List<String> lp = List.of("lp-0", "lp-1", "lp-2", "lp-3");
    model.setDown(lp, "capacity: pool lp backed off");
    model.advanceTo(T0);
    assertThat(state(model, "lp-0").sinfoState()).isEqualTo("down~");

    model.submit(job(Duration.ofSeconds(1), "work", 2, Duration.ofMinutes(1)));
    model.advanceTo(at(Duration.ofSeconds(1)));
    assertThat(hooks.resumed).containsExactly(List.of("ded-0", "ded-1"));

    assertThat(model.returnToService(lp)).isEmpty();
    model.submit(job(Duration.ofSeconds(2), "work", 2, Duration.ofMinutes(1)));
    model.advanceTo(at(Duration.ofSeconds(2)));
    assertThat(hooks.resumed).containsExactly(List.of("ded-0", "ded-1"), List.of("lp-0", "lp-1"));
    assertThat(state(model, "lp-3").sinfoState()).isEqualTo("idle~");
  }

  @Test
  void returnToService_refusesHostsThatAreNeitherDownNorDrained() {
    SlurmModel model = twoPoolModel(TIMING);
    assertThat(model.returnToService(List.of("lp-0"))).singleElement()
        .satisfies(m -> assertThat(m).startsWith("lp-0: Invalid node state transition, node is idle~"));
    assertThatThrownBy(() -> model.setDown(List.of("zz-9"), "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zz-9");
  }

  @Test
  void powerDown_suspendsIdleHostAtOnce_andAllocatedHostWhenItsJobEnds() {
    SlurmModel model = twoPoolModel(TIMING);
    String id = model.submit(job(Duration.ZERO, "other", 1, Duration.ofMinutes(3)));
    model.submit(job(Duration.ZERO, "other", 1, Duration.ofSeconds(30)));
    model.advanceTo(T0);
    registerAll(model, List.of("cpu-0", "cpu-1"), Duration.ofSeconds(10));
    model.advanceTo(at(Duration.ofSeconds(60)));
    assertThat(state(model, "cpu-1").condition()).isEqualTo(HostCondition.IDLE);

    model.powerDown(List.of("cpu-0", "cpu-1"));
    model.advanceTo(at(Duration.ofSeconds(61)));
    assertThat(hooks.suspended).containsExactly(List.of("cpu-1"));
    assertThat(state(model, "cpu-0").sinfoState()).isEqualTo("alloc!");

    model.advanceTo(at(Duration.ofSeconds(190)));
    assertThat(model.job(id).orElseThrow().state()).isEqualTo(JobState.COMPLETED);
    assertThat(hooks.suspended).containsExactly(List.of("cpu-1"), List.of("cpu-0"));
  }

  @Test
  void powerDownWhileBooting_requeuesTheJobAndSuspendsTheHost() {
    SlurmModel model = twoPoolModel(TIMING);
    String id = model.submit(job(Duration.ZERO, "other", 1, Duration.ofMinutes(3)));
    model.advanceTo(T0);
    model.powerDown(List.of("cpu-0"));
    model.advanceTo(at(Duration.ofSeconds(1)));
    assertThat(hooks.calls).containsExactly("resume cpu-0 jobs 1", "suspend cpu-0", "resume cpu-1 jobs 1");
    assertThat(model.job(id).orElseThrow().requeues()).isEqualTo(1);
    // Both ResumeTimeouts fall due at 10 min; only cpu-1's is live, cpu-0's was voided by the suspend.
    model.advanceTo(at(Duration.ofMinutes(10)));
    assertThat(hooks.failed).containsExactly(List.of("cpu-1"));
    // The requeued job now takes cpu-0 again, powered down since 2 min.
    assertThat(hooks.calls).endsWith("resume-fail cpu-1", "resume cpu-0 jobs 1");
  }

  @Test
  void drainedHost_keepsItsJobButTakesNoNewOne() {
    SlurmModel model = twoPoolModel(TIMING);
    model.submit(job(Duration.ZERO, "other", 1, Duration.ofMinutes(3)));
    model.advanceTo(T0);
    registerAll(model, List.of("cpu-0"), Duration.ofSeconds(10));
    model.advanceTo(at(Duration.ofSeconds(10)));
    model.drain(List.of("cpu-0"), "maintenance");
    model.advanceTo(at(Duration.ofSeconds(11)));
    assertThat(state(model, "cpu-0").sinfoState()).isEqualTo("drng");
    model.advanceTo(at(Duration.ofSeconds(200)));
    assertThat(state(model, "cpu-0").condition()).isEqualTo(HostCondition.DRAINED);
    String next = model.submit(job(Duration.ofSeconds(200), "other", 1, Duration.ofMinutes(1)));
    model.advanceTo(at(Duration.ofSeconds(200)));
    assertThat(model.job(next).orElseThrow().hosts()).containsExactly("cpu-1");
  }

  @Test
  void requeueDelay_holdsRequeuedJobsBeforeTheyAreScheduledAgain() {
    SlurmModel model = twoPoolModel(TIMING.withRequeueDelay(Duration.ofSeconds(121)));
    String id = model.submit(job(Duration.ZERO, "other", 1, Duration.ofMinutes(1)));
    model.advanceTo(T0);
    model.advanceTo(at(Duration.ofMinutes(10)));
    assertThat(model.job(id).orElseThrow().state()).isEqualTo(JobState.PENDING);
    assertThat(hooks.resumed).hasSize(1);
    model.advanceTo(at(Duration.ofMinutes(10).plusSeconds(121)));
    assertThat(hooks.resumed).containsExactly(List.of("cpu-0"), List.of("cpu-1"));
  }

  @Test
  void blockedWideJob_keepsTheHostsItWillUse_butOtherHostsStillServeLaterJobs() {
    SlurmModel model = twoPoolModel(TIMING);
    model.submit(job(Duration.ZERO, "other", 1, Duration.ofMinutes(30)));
    model.submit(new JobSpec(T0, "work", 4, Duration.ofMinutes(30), Optional.of("ib"), true));
    model.advanceTo(T0);
    registerAll(model, List.of("cpu-0", "ded-0", "ded-1", "ded-2", "ded-3"), Duration.ofSeconds(10));
    String wide = model.submit(job(Duration.ofMinutes(1), "other", 2, Duration.ofMinutes(5)));
    String small = model.submit(job(Duration.ofMinutes(2), "other", 1, Duration.ofMinutes(5)));
    String ib = model.submit(new JobSpec(T0.plusSeconds(120), "work", 2, Duration.ofMinutes(5), Optional.of("ib"), true));
    String lp = model.submit(new JobSpec(T0.plusSeconds(121), "work", 2, Duration.ofMinutes(5), Optional.of("low_priority"),
        true));
    model.advanceTo(at(Duration.ofMinutes(3)));
    // cpu-1 is free, but promised to the 2-node job that waits for cpu-0: the later 1-node job waits too.
    assertThat(model.job(wide).orElseThrow().state()).isEqualTo(JobState.PENDING);
    assertThat(model.job(small).orElseThrow().state()).isEqualTo(JobState.PENDING);
    // The ib job waits for ded hosts; the low-priority job does not need them and starts.
    assertThat(model.job(ib).orElseThrow().state()).isEqualTo(JobState.PENDING);
    assertThat(model.job(lp).orElseThrow().hosts()).containsExactly("lp-0", "lp-1");

    model.advanceTo(at(Duration.ofSeconds(1810)));
    assertThat(model.job(wide).orElseThrow().hosts()).containsExactly("cpu-0", "cpu-1");
    assertThat(model.job(small).orElseThrow().state()).isEqualTo(JobState.PENDING);
  }

  @Test
  void advanceTo_refusesToGoBackInTime() {
    SlurmModel model = twoPoolModel(TIMING);
    model.advanceTo(at(Duration.ofMinutes(1)));
    assertThatThrownBy(() -> model.advanceTo(T0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> model.submit(job(Duration.ZERO, "work", 1, Duration.ofMinutes(1))))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
