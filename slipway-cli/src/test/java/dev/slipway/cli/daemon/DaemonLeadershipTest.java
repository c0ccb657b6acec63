package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.EngineTimings;
import dev.slipway.engine.PoolTopology;
import dev.slipway.engine.Reconciler;
import dev.slipway.model.NodeType;
import dev.slipway.slurm.NodeBaseState;
import dev.slipway.slurm.NodeFlag;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.slurm.SlurmNodeState;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.StateStore;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.FakeSlurm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two daemons on one SQLite file: one leads, the other waits and takes over; fencing tokens tell them apart. */
class DaemonLeadershipTest {
  @TempDir Path dir;
  private final FakeClock clock = new FakeClock();
  private final ClusterTopology topology = new ClusterTopology(List.of(PoolTopology.of("gpu", "gpu", 4, NodeType.DEDICATED, "p", 0, 0)));
  private final FakeSlurm slurm = new FakeSlurm();
  private final List<AutoCloseable> open = new ArrayList<>();

  private record Instance(Daemon daemon, StaticProvider provider, StateStore store) {}

  private Instance daemon(String name, StateStore store) {
    StaticProvider provider = new StaticProvider("gpu");
    Daemon d = Daemon.builder(store, name,
            leading -> new Reconciler(store, provider, new SlurmControlPort(slurm), topology.pools(), EngineTimings.DEFAULTS, clock,
                EventSink.NONE, dev.slipway.engine.EngineListener.NONE, leading))
        .clock(clock).build();
    open.add(d);
    return new Instance(d, provider, store);
  }

  /** A daemon wired as DaemonRuntime wires it (fenced reconciler), over {@code slurmPort}; hands its Leadership out. */
  private Instance fencedDaemon(String name, StateStore store, dev.slipway.engine.SlurmPort slurmPort, AtomicReference<Daemon.Leadership> leadership) {
    StaticProvider provider = new StaticProvider("gpu");
    Daemon d = Daemon.builder(store, name, leading -> {
      leadership.set(leading);
      return DaemonRuntime.fencedReconciler(leading, store, provider, slurmPort, topology.pools(), EngineTimings.DEFAULTS, clock,
          EventSink.NONE, dev.slipway.engine.EngineListener.NONE);
    }).clock(clock).build();
    open.add(d);
    return new Instance(d, provider, store);
  }

  /** Slurm whose state read blocks, once armed, until the test lets it go: scontrol while slurmctld fails over. */
  private static final class SlowSlurm implements dev.slipway.engine.SlurmPort {
    final dev.slipway.engine.SlurmPort inner;
    final AtomicBoolean armed = new AtomicBoolean();
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    SlowSlurm(dev.slipway.engine.SlurmPort inner) {
      this.inner = inner;
    }

    @Override
    public java.util.Map<String, dev.slipway.engine.SlurmHostState> hostStates(java.util.Collection<String> hosts) {
      if (armed.getAndSet(false)) {
        entered.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return inner.hostStates(hosts);
    }

    @Override
    public void update(dev.slipway.engine.SlurmUpdate update) {
      inner.update(update);
    }
  }

  private Instance daemon(String name) {
    StateStore store = SqliteStateStore.open(dir.resolve("state.db"));
    open.add(store);
    return daemon(name, store);
  }

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private void slurmResumes(StateStore store, String host) {
    slurm.setState(host, SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERING_UP));
    store.recordIntents(List.of(new IntentRequest(host, "gpu", Intent.UP, IntentSource.RESUME, List.of())), clock.instant());
  }

  @Test
  void firstDaemonLeads_secondWaits_andOnlyTheLeaderActs() {
    slurm.addCloudNodes("p", topology.hosts());
    Instance a = daemon("a");
    Instance b = daemon("b");

    a.daemon().tick();
    b.daemon().tick();
    slurmResumes(a.store(), "gpu-0");
    a.daemon().tick();
    b.daemon().tick();

    assertThat(a.daemon().isLeader()).isTrue();
    assertThat(b.daemon().isLeader()).isFalse();
    assertThat(a.provider().resizes).containsExactly(new PoolTarget(1, 0));
    assertThat(b.provider().resizes).isEmpty();
  }

  @Test
  void standby_takesOverWithAHigherFencingTokenOnceTheLeaderStopsRenewing_andTheOldLeaderStandsDown() {
    slurm.addCloudNodes("p", topology.hosts());
    Instance a = daemon("a");
    Instance b = daemon("b");
    a.daemon().tick();
    long first = a.daemon().fencingToken().orElseThrow();

    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofSeconds(5));
      a.daemon().tick();
      b.daemon().tick();
      assertThat(b.daemon().isLeader()).as("leader renews every 5 s").isFalse();
    }
    clock.advance(Duration.ofSeconds(14));
    b.daemon().tick();
    assertThat(b.daemon().isLeader()).as("lease not yet expired").isFalse();
    clock.advance(Duration.ofSeconds(2));
    b.daemon().tick();
    slurmResumes(b.store(), "gpu-1");
    a.daemon().tick();
    b.daemon().tick();

    assertThat(b.daemon().isLeader()).isTrue();
    assertThat(b.daemon().fencingToken().orElseThrow()).isGreaterThan(first);
    assertThat(a.daemon().isLeader()).isFalse();
    assertThat(a.provider().resizes).as("the deposed leader acts no more").isEmpty();
    assertThat(b.provider().resizes).containsExactly(new PoolTarget(1, 0));
  }

  @Test
  void close_releasesTheLeaseSoTheStandbyTakesOverAtOnce() {
    slurm.addCloudNodes("p", topology.hosts());
    Instance a = daemon("a");
    Instance b = daemon("b");
    a.daemon().tick();
    b.daemon().tick();
    long first = a.daemon().fencingToken().orElseThrow();

    a.daemon().close();
    b.daemon().tick();

    assertThat(b.daemon().isLeader()).isTrue();
    assertThat(b.daemon().fencingToken().orElseThrow()).isGreaterThan(first);
  }

  @Test
  void leaderThatLostItsLeaseWhilePaused_failsTheFencingCheckAndAppliesNothing() {
    slurm.addCloudNodes("p", topology.hosts());
    StateStore shared = SqliteStateStore.open(dir.resolve("state.db"));
    open.add(shared);
    AtomicBoolean stolen = new AtomicBoolean();
    // a's view of the store: as it reads intents for its pass (all of them, or what changed), b takes
    // the lease (a paused past its TTL)
    StateStore seenByA = (StateStore) java.lang.reflect.Proxy.newProxyInstance(StateStore.class.getClassLoader(), new Class<?>[] {StateStore.class},
        (proxy, method, args) -> {
          if ((method.getName().equals("intents") || method.getName().equals("changesSince")) && stolen.compareAndSet(false, true) && shared.lease(LeaderLease.NAME).isPresent()) {
            clock.advance(Duration.ofSeconds(16));
            shared.acquireLease(LeaderLease.NAME, "b", Duration.ofSeconds(15), clock.instant());
          }
          try {
            return method.invoke(shared, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    Instance a = daemon("a", seenByA);
    slurmResumes(shared, "gpu-0");

    a.daemon().tick();

    assertThat(stolen).isTrue();
    assertThat(a.daemon().isLeader()).isFalse();
    assertThat(a.provider().resizes).isEmpty();
    assertThat(shared.lease(LeaderLease.NAME).orElseThrow().holder()).isEqualTo("b");
  }

  @Test
  void storeOutage_isSurvived_andTheDaemonLeadsAgainWhenItReturns() {
    slurm.addCloudNodes("p", topology.hosts());
    StateStore shared = SqliteStateStore.open(dir.resolve("state.db"));
    open.add(shared);
    AtomicBoolean down = new AtomicBoolean(true);
    Instance a = daemon("a", FailingStore.cutOff(shared, down::get));

    a.daemon().tick();
    assertThat(a.daemon().isLeader()).isFalse();
    assertThat(a.daemon().health().healthy()).isFalse();
    down.set(false);
    clock.advance(Duration.ofSeconds(1));
    a.daemon().tick();

    assertThat(a.daemon().isLeader()).isTrue();
    assertThat(a.daemon().health().healthy()).isTrue();
  }

  @Test
  void leaderBlockedInASlowSlurmCall_keepsItsLeaseThroughTheLeaseThread_andStillApplies() throws Exception {
    slurm.addCloudNodes("p", topology.hosts());
    StateStore storeA = SqliteStateStore.open(dir.resolve("state.db"));
    open.add(storeA);
    SlowSlurm slow = new SlowSlurm(new SlurmControlPort(slurm));
    Instance a = fencedDaemon("a", storeA, slow, new AtomicReference<>());
    Instance b = daemon("b");
    a.daemon().tick();
    slurmResumes(storeA, "gpu-0");
    slow.armed.set(true);

    Thread pass = new Thread(a.daemon()::passTick);
    pass.start();
    assertThat(slow.entered.await(10, TimeUnit.SECONDS)).isTrue();
    for (int i = 0; i < 5; i++) { // 25 s inside one scontrol call, longer than the 15 s lease
      clock.advance(Duration.ofSeconds(5));
      a.daemon().renewTick();
      b.daemon().tick();
      assertThat(b.daemon().isLeader()).as("the blocked leader still renews").isFalse();
    }
    slow.release.countDown();
    pass.join(10_000);

    assertThat(a.daemon().isLeader()).isTrue();
    assertThat(a.provider().resizes).containsExactly(new PoolTarget(1, 0));
    assertThat(b.provider().resizes).isEmpty();
  }

  @Test
  void fence_refusesOnceTheLeaseHasLessThanItsMarginLeft_orAnotherDaemonLeads() {
    slurm.addCloudNodes("p", topology.hosts());
    StateStore storeA = SqliteStateStore.open(dir.resolve("state.db"));
    open.add(storeA);
    AtomicReference<Daemon.Leadership> leadership = new AtomicReference<>();
    Instance a = fencedDaemon("a", storeA, new SlurmControlPort(slurm), leadership);
    Instance b = daemon("b");
    a.daemon().tick();
    assertThat(leadership.get().holds()).isTrue();

    clock.advance(Duration.ofMillis(13_600)); // 1.4 s of the 15 s lease left; the margin is 1.5 s
    assertThat(leadership.get().holds()).isFalse();
    a.daemon().renewTick();
    assertThat(leadership.get().holds()).as("renewed").isTrue();

    clock.advance(Duration.ofSeconds(16)); // a frozen: no renewal
    b.daemon().tick();
    assertThat(b.daemon().isLeader()).isTrue();
    assertThat(leadership.get().holds()).isFalse();
  }

  @Test
  void leaderWhoseLeaseRanOutDuringASlowCall_appliesNothingOnceTheStandbyLeads() throws Exception {
    slurm.addCloudNodes("p", topology.hosts());
    StateStore storeA = SqliteStateStore.open(dir.resolve("state.db"));
    open.add(storeA);
    SlowSlurm slow = new SlowSlurm(new SlurmControlPort(slurm));
    Instance a = fencedDaemon("a", storeA, slow, new AtomicReference<>());
    Instance b = daemon("b");
    a.daemon().tick();
    slurmResumes(storeA, "gpu-0");
    slow.armed.set(true);

    Thread pass = new Thread(a.daemon()::passTick);
    pass.start();
    assertThat(slow.entered.await(10, TimeUnit.SECONDS)).isTrue();
    clock.advance(Duration.ofSeconds(16)); // a's process froze: its lease thread renewed nothing either
    b.daemon().tick();
    slow.release.countDown();
    pass.join(10_000);

    assertThat(b.daemon().isLeader()).isTrue();
    assertThat(a.daemon().isLeader()).isFalse();
    assertThat(a.provider().resizes).isEmpty();
    assertThat(b.provider().resizes).containsExactly(new PoolTarget(1, 0));
  }

  @Test
  void passStuckLongerThanEightLeases_givesTheLeaseUp_andIsNotRetakenWhileItRuns() throws Exception {
    slurm.addCloudNodes("p", topology.hosts());
    StateStore storeA = SqliteStateStore.open(dir.resolve("state.db"));
    open.add(storeA);
    SlowSlurm slow = new SlowSlurm(new SlurmControlPort(slurm));
    Instance a = fencedDaemon("a", storeA, slow, new AtomicReference<>());
    Instance b = daemon("b");
    a.daemon().tick();
    slurmResumes(storeA, "gpu-0");
    slow.armed.set(true);
    Thread pass = new Thread(a.daemon()::passTick);
    pass.start();
    assertThat(slow.entered.await(10, TimeUnit.SECONDS)).isTrue();

    for (int i = 0; i < 24; i++) { // 120 s: renewed throughout
      clock.advance(Duration.ofSeconds(5));
      a.daemon().renewTick();
      b.daemon().tick();
    }
    assertThat(b.daemon().isLeader()).isFalse();
    clock.advance(Duration.ofSeconds(5));
    a.daemon().renewTick();
    assertThat(a.daemon().isLeader()).as("gave up after 8 leases").isFalse();
    b.daemon().tick();
    clock.advance(Duration.ofSeconds(20));
    a.daemon().renewTick();
    assertThat(a.daemon().isLeader()).as("does not retake while the stuck pass runs").isFalse();
    slow.release.countDown();
    pass.join(10_000);

    assertThat(b.daemon().isLeader()).isTrue();
    assertThat(a.provider().resizes).isEmpty();
  }

  @Test
  void hostThatJoinedThroughAnotherDaemon_isPassedOverWithinASecond_andEverySecondUntilItRegisters() {
    slurm.addCloudNodes("p", topology.hosts());
    Instance a = daemon("a");
    a.daemon().tick();
    java.time.Instant firstPass = a.daemon().health().lastPass().orElseThrow();
    clock.advance(Duration.ofSeconds(1));
    a.daemon().tick();
    assertThat(a.daemon().health().lastPass()).as("nothing new: next pass after the 10 s period").contains(firstPass);

    slurmResumes(a.store(), "gpu-0");
    clock.advance(Duration.ofSeconds(1));
    a.daemon().tick(); // requests the node
    var requested = a.store().binding("gpu-0").orElseThrow();
    a.provider().add(new dev.slipway.spi.ProviderNode("n1", "gpu", dev.slipway.spi.ProviderNodeState.STARTING, false,
        java.util.Optional.of("10.0.0.5"), clock.instant(), java.util.Optional.empty()));
    // a standby's join service claims the host: the leader is not woken
    a.store().putBinding(new dev.slipway.spi.HostBinding("gpu-0", "gpu", dev.slipway.spi.BindingPhase.JOINED, java.util.Optional.of("n1"),
        java.util.Optional.of("10.0.0.5"), requested.intentSeq(), clock.instant(), java.util.Optional.empty(), requested.version()));
    clock.advance(Duration.ofSeconds(1));
    a.daemon().tick();
    assertThat(a.daemon().health().lastPass()).as("pass on the new join").contains(clock.instant());
    clock.advance(Duration.ofSeconds(1));
    a.daemon().tick();
    assertThat(a.daemon().health().lastPass()).as("and every second while it has not registered").contains(clock.instant());
  }

  @Test
  void onLead_runsBeforeTheFirstPassOfEachNewLeadership_evenWhenThePassThreadSeesTheLeaseFirst() {
    slurm.addCloudNodes("p", topology.hosts());
    StateStore store = SqliteStateStore.open(dir.resolve("state.db"));
    open.add(store);
    List<String> calls = new ArrayList<>();
    StaticProvider inner = new StaticProvider("gpu");
    dev.slipway.spi.NodeProvider provider = new dev.slipway.spi.NodeProvider() {
      @Override
      public String name() {
        return inner.name();
      }

      @Override
      public List<dev.slipway.spi.NodePool> pools() {
        calls.add("provider");
        return inner.pools();
      }
    };
    Daemon d = Daemon.builder(store, "a",
            leading -> new Reconciler(store, provider, new SlurmControlPort(slurm), topology.pools(), EngineTimings.DEFAULTS, clock,
                EventSink.NONE, dev.slipway.engine.EngineListener.NONE, leading))
        .clock(clock).onLead(() -> calls.add("lead")).build();
    open.add(d);

    d.renewTick();
    d.passTick();
    assertThat(calls).first().isEqualTo("lead");
    assertThat(calls).containsOnlyOnce("lead");

    clock.advance(Duration.ofSeconds(16));
    store.acquireLease(LeaderLease.NAME, "b", Duration.ofSeconds(15), clock.instant());
    d.renewTick();
    clock.advance(Duration.ofSeconds(16));
    calls.clear();
    d.renewTick();
    d.passTick();
    assertThat(calls).as("a new token: prepared again before the pass").first().isEqualTo("lead");
  }
}
