package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.EngineTimings;
import dev.slipway.engine.PoolTopology;
import dev.slipway.engine.Reconciler;
import dev.slipway.model.NodeType;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.EventSink;
import dev.slipway.spi.ForwardingStateStore;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.StateChanges;
import dev.slipway.spi.StateStore;
import dev.slipway.spi.StoreActivity;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.FakeSlurm;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the daemon reads while idle: its poll every second must not grow with the cluster (a
 * counter and the JOINED hosts, never every intent and binding), yet still notice a hook's intent
 * and a join accepted by another daemon.
 */
class DaemonIdlePollTest {
  @TempDir Path dir;
  private final FakeClock clock = new FakeClock();
  private final ClusterTopology topology = new ClusterTopology(List.of(PoolTopology.of("gpu", "gpu", 200, NodeType.DEDICATED, "p", 0, 0)));
  private final FakeSlurm slurm = new FakeSlurm();
  private StateStore store;
  private CountingStore daemonView;
  private Daemon daemon;

  /** Counts the calls the daemon itself makes (the reconciler has its own handle). */
  private static final class CountingStore extends ForwardingStateStore {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    CountingStore(StateStore delegate) {
      super(delegate);
    }

    private void count(String name) {
      calls.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    }

    int calls(String name) {
      return calls.getOrDefault(name, new AtomicInteger()).get();
    }

    @Override
    public Map<String, HostIntent> intents() {
      count("intents");
      return super.intents();
    }

    @Override
    public Map<String, HostBinding> bindings() {
      count("bindings");
      return super.bindings();
    }

    @Override
    public List<HostBinding> bindings(String poolId, BindingPhase phase) {
      count("bindingsOfPool");
      return super.bindings(poolId, phase);
    }

    @Override
    public StateChanges changesSince(long since) {
      count("changesSince");
      return super.changesSince(since);
    }

    @Override
    public StoreActivity activity() {
      count("activity");
      return super.activity();
    }
  }

  @BeforeEach
  void startLeading() {
    store = SqliteStateStore.open(dir.resolve("state.db"));
    slurm.addCloudNodes("p", topology.hosts());
    // A large cluster's worth of history: every host has an intent and a binding.
    List<IntentRequest> all = topology.hosts().stream()
        .map(h -> new IntentRequest(h, "gpu", Intent.DOWN, IntentSource.SUSPEND, List.of())).toList();
    store.recordIntents(all, clock.instant());
    store.putBindings(topology.hosts().stream().map(h -> new HostBinding(h, "gpu", BindingPhase.RELEASING, Optional.empty(),
        Optional.empty(), 1, clock.instant(), Optional.empty(), 0)).toList());
    daemonView = new CountingStore(store);
    StaticProvider provider = new StaticProvider("gpu");
    daemon = Daemon.builder(daemonView, "d1",
            leading -> new Reconciler(store, provider, new SlurmControlPort(slurm), topology.pools(), EngineTimings.DEFAULTS, clock,
                EventSink.NONE, dev.slipway.engine.EngineListener.NONE, leading))
        .clock(clock).build();
    daemon.tick();
    assertThat(daemon.isLeader()).isTrue();
    assertThat(daemon.health().lastPass()).contains(clock.instant());
  }

  @AfterEach
  void close() {
    daemon.close();
    store.close();
  }

  @Test
  void idlePoll_whenNothingChanged_readsNoIntentsOrBindingsAndRunsNoPass() {
    Instant lastPass = daemon.health().lastPass().orElseThrow();
    daemonView.calls.clear();

    for (int second = 1; second <= 5; second++) {
      clock.advance(Duration.ofSeconds(1));
      daemon.tick();
    }

    assertThat(daemon.health().lastPass()).contains(lastPass);
    assertThat(daemonView.calls("activity")).isEqualTo(5);
    assertThat(daemonView.calls("intents") + daemonView.calls("bindings") + daemonView.calls("changesSince")
        + daemonView.calls("bindingsOfPool")).as("full reads by the daemon while idle").isZero();
  }

  @Test
  void idlePoll_whenAHookRecordsAnIntent_runsAPassAtTheNextPoll() {
    clock.advance(Duration.ofSeconds(1));
    daemon.tick();
    Instant before = daemon.health().lastPass().orElseThrow();

    store.recordIntents(List.of(new IntentRequest("gpu-7", "gpu", Intent.UP, IntentSource.RESUME, List.of())), clock.instant());
    clock.advance(Duration.ofSeconds(1));
    daemon.tick();

    assertThat(daemon.health().lastPass()).contains(clock.instant()).isNotEqualTo(Optional.of(before));
  }

  @Test
  void idlePoll_afterThePassesOwnBindingWrites_doesNotRunAnotherPass() {
    // The pass that follows this intent writes bindings itself; only intents and joins are news.
    store.recordIntents(List.of(new IntentRequest("gpu-7", "gpu", Intent.UP, IntentSource.RESUME, List.of())), clock.instant());
    clock.advance(Duration.ofSeconds(1));
    daemon.tick();
    Instant passed = daemon.health().lastPass().orElseThrow();
    assertThat(passed).isEqualTo(clock.instant());

    clock.advance(Duration.ofSeconds(1));
    daemon.tick();

    assertThat(daemon.health().lastPass()).contains(passed);
  }

  @Test
  void idlePoll_whenAnotherDaemonAcceptsAJoin_runsAPass() {
    clock.advance(Duration.ofSeconds(1));
    daemon.tick();
    Instant before = daemon.health().lastPass().orElseThrow();

    long version = store.binding("gpu-3").map(HostBinding::version).orElse(0L);
    store.putBinding(new HostBinding("gpu-3", "gpu", BindingPhase.JOINED, Optional.of("n1"), Optional.of("10.0.0.9"), 1,
        clock.instant(), Optional.empty(), version)).orElseThrow();
    clock.advance(Duration.ofSeconds(1));
    daemon.tick();

    assertThat(daemon.health().lastPass()).contains(clock.instant()).isNotEqualTo(Optional.of(before));
  }
}
