package dev.slipway.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.model.NodeType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Seeded random workloads against a toy cloud that boots every resumed host after a sampled
 * delay (or never, at the pool's start-task failure rate). Checks the model's invariants after
 * every step and that a seed always gives the same run.
 */
class SlurmModelRandomizedTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static final SimTopology TOPOLOGY = new SimTopology(List.of(
      new PartitionModel("work", List.of(
          new PoolModel("lp", "lp", 6, 1, List.of("low_priority"), NodeType.LOW_PRIORITY, 0),
          new PoolModel("ded", "ded", 4, 5, List.of("ib", "dedicated"), NodeType.DEDICATED, 1))),
      new PartitionModel("small", List.of(
          new PoolModel("cpu", "cpu", 3, 1, List.of("dedicated"), NodeType.DEDICATED, 0)))));

  /** Hooks that play the cloud: a resumed host registers after its boot time unless it fails. */
  private static final class ToyCloud implements PowerSaveHooks {
    final SplittableRandom random;
    final double failure;
    final PriorityQueue<Map.Entry<Instant, String>> boots =
        new PriorityQueue<>(Map.Entry.<Instant, String>comparingByKey().thenComparing(Map.Entry.comparingByValue()));
    final List<String> log = new ArrayList<>();
    SlurmModel model;

    ToyCloud(long seed, double failure) {
      this.random = new SplittableRandom(seed);
      this.failure = failure;
    }

    @Override
    public void resume(List<String> hosts, List<String> jobIds) {
      log.add(model.now() + " resume " + hosts + " " + jobIds);
      BootTime boot = new BootTime.Uniform(Duration.ofSeconds(30), Duration.ofMinutes(4));
      for (String h : hosts) {
        if (random.nextDouble() >= failure) {
          boots.add(Map.entry(model.now().plus(boot.sample(random)), h));
        }
      }
    }

    @Override
    public void suspend(List<String> hosts) {
      log.add(model.now() + " suspend " + hosts);
    }

    @Override
    public void resumeFail(List<String> hosts) {
      log.add(model.now() + " resume-fail " + hosts);
    }
  }

  private record Run(List<String> log, SimStats stats, List<JobView> jobs) {}

  private static Run run(long seed, double failure) {
    SplittableRandom random = new SplittableRandom(seed);
    ToyCloud cloud = new ToyCloud(seed * 31 + 7, failure);
    SlurmTiming timing = SlurmTiming.of(Duration.ofMinutes(3), Duration.ofMinutes(5), Duration.ofMinutes(1));
    SlurmModel model = new SlurmModel(TOPOLOGY, timing, cloud, T0);
    cloud.model = model;
    for (int i = 0; i < 40; i++) {
      boolean small = random.nextInt(4) == 0;
      Optional<String> constraint = small ? Optional.empty()
          : switch (random.nextInt(4)) {
            case 0 -> Optional.of("ib");
            case 1 -> Optional.of("low_priority");
            default -> Optional.empty();
          };
      int max = small ? 3 : constraint.map(c -> c.equals("ib") ? 4 : 6).orElse(10);
      model.submit(new JobSpec(T0.plusSeconds(random.nextInt(3600)), small ? "small" : "work",
          1 + random.nextInt(max), Duration.ofSeconds(60 + random.nextInt(600)), constraint, random.nextBoolean()));
    }
    Instant end = T0.plus(Duration.ofHours(3));
    Instant t = T0;
    while (t.isBefore(end)) {
      Instant next = model.nextEventAt();
      if (!cloud.boots.isEmpty() && cloud.boots.peek().getKey().isBefore(next)) {
        next = cloud.boots.peek().getKey();
      }
      t = next.isAfter(end) ? end : next;
      model.advanceTo(t);
      while (!cloud.boots.isEmpty() && !cloud.boots.peek().getKey().isAfter(t)) {
        String host = cloud.boots.poll().getValue();
        model.registered(host, t);
        // With faults on, a toy preemption: now and then a freshly registered low-priority node is lost again.
        if (failure > 0 && host.startsWith("lp") && random.nextInt(10) == 0) {
          model.nodeLost(host);
        }
      }
      model.advanceTo(t);
      checkInvariants(model);
    }
    return new Run(cloud.log, model.stats(), model.jobs());
  }

  /** Plain checks, not AssertJ: this runs after every step of every run. */
  private static void checkInvariants(SlurmModel model) {
    Map<String, HostState> hosts = model.hosts().stream().collect(Collectors.toMap(HostState::host, Function.identity()));
    Map<String, String> owner = new TreeMap<>();
    long live = 0;
    for (JobView job : model.jobs()) {
      boolean holding = job.state() == JobState.RUNNING || job.state() == JobState.CONFIGURING;
      if (holding || job.state() == JobState.PENDING) {
        live++;
      }
      check(job.hosts().size() == (holding ? job.spec().nodes() : 0), "job holds the wrong number of hosts", job);
      PartitionModel partition = TOPOLOGY.partition(job.spec().partition()).orElseThrow();
      for (String h : job.hosts()) {
        check(owner.put(h, job.id()) == null, "host " + h + " in two jobs", job);
        HostState host = hosts.get(h);
        check(host.jobId().equals(Optional.of(job.id())), "host does not point back to its job " + host, job);
        check(partition.pools().stream().anyMatch(p -> p.poolId().equals(host.poolId())), "host outside partition", job);
        check(job.spec().constraint().map(c -> FeatureConstraint.parse(c)
            .matches(TOPOLOGY.pool(host.poolId()).orElseThrow().features())).orElse(true), "constraint broken", job);
        check(job.state() != JobState.RUNNING || host.power() == PowerState.UP, "running on a host not up " + host, job);
        check(host.power() == PowerState.UP || host.power() == PowerState.POWERING_UP, "allocated " + host, job);
      }
    }
    for (HostState h : hosts.values()) {
      check(h.allocated() == owner.containsKey(h.host()), "allocation flag disagrees", h);
    }
    SimStats s = model.stats();
    check(s.jobsCompleted() + s.jobsFailed() + live == s.jobsSubmitted(), "jobs not conserved", s);
  }

  private static void check(boolean ok, String what, Object subject) {
    if (!ok) {
      throw new AssertionError(what + ": " + subject);
    }
  }

  @Test
  void randomWorkloads_keepInvariants_andWithoutFaultsEveryJobCompletesWithinThreeHours() {
    for (long seed = 1; seed <= 8; seed++) {
      Run run = run(seed, 0.0);
      assertThat(run.jobs()).as("seed %d", seed).allSatisfy(j -> assertThat(j.state())
          .isIn(JobState.COMPLETED, JobState.FAILED));
      assertThat(run.stats().resumeFailures()).isZero();
      assertThat(run.stats().waitTimes()).hasSize(run.stats().jobsCompleted());
    }
  }

  @Test
  void randomWorkloads_withBootFailuresAndPreemption_keepInvariantsAndCallResumeFail() {
    int failures = 0;
    for (long seed = 1; seed <= 8; seed++) {
      failures += run(seed, 0.2).stats().resumeFailures();
    }
    assertThat(failures).isPositive();
  }

  @Test
  void sameSeed_sameRun() {
    Run a = run(11, 0.1);
    Run b = run(11, 0.1);
    assertThat(b.log()).isEqualTo(a.log());
    assertThat(b.stats()).isEqualTo(a.stats());
    assertThat(run(12, 0.1).log()).isNotEqualTo(a.log());
  }
}
