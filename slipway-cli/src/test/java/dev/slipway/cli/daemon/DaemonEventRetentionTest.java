package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.EngineTimings;
import dev.slipway.engine.PoolTopology;
import dev.slipway.engine.Reconciler;
import dev.slipway.model.NodeType;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.ForwardingStateStore;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.StateStore;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.FakeSlurm;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leader deletes events older than the retention, at a low rate and in bounded batches; standbys never do. */
class DaemonEventRetentionTest {
  private static final Duration KEEP = Duration.ofDays(14);
  private static final Duration EVERY = Duration.ofMinutes(1);

  @TempDir Path dir;
  private final FakeClock clock = new FakeClock();
  private final ClusterTopology topology = new ClusterTopology(List.of(PoolTopology.of("gpu", "gpu", 4, NodeType.DEDICATED, "p", 0, 0)));
  private final FakeSlurm slurm = new FakeSlurm();
  private final List<AutoCloseable> open = new ArrayList<>();
  private StateStore store;
  private final AtomicInteger deleteCalls = new AtomicInteger();

  @BeforeEach
  void openStore() {
    store = SqliteStateStore.open(dir.resolve("state.db"));
    open.add(store);
    slurm.addCloudNodes("p", topology.hosts());
  }

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private Daemon daemon(String name, Daemon.EventRetention retention) {
    StateStore counted = new ForwardingStateStore(store) {
      @Override
      public int deleteEventsBefore(Instant before, int limit) {
        deleteCalls.incrementAndGet();
        return super.deleteEventsBefore(before, limit);
      }
    };
    StaticProvider provider = new StaticProvider("gpu");
    Daemon d = Daemon.builder(counted, name,
            leading -> new Reconciler(store, provider, new SlurmControlPort(slurm), topology.pools(), EngineTimings.DEFAULTS, clock,
                EventSink.NONE, dev.slipway.engine.EngineListener.NONE, leading))
        .clock(clock).eventRetention(retention).build();
    open.add(d);
    return d;
  }

  private void event(Instant at, String host, String kind) {
    store.appendEvents(List.of(HostEvent.ofHost(at, host, "gpu", kind, "")));
  }

  /** Runs passes (woken) until the clock reaches {@code until}, a second apart. */
  private void passEverySecondFor(Daemon d, Duration span) {
    Instant until = clock.instant().plus(span);
    while (clock.instant().isBefore(until)) {
      clock.advance(Duration.ofSeconds(1));
      d.wake();
      d.tick();
    }
  }

  @Test
  void leader_deletesEventsOlderThanTheRetention_andNodesWhyStillShowsTheRecentHistory() {
    Instant now = clock.instant();
    event(now.minus(KEEP).minusSeconds(60), "gpu-0", "resume-requested");
    event(now.minus(KEEP).minusSeconds(30), "gpu-0", "failed");
    event(now.minus(Duration.ofDays(1)), "gpu-0", "resume-requested");
    event(now, "gpu-0", "joined");
    Daemon d = daemon("d1", Daemon.EventRetention.keeping(KEEP));

    d.tick();

    assertThat(d.isLeader()).isTrue();
    assertThat(store.hostEvents("gpu-0", 20)).extracting(HostEvent::kind).containsExactly("resume-requested", "joined");
  }

  @Test
  void leader_prunesAtMostEveryRetentionInterval_notEveryPass() {
    Daemon d = daemon("d1", new Daemon.EventRetention(KEEP, EVERY, 1000));
    d.tick();
    int afterFirst = deleteCalls.get();
    assertThat(afterFirst).isEqualTo(1);

    event(clock.instant().minus(KEEP).minusSeconds(1), "gpu-1", "old");
    passEverySecondFor(d, EVERY.minusSeconds(2));

    assertThat(deleteCalls.get()).as("passes within the interval prune nothing").isEqualTo(afterFirst);
    assertThat(store.hostEvents("gpu-1", 5)).extracting(HostEvent::kind).containsExactly("old");

    passEverySecondFor(d, Duration.ofSeconds(3));

    assertThat(deleteCalls.get()).isEqualTo(afterFirst + 1);
    assertThat(store.hostEvents("gpu-1", 5)).isEmpty();
  }

  @Test
  void leader_withABacklogLargerThanOneRound_continuesAfterTheNextPassInSteps() {
    int batch = 2;
    int backlog = batch * Daemon.EventRetention.MAX_BATCHES_PER_ROUND + 3;
    Instant old = clock.instant().minus(KEEP).minusSeconds(10);
    List<HostEvent> events = new ArrayList<>();
    for (int i = 0; i < backlog; i++) {
      events.add(HostEvent.ofHost(old, "gpu-" + (i % 4), "gpu", "e" + i, ""));
    }
    store.appendEvents(events);
    Daemon d = daemon("d1", new Daemon.EventRetention(KEEP, EVERY, batch));

    d.tick();

    assertThat(deleteCalls.get()).as("one round is bounded").isEqualTo(Daemon.EventRetention.MAX_BATCHES_PER_ROUND);
    assertThat(store.poolEvents("gpu", 1000)).hasSize(3);

    passEverySecondFor(d, Duration.ofSeconds(1));

    assertThat(store.poolEvents("gpu", 1000)).as("the rest goes after the next pass, not after the interval").isEmpty();
  }

  @Test
  void standby_neverDeletesEvents() {
    Daemon leader = daemon("a", Daemon.EventRetention.keeping(KEEP));
    leader.tick();
    int byLeader = deleteCalls.get();
    event(clock.instant().minus(KEEP).minusSeconds(1), "gpu-2", "old");
    Daemon standby = daemon("b", Daemon.EventRetention.keeping(KEEP));

    standby.wake();
    standby.tick();

    assertThat(standby.isLeader()).isFalse();
    assertThat(deleteCalls.get()).isEqualTo(byLeader);
    assertThat(store.hostEvents("gpu-2", 5)).hasSize(1);
  }

  @Test
  void pruneFailure_isLoggedAndThePassStillCounts() {
    StateStore failing = new ForwardingStateStore(store) {
      @Override
      public int deleteEventsBefore(Instant before, int limit) {
        throw new dev.slipway.spi.StoreUnavailableException("disk full", null);
      }
    };
    StaticProvider provider = new StaticProvider("gpu");
    Daemon d = Daemon.builder(failing, "d1",
            leading -> new Reconciler(store, provider, new SlurmControlPort(slurm), topology.pools(), EngineTimings.DEFAULTS, clock,
                EventSink.NONE, dev.slipway.engine.EngineListener.NONE, leading))
        .clock(clock).build();
    open.add(d);

    d.tick();

    assertThat(d.health().lastPass()).contains(clock.instant());
    clock.advance(Duration.ofSeconds(1));
    d.tick();
    assertThat(d.health().lastPass()).as("no retry pass: the pass itself did not fail").contains(clock.instant().minusSeconds(1));
  }
}
