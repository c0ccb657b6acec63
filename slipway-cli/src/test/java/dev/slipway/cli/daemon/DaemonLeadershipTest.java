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
import java.util.concurrent.atomic.AtomicBoolean;
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
    Daemon d = new Daemon(store, name, Daemon.Timings.defaults(), clock, new DaemonMetrics(),
        leading -> new Reconciler(store, provider, new SlurmControlPort(slurm), topology.pools(), EngineTimings.DEFAULTS, clock,
            EventSink.NONE, dev.slipway.engine.EngineListener.NONE, leading));
    open.add(d);
    return new Instance(d, provider, store);
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
    // a's view of the store: as it reads intents for its pass, b takes the lease (a paused past its TTL)
    StateStore seenByA = (StateStore) java.lang.reflect.Proxy.newProxyInstance(StateStore.class.getClassLoader(), new Class<?>[] {StateStore.class},
        (proxy, method, args) -> {
          if (method.getName().equals("intents") && stolen.compareAndSet(false, true) && shared.lease(LeaderLease.NAME).isPresent()) {
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
}
