package dev.slipway.hooks;

import dev.slipway.engine.ClusterTopology;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.model.HostList;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.StateStore;
import dev.slipway.spi.StoreUnavailableException;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.InMemoryStateStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PowerSaveHookTest {
  private final FakeClock clock = new FakeClock();
  private final ObservedStore observed = new ObservedStore();
  private final InMemoryStateStore memory = observed.memory();
  /** Every StateStore method called on {@link #store}, in order. */
  private final List<String> calls = observed.calls();
  private final StateStore store = observed.store();
  private final ClusterTopology pools = ObservedStore.cpuAndGpuPools();
  private final PowerSaveHook hook = new PowerSaveHook(pools, store, clock);

  private HookResult run(HookKind kind, String hostlist) {
    return hook.run(kind, HostList.parse(hostlist), Optional.empty());
  }

  @Test
  void resume_recordsIntentUpForEveryHost_inOneStoreCall_withConsecutiveSequences() {
    HookResult r = run(HookKind.RESUME, "cpu-[0-3],gpu-1");
    assertThat(calls).containsExactly("recordIntents", "appendEvents");
    assertThat(r.recorded()).extracting(HostIntent::host).containsExactly("cpu-0", "cpu-1", "cpu-2", "cpu-3", "gpu-1");
    assertThat(r.recorded()).extracting(HostIntent::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(r.recorded()).allSatisfy(i -> {
      assertThat(i.intent()).isEqualTo(Intent.UP);
      assertThat(i.source()).isEqualTo(IntentSource.RESUME);
      assertThat(i.at()).isEqualTo(clock.instant());
    });
    assertThat(memory.intents().get("gpu-1").poolId()).isEqualTo("gpu");
    assertThat(memory.intents().get("cpu-3").poolId()).isEqualTo("cpu");
    assertThat(r.hasRejected()).isFalse();
  }

  @Test
  void suspend_afterResume_replacesTheIntentWithDownAndAHigherSequence() {
    run(HookKind.RESUME, "cpu-[0-1]");
    clock.advance(Duration.ofMinutes(5));
    run(HookKind.SUSPEND, "cpu-1");
    HostIntent cpu1 = memory.intents().get("cpu-1");
    assertThat(cpu1.intent()).isEqualTo(Intent.DOWN);
    assertThat(cpu1.source()).isEqualTo(IntentSource.SUSPEND);
    assertThat(cpu1.seq()).isEqualTo(3);
    assertThat(cpu1.at()).isEqualTo(clock.instant());
    assertThat(memory.intents().get("cpu-0").intent()).isEqualTo(Intent.UP);
  }

  @Test
  void resumeFail_recordsDownWithTheResumeFailSource() {
    run(HookKind.RESUME, "gpu-0");
    HookResult r = run(HookKind.RESUME_FAIL, "gpu-0");
    assertThat(r.recorded()).singleElement().satisfies(i -> {
      assertThat(i.intent()).isEqualTo(Intent.DOWN);
      assertThat(i.source()).isEqualTo(IntentSource.RESUME_FAIL);
    });
    assertThat(memory.hostEvents("gpu-0", 10)).extracting(HostEvent::kind).containsExactly("slurm-resume", "slurm-resume-fail");
  }

  @Test
  void resume_hostsOutsideEveryPool_areRejectedWhileTheOthersAreRecorded() {
    HookResult r = run(HookKind.RESUME, "cpu-7,cpu-8,login1,gpu-[1-2]");
    assertThat(r.recorded()).extracting(HostIntent::host).containsExactly("cpu-7", "gpu-1");
    assertThat(r.rejected()).containsExactly("cpu-8", "login1", "gpu-2");
    assertThat(r.rejectionMessage()).contains("resume: 3 hosts are in no elastic pool and were not recorded: cpu-8,login1,gpu-2;"
        + " known pools: cpu (cpu-[0-7]), gpu (gpu-[0-1])");
    assertThat(memory.intents()).containsOnlyKeys("cpu-7", "gpu-1");
  }

  @Test
  void resume_onlyUnknownHosts_writesNothing() {
    HookResult r = run(HookKind.RESUME, "login[1-2]");
    assertThat(calls).isEmpty();
    assertThat(r.recorded()).isEmpty();
    assertThat(r.rejected()).containsExactly("login1", "login2");
  }

  @Test
  void resume_hostNamedTwice_isRecordedOnce() {
    HookResult r = run(HookKind.RESUME, "cpu-[1-2],cpu-1");
    assertThat(r.recorded()).extracting(HostIntent::host).containsExactly("cpu-1", "cpu-2");
  }

  @Test
  void resume_withResumeFile_attachesEachHostsJobsToItsIntentAndHistory() {
    ResumeFile jobs = ResumeFile.parse(
        "{\"all_nodes\":\"cpu-[0-2]\",\"jobs\":[{\"job_id\":12,\"nodes\":\"cpu-[0-1]\"},{\"job_id\":13,\"nodes\":\"cpu-1\"}]}");
    HookResult r = hook.run(HookKind.RESUME, HostList.parse("cpu-[0-2]"), Optional.of(jobs));
    assertThat(r.recorded()).extracting(HostIntent::jobIds).containsExactly(List.of("12"), List.of("12", "13"), List.of());
    assertThat(memory.intents().get("cpu-1").jobIds()).containsExactly("12", "13");
    assertThat(memory.hostEvents("cpu-1", 10)).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo("slurm-resume");
      assertThat(e.poolId()).isEqualTo("cpu");
      assertThat(e.at()).isEqualTo(clock.instant());
      assertThat(e.message()).isEqualTo("Slurm ResumeProgram asked for cpu-1: intent UP (seq 2) for jobs 12,13");
    });
    assertThat(memory.hostEvents("cpu-2", 10)).singleElement()
        .extracting(HostEvent::message).isEqualTo("Slurm ResumeProgram asked for cpu-2: intent UP (seq 3)");
  }

  @Test
  void historyFailure_keepsTheIntentsAndIsReported() {
    observed.failOn("appendEvents", new IllegalStateException("disk full\nmore"));
    HookResult r = run(HookKind.SUSPEND, "cpu-4");
    assertThat(memory.intents()).containsOnlyKeys("cpu-4");
    assertThat(r.historyFailure()).contains("disk full");
  }

  @Test
  void storeFailure_propagatesAndRecordsNothing() {
    observed.failOn("recordIntents", new StoreUnavailableException("state store /x/slipway.db is read-only", null));
    assertThatThrownBy(() -> run(HookKind.RESUME, "cpu-0"))
        .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("read-only");
    assertThat(memory.intents()).isEmpty();
    assertThat(calls).containsExactly("recordIntents");
  }
}
