package dev.slipway.simulate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;

/**
 * A discrete-event model of slurmctld 22.05's scheduling and power saving for elastic (CLOUD)
 * nodes, driven by a virtual clock: nothing happens between calls to {@link #advanceTo}, which
 * processes every due event in time order. No threads, no sleeps, no randomness: the same calls
 * give the same results.
 *
 * <p>What it models, and why each choice (see docs/simulate.md for the full list):
 * <ul>
 *   <li>Scheduling passes run at every instant where something changed (submission, job end,
 *       registration, node state change) and every {@code sched_interval}. Pending jobs are tried
 *       in submission order (requeued jobs keep their place). A job that cannot start reserves the
 *       free hosts it could use, so later jobs only get other hosts: backfill when no time limits are
 *       known, which keeps wide jobs from starving.
 *   <li>Host choice follows node_scheduler.c: the lowest Weight first, and within one weight
 *       powered-up idle hosts before powering-up ones before powered-down ones, then node order.
 *   <li>Allocating powered-down hosts marks them POWERING_UP; all hosts one instant powers up go
 *       to ResumeProgram in one call, with their job ids. A job runs when all its hosts have
 *       registered. A host not registered within ResumeTimeout becomes DOWN+POWERED_DOWN with
 *       reason "ResumeTimeout reached", goes to ResumeFailProgram, and its job is requeued.
 *   <li>The power_save thread runs every {@code power_save_interval} and at once after an
 *       explicit POWER_DOWN: hosts idle or DOWN (not allocated) for SuspendTime and not in
 *       SuspendExcNodes go to SuspendProgram, are POWERING_DOWN for SuspendTimeout, then powered
 *       down. With idle_on_node_suspend, suspending clears DOWN and DRAIN.
 *   <li>A registered host whose slurmd vanishes is "not responding" ({@code *}) and becomes DOWN
 *       after SlurmdTimeout; only then is its job requeued (or failed if not requeueable). An
 *       engine that marks it DOWN earlier gets the job requeued at once.
 * </ul>
 *
 * <p>Inbound calls ({@link #registered}, {@link #nodeLost} and the scontrol-like controls) only
 * change state at the current instant; their consequences (a scheduling pass, hook calls) happen
 * in the next {@link #advanceTo}, even {@code advanceTo(now())}. Hooks are therefore never called
 * from inside an inbound call, and must not call {@link #advanceTo} themselves.
 */
public final class SlurmModel {
  static final String REASON_RESUME_TIMEOUT = "ResumeTimeout reached";
  static final String REASON_NOT_RESPONDING = "Not responding";
  static final String REASON_UNEXPECTED_REBOOT = "Node unexpectedly rebooted";

  private final SlurmTiming timing;
  private final PowerSaveHooks hooks;
  private final Map<String, Host> hosts = new LinkedHashMap<>();
  private final Map<String, List<Host>> partitionHosts = new LinkedHashMap<>();
  private final Map<String, Job> jobs = new LinkedHashMap<>();
  /** PENDING jobs in priority order: submission time, then job id (a requeued job keeps its place). */
  private final TreeSet<Job> pendingJobs =
      new TreeSet<>(Comparator.comparing((Job j) -> j.spec.at()).thenComparingInt(j -> j.number));
  private final PriorityQueue<Event> events =
      new PriorityQueue<>(Comparator.comparing(Event::at).thenComparingLong(Event::seq));
  private Instant now;
  private long seq;
  private int nextJobId = 1;
  private boolean scheduleWanted;
  private boolean powerSaveWanted;
  private boolean advancing;

  private final Set<String> resumeHosts = new LinkedHashSet<>();
  private final Set<String> resumeJobs = new LinkedHashSet<>();
  private final Set<String> suspendHosts = new LinkedHashSet<>();
  private final Set<String> resumeFailHosts = new LinkedHashSet<>();

  private int jobsSubmitted;
  private int jobsRejected;
  private int jobsCompleted;
  private int jobsFailed;
  private int requeues;
  private final List<Duration> waitTimes = new ArrayList<>();
  private int hostsResumed;
  private int resumeCalls;
  private int hostsSuspended;
  private int suspendCalls;
  private int resumeFailures;
  private int unexpectedRegistrations;
  private final List<Duration> resumeToRegistered = new ArrayList<>();

  /** All hosts start powered down and idle ({@code idle~}), as State=CLOUD nodes do. */
  public SlurmModel(SimTopology topology, SlurmTiming timing, PowerSaveHooks hooks, Instant start) {
    this.timing = timing;
    this.hooks = hooks;
    this.now = start;
    Set<String> excluded = topology.suspendExcludedHosts();
    int order = 0;
    for (PartitionModel partition : topology.partitions()) {
      List<Host> members = new ArrayList<>();
      for (PoolModel pool : partition.pools()) {
        for (int i = 0; i < pool.maxNodes(); i++) {
          String name = pool.hostName(i);
          Host h = hosts.get(name);
          if (h == null) {
            h = new Host(name, pool, order++, excluded.contains(name), start);
            hosts.put(name, h);
          }
          h.partitions.add(partition.name());
          members.add(h);
        }
      }
      partitionHosts.put(partition.name(), members);
    }
    push(start.plus(timing.schedInterval()), Kind.SCHED_TICK, null, null, 0);
    push(start.plus(timing.powerSaveInterval()), Kind.POWER_SAVE_TICK, null, null, 0);
  }

  public Instant now() {
    return now;
  }

  // ---- time ---------------------------------------------------------------------------------

  /** Processes every event due up to and including {@code target}, then sets the clock to it. */
  public void advanceTo(Instant target) {
    if (target.isBefore(now)) {
      throw new IllegalArgumentException("cannot move the clock back from " + now + " to " + target);
    }
    if (advancing) {
      throw new IllegalStateException("advanceTo called from inside a power-save hook");
    }
    advancing = true;
    try {
      endOfInstant();
      while (!events.isEmpty() && !events.peek().at().isAfter(target)) {
        Instant t = events.peek().at();
        now = t;
        while (!events.isEmpty() && events.peek().at().equals(t)) {
          process(events.poll());
        }
        endOfInstant();
      }
      now = target;
    } finally {
      advancing = false;
    }
  }

  /**
   * When the model next has something to do: now if inbound calls left work pending, else its
   * earliest due event. A harness steps {@code advanceTo(min(this, its own next event))} so that
   * what a hook call starts (a node booting) is never skipped over.
   */
  public Instant nextEventAt() {
    if (scheduleWanted || powerSaveWanted || !resumeHosts.isEmpty() || !suspendHosts.isEmpty()
        || !resumeFailHosts.isEmpty()) {
      return now;
    }
    // The periodic ticks keep the queue non-empty for the model's whole life.
    return events.peek().at();
  }

  // ---- jobs ---------------------------------------------------------------------------------

  /** Queues a submission at {@code spec.at()} (not before now) and returns the job id it will have. */
  public String submit(JobSpec spec) {
    if (spec.at().isBefore(now)) {
      throw new IllegalArgumentException("job submitted at " + spec.at() + " but the clock is already at " + now);
    }
    Job job = new Job(nextJobId++, spec);
    push(spec.at(), Kind.SUBMIT, null, job, 0);
    return job.id;
  }

  public List<JobView> jobs() {
    return jobs.values().stream().map(Job::view).toList();
  }

  public Optional<JobView> job(String id) {
    return Optional.ofNullable(jobs.get(id)).map(Job::view);
  }

  // ---- inbound from nodes -------------------------------------------------------------------

  /** A node's slurmd registered as {@code host} at {@code at} (the clock advances there first). */
  public void registered(String host, Instant at) {
    if (at.isAfter(now)) {
      advanceTo(at);
    }
    Host h = host(host);
    switch (h.power) {
      case POWERING_UP -> {
        Duration latency = Duration.between(h.resumeRequestedAt, at);
        resumeToRegistered.add(latency.isNegative() ? Duration.ZERO : latency);
        h.power = PowerState.UP;
        h.responding = true;
        h.epoch++;
        applyReturnToService(h);
        if (h.job == null) {
          h.idleSince = now;
        } else {
          startIfReady(h.job);
        }
      }
      case UP -> {
        if (!h.responding) {
          h.responding = true;
          h.epoch++;
          applyReturnToService(h);
        }
      }
      case POWERED_DOWN -> {
        // slurmctld did not ask for this node: it comes up DOWN and waits for an operator.
        unexpectedRegistrations++;
        h.power = PowerState.UP;
        h.responding = true;
        h.epoch++;
        h.down = true;
        h.reason = Optional.of(REASON_UNEXPECTED_REBOOT);
        h.idleSince = now;
      }
      case POWERING_DOWN -> unexpectedRegistrations++;
    }
    scheduleWanted = true;
  }

  /** The node serving {@code host} is gone (removed, preempted, slurmd killed). */
  public void nodeLost(String host) {
    Host h = host(host);
    if (h.power == PowerState.UP && h.responding) {
      h.responding = false;
      h.epoch++;
      push(now.plus(timing.slurmdTimeout()), Kind.SLURMD_TIMEOUT, h, null, h.epoch);
    }
    // A host never registered is caught by ResumeTimeout; one powering down was expected to go.
  }

  // ---- scontrol-like controls ---------------------------------------------------------------

  /** {@code scontrol update nodename=... state=DOWN reason=...}: any job on them is requeued or failed. */
  public void setDown(Collection<String> names, String reason) {
    for (Host h : hosts(names)) {
      h.down = true;
      h.reason = Optional.of(reason);
      Job job = h.job;
      if (job != null) {
        nodeFailedUnder(job, "node " + h.name + " set DOWN: " + reason);
      }
    }
    scheduleWanted = true;
  }

  /** {@code state=DRAIN reason=...}: no new jobs; a running job finishes. */
  public void drain(Collection<String> names, String reason) {
    for (Host h : hosts(names)) {
      h.drain = true;
      h.reason = Optional.of(reason);
    }
    scheduleWanted = true;
  }

  /**
   * {@code state=RESUME}: returns DOWN or DRAINED hosts to service. Returns one message per host
   * Slurm would refuse (neither DOWN nor DRAINED); the others are changed.
   */
  public List<String> returnToService(Collection<String> names) {
    List<String> refused = new ArrayList<>();
    for (Host h : hosts(names)) {
      if (!h.down && !h.drain) {
        refused.add(h.name + ": Invalid node state transition, node is " + h.view().sinfoState());
        continue;
      }
      h.down = false;
      h.drain = false;
      h.reason = Optional.empty();
      if (h.power == PowerState.UP && !h.responding) {
        h.epoch++;
        push(now.plus(timing.slurmdTimeout()), Kind.SLURMD_TIMEOUT, h, null, h.epoch);
      }
    }
    scheduleWanted = true;
    return refused;
  }

  /**
   * {@code state=POWER_DOWN}: an idle host goes to SuspendProgram in this instant's power-save
   * work; an allocated one when its job ends ({@code !}); a powering-up one at once, requeueing
   * its job. Powered-down and powering-down hosts are left as they are.
   */
  public void powerDown(Collection<String> names) {
    for (Host h : hosts(names)) {
      if (h.power == PowerState.POWERED_DOWN || h.power == PowerState.POWERING_DOWN) {
        continue;
      }
      h.powerDownPending = true;
      if (h.power == PowerState.POWERING_UP && h.job != null) {
        Job job = h.job;
        detach(h);
        requeue(job, "node " + h.name + " powered down while booting");
      }
    }
    powerSaveWanted = true;
    scheduleWanted = true;
  }

  /** {@code nodeaddr=...}; Slurm resets it to the node name when the host powers down. */
  public void setNodeAddr(String name, String address) {
    host(name).nodeAddr = Optional.of(address);
  }

  // ---- reads --------------------------------------------------------------------------------

  public List<HostState> hosts() {
    return hosts.values().stream().map(Host::view).toList();
  }

  public Optional<HostState> hostState(String name) {
    return Optional.ofNullable(hosts.get(name)).map(Host::view);
  }

  public SimStats stats() {
    return new SimStats(jobsSubmitted, jobsRejected, jobsCompleted, jobsFailed, requeues, waitTimes, hostsResumed,
        resumeCalls, hostsSuspended, suspendCalls, resumeFailures, unexpectedRegistrations, resumeToRegistered);
  }

  // ---- event processing ---------------------------------------------------------------------

  private void process(Event e) {
    switch (e.kind()) {
      case SUBMIT -> accept(e.job());
      case ELIGIBLE, SCHED_TICK -> {
        scheduleWanted = true;
        if (e.kind() == Kind.SCHED_TICK) {
          push(now.plus(timing.schedInterval()), Kind.SCHED_TICK, null, null, 0);
        }
      }
      case POWER_SAVE_TICK -> {
        powerSaveWanted = true;
        push(now.plus(timing.powerSaveInterval()), Kind.POWER_SAVE_TICK, null, null, 0);
      }
      case JOB_END -> {
        Job job = e.job();
        if (job.state == JobState.RUNNING && job.runEpoch == e.epoch()) {
          job.state = JobState.COMPLETED;
          job.endedAt = Optional.of(now);
          jobsCompleted++;
          waitTimes.add(Duration.between(job.spec.at(), job.startedAt.orElseThrow()));
          for (Host h : List.copyOf(job.hosts)) {
            detach(h);
          }
          scheduleWanted = true;
          powerSaveWanted = true;
        }
      }
      case RESUME_TIMEOUT -> {
        Host h = e.host();
        if (h.epoch == e.epoch() && h.power == PowerState.POWERING_UP) {
          Job job = h.job;
          h.power = PowerState.POWERED_DOWN;
          h.epoch++;
          h.responding = false;
          h.down = true;
          h.reason = Optional.of(REASON_RESUME_TIMEOUT);
          h.nodeAddr = Optional.empty();
          resumeFailHosts.add(h.name);
          resumeFailures++;
          if (job != null) {
            detach(h);
            requeue(job, "node " + h.name + " failed to resume");
          }
          scheduleWanted = true;
        }
      }
      case SUSPEND_DONE -> {
        Host h = e.host();
        if (h.epoch == e.epoch() && h.power == PowerState.POWERING_DOWN) {
          h.power = PowerState.POWERED_DOWN;
          h.responding = false;
          h.nodeAddr = Optional.empty();
          scheduleWanted = true;
        }
      }
      case SLURMD_TIMEOUT -> {
        Host h = e.host();
        if (h.epoch == e.epoch() && h.power == PowerState.UP && !h.responding) {
          if (!h.down) {
            h.down = true;
            h.reason = Optional.of(REASON_NOT_RESPONDING);
          }
          if (h.job != null) {
            nodeFailedUnder(h.job, "node " + h.name + " not responding");
          }
          scheduleWanted = true;
        }
      }
    }
  }

  private void accept(Job job) {
    Optional<String> problem = admissionProblem(job.spec);
    jobs.put(job.id, job);
    if (problem.isPresent()) {
      job.state = JobState.REJECTED;
      job.reason = problem;
      jobsRejected++;
      return;
    }
    jobsSubmitted++;
    job.constraint = job.spec.constraint().map(FeatureConstraint::parse);
    job.state = JobState.PENDING;
    job.eligibleAt = now;
    pendingJobs.add(job);
    scheduleWanted = true;
  }

  /** sbatch refuses what no set of the partition's hosts could ever satisfy. */
  private Optional<String> admissionProblem(JobSpec spec) {
    List<Host> members = partitionHosts.get(spec.partition());
    if (members == null) {
      return Optional.of("invalid partition " + spec.partition() + "; known: " + String.join(", ", partitionHosts.keySet()));
    }
    Optional<FeatureConstraint> constraint;
    try {
      constraint = spec.constraint().map(FeatureConstraint::parse);
    } catch (IllegalArgumentException e) {
      return Optional.of("invalid feature specification: " + e.getMessage());
    }
    long usable = members.stream().filter(h -> constraint.map(c -> c.matches(h.pool.features())).orElse(true)).count();
    if (usable < spec.nodes()) {
      return Optional.of("requested node configuration is not available: " + spec.nodes() + " nodes"
          + constraint.map(c -> " with " + c.text()).orElse("") + " in partition " + spec.partition() + ", which has "
          + usable);
    }
    return Optional.empty();
  }

  private void endOfInstant() {
    if (scheduleWanted) {
      scheduleWanted = false;
      schedulePass();
    }
    if (powerSaveWanted) {
      powerSaveWanted = false;
      powerSaveWork();
    }
    flushHooks();
  }

  private void schedulePass() {
    // Every free host once, in preference order: lowest Weight, then up before powering up
    // before powered down, then configuration order. A job's candidates keep this order.
    List<Host> free = hosts.values().stream()
        .filter(Host::schedulable)
        .sorted(Comparator.comparingInt((Host h) -> h.pool.weight()).thenComparingInt(Host::powerTier)
            .thenComparingInt(h -> h.order))
        .toList();
    // Hosts allocated in this pass, or promised to an earlier job that could not start yet.
    Set<Host> taken = new HashSet<>();
    for (Job job : List.copyOf(pendingJobs)) {
      if (taken.size() == free.size()) {
        break;
      }
      if (job.eligibleAt.isAfter(now)) {
        continue;
      }
      List<Host> candidates = free.stream()
          .filter(h -> !taken.contains(h) && h.partitions.contains(job.spec.partition()))
          .filter(h -> job.constraint.map(c -> c.matches(h.pool.features())).orElse(true))
          .toList();
      if (candidates.size() >= job.spec.nodes()) {
        List<Host> chosen = candidates.subList(0, job.spec.nodes());
        taken.addAll(chosen);
        allocate(job, chosen);
      } else {
        // Backfill without time limits: nothing shows that a later job would finish before this
        // one could start, so the free hosts this job will use are kept for it.
        taken.addAll(candidates);
      }
    }
  }

  private void allocate(Job job, List<Host> chosen) {
    pendingJobs.remove(job);
    job.hosts = new ArrayList<>(chosen);
    job.reason = Optional.empty();
    for (Host h : chosen) {
      h.job = job;
      if (h.power == PowerState.POWERED_DOWN) {
        h.power = PowerState.POWERING_UP;
        h.responding = false;
        h.resumeRequestedAt = now;
        h.epoch++;
        push(now.plus(timing.resumeTimeout()), Kind.RESUME_TIMEOUT, h, null, h.epoch);
        resumeHosts.add(h.name);
        resumeJobs.add(job.id);
        hostsResumed++;
      }
    }
    job.state = JobState.CONFIGURING;
    startIfReady(job);
  }

  private void startIfReady(Job job) {
    if (job.state == JobState.CONFIGURING
        && job.hosts.stream().allMatch(h -> h.power == PowerState.UP && h.responding)) {
      job.state = JobState.RUNNING;
      job.startedAt = Optional.of(now);
      job.runEpoch++;
      push(now.plus(job.spec.duration()), Kind.JOB_END, null, job, job.runEpoch);
    }
  }

  private void nodeFailedUnder(Job job, String why) {
    if (job.state == JobState.RUNNING && !job.spec.requeue()) {
      job.state = JobState.FAILED;
      job.endedAt = Optional.of(now);
      job.reason = Optional.of(why);
      jobsFailed++;
      for (Host h : List.copyOf(job.hosts)) {
        detach(h);
      }
    } else {
      for (Host h : List.copyOf(job.hosts)) {
        detach(h);
      }
      requeue(job, why);
    }
    scheduleWanted = true;
  }

  private void requeue(Job job, String why) {
    for (Host h : List.copyOf(job.hosts)) {
      detach(h);
    }
    job.state = JobState.PENDING;
    pendingJobs.add(job);
    job.hosts = new ArrayList<>();
    job.reason = Optional.of(why);
    job.requeues++;
    requeues++;
    job.eligibleAt = now.plus(timing.requeueDelay());
    if (timing.requeueDelay().isZero()) {
      scheduleWanted = true;
    } else {
      push(job.eligibleAt, Kind.ELIGIBLE, null, job, 0);
    }
  }

  private void detach(Host h) {
    Job job = h.job;
    if (job != null) {
      job.hosts.remove(h);
      h.job = null;
      h.idleSince = now;
    }
  }

  private void powerSaveWork() {
    for (Host h : hosts.values()) {
      if (h.job != null) {
        continue;
      }
      boolean requested = h.powerDownPending && (h.power == PowerState.UP || h.power == PowerState.POWERING_UP);
      boolean expired = h.power == PowerState.UP && !h.excluded
          && !h.idleSince.plus(timing.suspendTime()).isAfter(now);
      if (requested || expired) {
        suspend(h);
      }
    }
  }

  private void suspend(Host h) {
    h.power = PowerState.POWERING_DOWN;
    h.powerDownPending = false;
    h.epoch++;
    if (timing.idleOnNodeSuspend()) {
      h.down = false;
      h.drain = false;
      h.reason = Optional.empty();
    }
    push(now.plus(timing.suspendTimeout()), Kind.SUSPEND_DONE, h, null, h.epoch);
    suspendHosts.add(h.name);
    hostsSuspended++;
  }

  private void applyReturnToService(Host h) {
    if (!h.down) {
      return;
    }
    boolean back = timing.returnToService() == 2
        || (timing.returnToService() == 1 && h.reason.equals(Optional.of(REASON_NOT_RESPONDING)));
    if (back) {
      h.down = false;
      h.reason = Optional.empty();
    }
  }

  private void flushHooks() {
    if (!resumeFailHosts.isEmpty()) {
      List<String> failed = List.copyOf(resumeFailHosts);
      resumeFailHosts.clear();
      hooks.resumeFail(failed);
    }
    if (!suspendHosts.isEmpty()) {
      List<String> suspended = List.copyOf(suspendHosts);
      suspendHosts.clear();
      suspendCalls++;
      hooks.suspend(suspended);
    }
    if (!resumeHosts.isEmpty()) {
      List<String> resumed = List.copyOf(resumeHosts);
      List<String> jobIds = List.copyOf(resumeJobs);
      resumeHosts.clear();
      resumeJobs.clear();
      resumeCalls++;
      hooks.resume(resumed, jobIds);
    }
  }

  private Host host(String name) {
    Host h = hosts.get(name);
    if (h == null) {
      throw new IllegalArgumentException("Invalid node name specified: " + name);
    }
    return h;
  }

  private List<Host> hosts(Collection<String> names) {
    return names.stream().map(this::host).toList();
  }

  private void push(Instant at, Kind kind, Host host, Job job, long epoch) {
    events.add(new Event(at, seq++, kind, host, job, epoch));
  }

  private enum Kind {
    SUBMIT,
    ELIGIBLE,
    SCHED_TICK,
    POWER_SAVE_TICK,
    JOB_END,
    RESUME_TIMEOUT,
    SUSPEND_DONE,
    SLURMD_TIMEOUT
  }

  /** A due event; {@code epoch} lets a later state change void it instead of removing it. */
  private record Event(Instant at, long seq, Kind kind, Host host, Job job, long epoch) {}

  private static final class Host {
    final String name;
    final PoolModel pool;
    final int order;
    final boolean excluded;
    final Set<String> partitions = new LinkedHashSet<>();
    PowerState power = PowerState.POWERED_DOWN;
    boolean down;
    boolean drain;
    boolean responding;
    boolean powerDownPending;
    Optional<String> reason = Optional.empty();
    Optional<String> nodeAddr = Optional.empty();
    Job job;
    Instant idleSince;
    Instant resumeRequestedAt;
    long epoch;

    Host(String name, PoolModel pool, int order, boolean excluded, Instant start) {
      this.name = name;
      this.pool = pool;
      this.order = order;
      this.excluded = excluded;
      this.idleSince = start;
      this.resumeRequestedAt = start;
    }

    boolean schedulable() {
      return job == null && !down && !drain && !powerDownPending
          && (power == PowerState.POWERED_DOWN || power == PowerState.POWERING_UP
              || (power == PowerState.UP && responding));
    }

    int powerTier() {
      return switch (power) {
        case UP -> 0;
        case POWERING_UP -> 1;
        default -> 2;
      };
    }

    HostState view() {
      return new HostState(name, pool.poolId(), power, job != null, down, drain, power == PowerState.UP && responding
          || power != PowerState.UP, powerDownPending, reason, nodeAddr, Optional.ofNullable(job).map(j -> j.id));
    }
  }

  private static final class Job {
    final String id;
    final int number;
    final JobSpec spec;
    Optional<FeatureConstraint> constraint = Optional.empty();
    JobState state = JobState.PENDING;
    List<Host> hosts = new ArrayList<>();
    int requeues;
    Instant eligibleAt;
    Optional<Instant> startedAt = Optional.empty();
    Optional<Instant> endedAt = Optional.empty();
    Optional<String> reason = Optional.empty();
    long runEpoch;

    Job(int number, JobSpec spec) {
      this.number = number;
      this.id = Integer.toString(number);
      this.spec = spec;
      this.eligibleAt = spec.at();
    }

    JobView view() {
      return new JobView(id, spec, state, hosts.stream().map(h -> h.name).toList(), requeues, startedAt, endedAt, reason);
    }
  }
}
