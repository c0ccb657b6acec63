package dev.slipway.local.netns;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeLauncherTest {
  @TempDir
  Path dir;

  private static final NodeLauncher.Launch LAUNCH = new NodeLauncher.Launch("sw-abc123-gpu-1", "gpu-1", Path.of("/n/gpu-1"),
      List.of("slipway-node-join"), Map.of());

  /** What slurmctld computes (node_mgr.c): time() minus the sysinfo() uptime rounded up. */
  private static long slurmBootTime(double registrationEpoch, double nodeUptime) {
    return (long) Math.floor(registrationEpoch) - (long) Math.ceil(nodeUptime);
  }

  private static double epoch(Instant i) {
    return i.getEpochSecond() + i.getNano() / 1e9;
  }

  @Test
  void command_entersOnlyTheNetworkNamespaceAndGivesNewUtsAndTimeNamespaces() {
    Instant now = Instant.parse("2026-05-01T10:00:00.300Z");
    NodeLauncher launcher = new NodeLauncher(null, d -> { }, null);

    NodeLauncher.Plan plan = launcher.command(LAUNCH, now, new HostClock.Reading(now, Duration.ofMillis(1000_250)));

    assertThat(plan.command()).startsWith("nsenter", "--net=/run/netns/sw-abc123-gpu-1", "unshare", "--uts", "--time", "--fork", "--boottime");
    assertThat(plan.command()).doesNotContain("ip", "exec", "--mount", "--pid");
    assertThat(plan.command()).endsWith("slipway-node", "gpu-1", "/n/gpu-1/start-task.exit", "slipway-node-join");
    assertThat(plan.command().get(7)).isEqualTo(Long.toString(plan.bootOffsetSeconds()));
  }

  @Test
  void command_putsTheBootInstantInTheSecondAfterTheRequestsNextWholeSecond() {
    Instant requested = Instant.parse("2026-05-01T10:00:00.300Z");
    NodeLauncher launcher = new NodeLauncher(null, d -> { }, null);

    NodeLauncher.Plan plan = launcher.command(LAUNCH, requested, new HostClock.Reading(requested, Duration.ofMillis(1000_250)));

    // host booted at 09:43:20.050; b = hostBoot + M, the first such instant >= 10:00:01.050
    assertThat(plan.bootInstant()).isEqualTo(Instant.parse("2026-05-01T10:00:01.050Z"));
    assertThat(plan.bootOffsetSeconds()).isEqualTo(-1001);

    NodeLauncher.Plan later = launcher.command(LAUNCH, requested, new HostClock.Reading(requested, Duration.ofMillis(1000_350)));
    // host booted at 09:43:19.950: b = 10:00:01.950
    assertThat(later.bootInstant()).isEqualTo(Instant.parse("2026-05-01T10:00:01.950Z"));
  }

  /**
   * The property the arithmetic exists for: whatever the resume second R, the node's request
   * instant C (in R's second or later), the host's boot instant and the registration instant,
   * slurmctld's boot_time is never before R, and the node's uptime is never 0.
   */
  @Test
  void bootTime_asSlurmctldComputesIt_isNeverBeforeTheResumeRequest_randomized() {
    Random random = new Random(20260501);
    NodeLauncher launcher = new NodeLauncher(null, d -> { }, null);
    for (int i = 0; i < 100_000; i++) {
      long resumeSecond = 1_780_000_000L + random.nextInt(1000);
      Instant requested = Instant.ofEpochSecond(resumeSecond, random.nextInt(1_000_000_000)).plusMillis(random.nextInt(3) * 1000L);
      Duration hostUptime = Duration.ofSeconds(100 + random.nextInt(100_000), random.nextInt(1_000_000_000));
      // /proc/uptime truncates to hundredths, so the reading's uptime may be up to 10 ms short.
      Duration readUptime = hostUptime.minusNanos(hostUptime.getNano() % 10_000_000);
      NodeLauncher.Plan plan = launcher.command(LAUNCH, requested, new HostClock.Reading(requested, readUptime));
      Instant trueBoot = requested.minus(hostUptime).plusSeconds(-plan.bootOffsetSeconds());
      double registration = epoch(trueBoot) + 0.001 + random.nextDouble() * 3;
      double nodeUptime = registration - epoch(trueBoot);

      assertThat(Math.ceil(nodeUptime)).isGreaterThan(0);
      assertThat(slurmBootTime(registration, nodeUptime)).as("case %d", i).isGreaterThanOrEqualTo(resumeSecond);
      assertThat(Duration.between(requested, trueBoot)).isLessThan(Duration.ofMillis(2100));
    }
  }

  @Test
  void bootNearZeroAtCreation_wouldBeIgnoredBySlurmctld() {
    // Why the arithmetic: a boot instant equal to the request instant fails in the request's own second.
    double resume = 1_780_000_000.2;
    double created = 1_780_000_000.5;
    double registration = 1_780_000_000.9;
    assertThat(slurmBootTime(registration, registration - created)).isLessThan((long) Math.floor(resume));
  }

  @Test
  void launch_waitsUntilTheBootInstantThenRecordsThePid() throws Exception {
    Instant now = Instant.parse("2026-05-01T10:00:00.300Z");
    List<Duration> waits = new ArrayList<>();
    List<List<String>> spawned = new ArrayList<>();
    NodeLauncher launcher = new NodeLauncher(() -> new HostClock.Reading(now, Duration.ofSeconds(500)), waits::add,
        (command, env, log) -> {
          spawned.add(command);
          assertThat(env).containsEntry("SLIPWAY_NODE_ID", "gpu-1").containsKey("PATH").doesNotContainKey("JAVA_HOME");
          return new NodeLauncher.StartedProcess(4242, CompletableFuture.completedFuture(0));
        });
    NodeLauncher.Launch launch = new NodeLauncher.Launch("ns", "gpu-1", dir, List.of("true"), Map.of("SLIPWAY_NODE_ID", "gpu-1"));

    NodeLauncher.StartedProcess p = launcher.launch(launch, now);

    assertThat(p.pid()).isEqualTo(4242);
    assertThat(waits).hasSize(1);
    assertThat(waits.get(0)).isBetween(Duration.ofMillis(700), Duration.ofMillis(2100));
    assertThat(Files.readString(dir.resolve("pids"))).isEqualTo("4242\n");
    assertThat(dir.resolve("logs")).isDirectory();
    assertThat(spawned).hasSize(1);
  }

  @Test
  void commandBootedJustNow_startsTheBootClockInTheLastSecond_neverInTheFuture() {
    Instant now = Instant.parse("2026-05-01T10:00:00.300Z");
    NodeLauncher launcher = new NodeLauncher(null, d -> { }, null);

    NodeLauncher.Plan plan = launcher.commandBootedJustNow(LAUNCH, new HostClock.Reading(now, Duration.ofMillis(1000_250)));

    // host uptime 1000.25 s: the offset is -1000 (the kernel refuses a clock below zero), b = now - 0.25 s
    assertThat(plan.bootOffsetSeconds()).isEqualTo(-1000);
    assertThat(plan.bootInstant()).isEqualTo(Instant.parse("2026-05-01T10:00:00.050Z"));
    assertThat(plan.command().get(7)).isEqualTo("-1000");
  }

  @Test
  void launchNow_startsWithoutWaitingAndRecordsThePid() throws Exception {
    Instant now = Instant.parse("2026-05-01T10:00:00.300Z");
    List<Duration> waits = new ArrayList<>();
    List<List<String>> spawned = new ArrayList<>();
    NodeLauncher launcher = new NodeLauncher(() -> new HostClock.Reading(now, Duration.ofMillis(500_990)), waits::add,
        (command, env, log) -> {
          spawned.add(command);
          return new NodeLauncher.StartedProcess(4243, CompletableFuture.completedFuture(0));
        });
    NodeLauncher.Launch launch = new NodeLauncher.Launch("ns", "gpu-1", dir, List.of("true"), Map.of("SLIPWAY_NODE_ID", "gpu-1"));

    NodeLauncher.StartedProcess p = launcher.launchNow(launch);

    assertThat(p.pid()).isEqualTo(4243);
    assertThat(waits).isEmpty();
    assertThat(spawned.get(0)).contains("--boottime", "-500");
    assertThat(Files.readString(dir.resolve("pids"))).isEqualTo("4243\n");
  }
}
