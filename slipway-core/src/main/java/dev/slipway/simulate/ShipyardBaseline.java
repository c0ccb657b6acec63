package dev.slipway.simulate;

import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.NodeType;
import dev.slipway.sim.LatencyDistribution;
import dev.slipway.sim.SimFaults;
import dev.slipway.sim.SimPool;
import dev.slipway.sim.SimPoolSpec;
import dev.slipway.sim.SimProvider;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Batch Shipyard's Slurm helper modelled on the same {@link SlurmModel} and sim provider, as a
 * baseline for Slipway (reference: batch-shipyard-slurm.md sections 4.3-4.4, peers.md section 2).
 *
 * <p>What is modelled: the hooks enqueue one action message per call; one daemon takes a message
 * when it polls (every 1-3 s when the queue is empty) and handles it to the end before the next.
 * A Resume marks each host Resuming, queues one assignment per host, then for <em>every</em> pool
 * of the cluster, one after the other, reads the pool and resizes it to its target plus that pool's
 * share of the message (sleeping 5-10 s and retrying while the pool is resizing): one resize per
 * message per pool. A Suspend removes the hosts' nodes (same retry rule) and marks them Suspended.
 * The resume hook itself waits for its hosts: it checks them one at a time, setting NodeAddr as soon
 * as a host is provisioned and sleeping 5-10 s after each host that is not, so slurmctld can reach
 * a node only after both its slurmd started and the waiting hook reached it. A booted node takes the
 * next assignment of its pool, or fails its start task when there is none.
 *
 * <p>Simplified: ResumeFailed removes the host's node and gives up (the original re-resumes after
 * retries); daemon crashes are not applied (systemd restarts the original at once and its queue is
 * durable); Batch API retries inside one call are not modelled.
 */
public final class ShipyardBaseline {
  private final Scenario scenario;
  private final SimTopology topology;
  private final List<ElasticPool> pools;
  private final SimulationSettings settings;
  private final long seed;

  /** What the baseline did: the model's statistics and the Batch calls it made. */
  public record Report(SimStats slurm, long resizeCalls, long removeCalls, long poolReads, boolean drained, Instant finishedAt) {
    public long totalCalls() {
      return resizeCalls + removeCalls + poolReads;
    }
  }

  public ShipyardBaseline(Scenario scenario, List<ElasticPartition> partitions, SimulationSettings settings, long seed) {
    this.scenario = scenario;
    this.topology = SimTopology.from(partitions);
    Map<String, ElasticPool> byId = new LinkedHashMap<>();
    partitions.forEach(p -> p.pools().forEach(pool -> byId.putIfAbsent(pool.id(), pool)));
    this.pools = List.copyOf(byId.values());
    this.settings = settings;
    this.seed = seed;
  }

  public Report run() {
    return new World().run();
  }

  private sealed interface Message permits Resume, Suspend, ResumeFailed {}

  private record Resume(List<String> hosts) implements Message {}

  private record Suspend(List<String> hosts) implements Message {}

  private record ResumeFailed(List<String> hosts) implements Message {}

  private enum EntityState { RESUMING, PROVISIONED, SUSPENDED }

  private static final class Entity {
    EntityState state;
    Optional<String> nodeId = Optional.empty();
    Optional<String> address = Optional.empty();
    boolean slurmdUp;
    boolean addressSet;
  }

  private final class World implements PowerSaveHooks {
    private final VirtualClock clock = new VirtualClock(scenario.start());
    private final SplittableRandom sleeps = new SplittableRandom(seed ^ 0x5eed5eedL);
    private final SimProvider provider;
    private final SlurmModel model;
    private final PriorityQueue<Timed> queue = new PriorityQueue<>();
    private long queueSeq;
    private final Deque<Message> messages = new ArrayDeque<>();
    private final Map<String, Entity> entities = new HashMap<>();
    private final Map<String, Deque<String>> assignments = new HashMap<>();
    private final Map<String, String> poolOfHost = new HashMap<>();
    private final Map<String, String> hostOfNode = new HashMap<>();
    private final Map<String, Integer> outage = new HashMap<>();
    private long resizeCalls;
    private long removeCalls;
    private long poolReads;

    private record Timed(Instant at, long seq, Runnable action) implements Comparable<Timed> {
      @Override
      public int compareTo(Timed o) {
        int c = at.compareTo(o.at);
        return c != 0 ? c : Long.compare(seq, o.seq);
      }
    }

    World() {
      SimProvider.Builder b = SimProvider.builder(clock).seed(seed).startTask(this::startTask);
      for (ElasticPool p : pools) {
        PoolBehaviour behaviour = scenario.behaviourOf(p.id());
        b.pool(new SimPoolSpec(p.id(), p.maxComputeNodes(), LatencyDistribution.fixed(settings.resizeLatency()),
            LatencyDistribution.fixed(Duration.ZERO), Simulation.latencyOf(behaviour.bootTime()),
            LatencyDistribution.fixed(settings.removeLatency()),
            new SimFaults(behaviour.startTaskFailure(), behaviour.unusable(), 0, LatencyDistribution.fixed(Duration.ZERO))));
        assignments.put(p.id(), new ArrayDeque<>());
        for (int i = 0; i < p.maxComputeNodes(); i++) {
          poolOfHost.put(p.hostName(i), p.id());
        }
      }
      provider = b.build();
      model = new SlurmModel(topology, scenario.timing(), this, scenario.start());
      scenario.jobs().forEach(model::submit);
      for (TimedEvent e : scenario.events()) {
        switch (e.kind()) {
          case PREEMPT -> at(e.at(), () -> provider.preempt(e.pool().orElseThrow(), e.count()));
          case CAPACITY_OUTAGE -> at(e.at(), () -> {
            outage.put(e.pool().orElseThrow(), e.count());
            at(e.at().plus(e.duration().orElse(Duration.ZERO)), () -> outage.remove(e.pool().orElseThrow()));
          });
          default -> { }
        }
      }
      at(scenario.start(), this::daemonPoll);
    }

    Report run() {
      Instant end = scenario.end();
      Instant deadline = end.plus(settings.drainLimit());
      boolean drained = false;
      while (true) {
        Instant next = model.nextEventAt();
        Optional<Instant> p = provider.nextEventAt();
        if (p.isPresent() && p.get().isBefore(next)) {
          next = p.get();
        }
        if (!queue.isEmpty() && queue.peek().at().isBefore(next)) {
          next = queue.peek().at();
        }
        if (next.isBefore(clock.instant())) {
          next = clock.instant();
        }
        if (next.isAfter(deadline)) {
          break;
        }
        clock.set(next);
        model.advanceTo(next);
        provider.advanceTo(next);
        while (!queue.isEmpty() && !queue.peek().at().isAfter(next)) {
          queue.poll().action().run();
        }
        observeNodes();
        model.advanceTo(next);
        if (!next.isBefore(end) && jobsDone()) {
          drained = true;
          break;
        }
      }
      return new Report(model.stats(), resizeCalls, removeCalls, poolReads, drained, clock.instant());
    }

    private boolean jobsDone() {
      SimStats s = model.stats();
      return s.jobsSubmitted() + s.jobsRejected() == scenario.jobs().size()
          && model.jobs().stream().allMatch(j -> j.state() == JobState.COMPLETED || j.state() == JobState.FAILED
              || j.state() == JobState.REJECTED);
    }

    private void at(Instant t, Runnable action) {
      queue.add(new Timed(t, queueSeq++, action));
    }

    private Duration sleep(int minSeconds, int maxSeconds) {
      return Duration.ofMillis(minSeconds * 1000L + sleeps.nextLong((maxSeconds - minSeconds) * 1000L + 1));
    }

    // ---- hooks: enqueue and (resume) wait ---------------------------------------------------

    @Override
    public void resume(List<String> hosts, List<String> jobIds) {
      messages.add(new Resume(List.copyOf(hosts)));
      Instant giveUp = clock.instant().plus(scenario.timing().resumeTimeout());
      Deque<String> waiting = new ArrayDeque<>(hosts);
      at(clock.instant(), () -> waitForHosts(waiting, giveUp));
    }

    @Override
    public void suspend(List<String> hosts) {
      messages.add(new Suspend(List.copyOf(hosts)));
    }

    @Override
    public void resumeFail(List<String> hosts) {
      Instant visible = clock.instant().plusSeconds(5);
      at(visible, () -> messages.add(new ResumeFailed(List.copyOf(hosts))));
    }

    /** wait_for_host_assignment_entities: one host at a time; a miss costs a 5-10 s sleep. */
    private void waitForHosts(Deque<String> waiting, Instant giveUp) {
      while (!waiting.isEmpty()) {
        if (clock.instant().isAfter(giveUp)) {
          return;
        }
        String host = waiting.poll();
        Entity e = entities.get(host);
        if (e != null && e.state == EntityState.PROVISIONED && e.address.isPresent()) {
          model.setNodeAddr(host, e.address.get());
          e.addressSet = true;
          tryRegister(host);
          continue;
        }
        waiting.add(host);
        at(clock.instant().plus(sleep(5, 10)), () -> waitForHosts(waiting, giveUp));
        return;
      }
    }

    private void tryRegister(String host) {
      Entity e = entities.get(host);
      if (e != null && e.slurmdUp && e.addressSet && e.nodeId.map(this::alive).orElse(false)) {
        e.slurmdUp = false;
        e.addressSet = false;
        model.registered(host, clock.instant());
      }
    }

    // ---- the daemon ---------------------------------------------------------------------------

    private void daemonPoll() {
      Message m = messages.poll();
      if (m == null) {
        at(clock.instant().plus(sleep(1, 3)), this::daemonPoll);
        return;
      }
      List<Runnable> steps = new ArrayList<>();
      if (m instanceof Resume r) {
        Map<String, Integer> perPool = new LinkedHashMap<>();
        pools.forEach(p -> perPool.put(p.id(), 0));
        for (String host : r.hosts()) {
          Entity e = entities.get(host);
          if (e != null && (e.state == EntityState.RESUMING || e.state == EntityState.PROVISIONED)) {
            continue;
          }
          Entity fresh = new Entity();
          fresh.state = EntityState.RESUMING;
          entities.put(host, fresh);
          String pool = poolOfHost.get(host);
          assignments.get(pool).add(host);
          perPool.merge(pool, 1, Integer::sum);
        }
        if (perPool.values().stream().allMatch(n -> n == 0)) {
          at(clock.instant(), this::daemonPoll);
          return;
        }
        perPool.forEach((pool, n) -> steps.add(() -> addNodes(pool, n)));
      } else if (m instanceof Suspend s) {
        Map<String, List<String>> nodesByPool = new LinkedHashMap<>();
        for (String host : s.hosts()) {
          Entity e = entities.get(host);
          if (e == null || e.state == EntityState.SUSPENDED) {
            continue;
          }
          e.nodeId.ifPresent(n -> nodesByPool.computeIfAbsent(poolOfHost.get(host), k -> new ArrayList<>()).add(n));
          e.state = EntityState.SUSPENDED;
          e.nodeId = Optional.empty();
          e.address = Optional.empty();
          assignments.get(poolOfHost.get(host)).remove(host);
        }
        nodesByPool.forEach((pool, ids) -> {
          for (int i = 0; i < ids.size(); i += 100) {
            List<String> chunk = ids.subList(i, Math.min(ids.size(), i + 100));
            steps.add(() -> removeNodes(pool, chunk));
          }
        });
      } else if (m instanceof ResumeFailed f) {
        Map<String, List<String>> nodesByPool = new LinkedHashMap<>();
        for (String host : f.hosts()) {
          Entity e = entities.get(host);
          if (e == null) {
            continue;
          }
          e.nodeId.ifPresent(n -> nodesByPool.computeIfAbsent(poolOfHost.get(host), k -> new ArrayList<>()).add(n));
          e.state = EntityState.SUSPENDED;
          e.nodeId = Optional.empty();
          assignments.get(poolOfHost.get(host)).remove(host);
        }
        nodesByPool.forEach((pool, ids) -> steps.add(() -> removeNodes(pool, ids)));
      }
      runSteps(new ArrayDeque<>(steps));
    }

    /** Runs a message's provider steps one after the other; a step reschedules itself while the pool resizes. */
    private final Deque<Deque<Runnable>> stepStack = new ArrayDeque<>();

    private void runSteps(Deque<Runnable> steps) {
      stepStack.push(steps);
      nextStep();
    }

    private void nextStep() {
      Deque<Runnable> steps = stepStack.peek();
      if (steps == null || steps.isEmpty()) {
        stepStack.poll();
        at(clock.instant(), this::daemonPoll);
        return;
      }
      steps.poll().run();
    }

    private void retry(Runnable step) {
      at(clock.instant().plus(sleep(5, 10)), step);
    }

    private void addNodes(String poolId, int n) {
      SimPool pool = provider.simPool(poolId);
      poolReads++;
      if (pool.status().resizing()) {
        retry(() -> addNodes(poolId, n));
        return;
      }
      PoolTarget t = pool.status().target();
      boolean lowPriority = pools.stream().filter(p -> p.id().equals(poolId)).findFirst().orElseThrow().computeNodeType()
          == NodeType.LOW_PRIORITY;
      PoolTarget next = lowPriority ? new PoolTarget(0, Math.min(pool.maxSize(), t.lowPriority() + n))
          : new PoolTarget(Math.min(pool.maxSize(), t.dedicated() + n), 0);
      limitCapacity(poolId);
      resizeCalls++;
      try {
        pool.resize(next);
      } catch (ProviderException e) {
        if (e.error().errorClass() == ErrorClass.RESIZE_IN_PROGRESS) {
          retry(() -> addNodes(poolId, n));
          return;
        }
      }
      nextStep();
    }

    private void removeNodes(String poolId, List<String> ids) {
      SimPool pool = provider.simPool(poolId);
      poolReads++;
      if (pool.status().resizing()) {
        retry(() -> removeNodes(poolId, ids));
        return;
      }
      removeCalls++;
      try {
        pool.remove(ids);
      } catch (ProviderException e) {
        if (e.error().errorClass() == ErrorClass.RESIZE_IN_PROGRESS) {
          retry(() -> removeNodes(poolId, ids));
          return;
        }
      }
      nextStep();
    }

    private void limitCapacity(String poolId) {
      OptionalInt cap = outage.containsKey(poolId) ? OptionalInt.of(outage.get(poolId)) : scenario.behaviourOf(poolId).capacity();
      if (cap.isEmpty()) {
        provider.clearAllocationLimit(poolId);
        return;
      }
      long live = provider.simPool(poolId).nodes().stream()
          .filter(n -> !n.state().isFailed() && n.state() != ProviderNodeState.LEAVING).count();
      provider.limitAllocation(poolId, ErrorClass.CAPACITY, (int) Math.max(0, cap.getAsInt() - live));
    }

    // ---- nodes --------------------------------------------------------------------------------

    private boolean startTask(ProviderNode node) {
      String host = assignments.get(node.poolId()).poll();
      if (host == null) {
        return false;
      }
      Entity e = entities.get(host);
      e.state = EntityState.PROVISIONED;
      e.nodeId = Optional.of(node.id());
      e.address = node.address();
      hostOfNode.put(node.id(), host);
      at(clock.instant().plus(settings.slurmdStartDelay()), () -> {
        if (node.id().equals(e.nodeId.orElse(null))) {
          e.slurmdUp = true;
          tryRegister(host);
        }
      });
      return true;
    }

    private boolean alive(String nodeId) {
      String poolId = nodeId.substring("sim-".length(), nodeId.lastIndexOf('-'));
      return provider.simPool(poolId).nodes().stream()
          .anyMatch(n -> n.id().equals(nodeId) && !n.state().isFailed() && n.state() != ProviderNodeState.LEAVING);
    }

    private void observeNodes() {
      if (hostOfNode.isEmpty()) {
        return;
      }
      Map<String, ProviderNode> all = new HashMap<>();
      for (ElasticPool p : pools) {
        provider.simPool(p.id()).nodes().forEach(n -> all.put(n.id(), n));
      }
      for (Map.Entry<String, String> e : List.copyOf(hostOfNode.entrySet())) {
        ProviderNode n = all.get(e.getKey());
        if (n == null || n.state().isFailed() || n.state() == ProviderNodeState.LEAVING) {
          hostOfNode.remove(e.getKey());
          model.nodeLost(e.getValue());
        }
      }
    }
  }
}
