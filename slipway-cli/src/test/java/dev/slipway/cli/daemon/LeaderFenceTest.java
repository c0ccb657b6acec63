package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.engine.SlurmUpdate;
import dev.slipway.model.ErrorClass;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.StateStore;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.testkit.FakeSlurm;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a daemon that no longer leads may still do through the fence: read, never change. */
class LeaderFenceTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir Path dir;
  private final AtomicBoolean holds = new AtomicBoolean(true);
  private final LeaderFence fence = new LeaderFence(holds::get);
  private StateStore raw;

  @AfterEach
  void close() {
    if (raw != null) {
      raw.close();
    }
  }

  @Test
  void whileTheLeaseHolds_everythingPassesThrough() {
    raw = SqliteStateStore.open(dir.resolve("s.db"));
    StaticProvider provider = new StaticProvider("gpu");
    fence.provider(provider).pool("gpu").orElseThrow().resize(new PoolTarget(2, 0));
    assertThat(fence.store(raw).putPool(PoolRecord.initial("gpu"))).isPresent();
    assertThat(provider.resizes).containsExactly(new PoolTarget(2, 0));
  }

  @Test
  void onceTheLeaseIsGone_writesArePlayedAsLostCompareAndSets_andPoolAndSlurmCallsAreRefused() {
    raw = SqliteStateStore.open(dir.resolve("s.db"));
    long seq = raw.recordIntents(List.of(new IntentRequest("gpu-0", "gpu", Intent.UP, IntentSource.RESUME, List.of())), T0).get(0).seq();
    HostBinding b = new HostBinding("gpu-0", "gpu", BindingPhase.REQUESTED, Optional.empty(), Optional.empty(), seq, T0, Optional.empty(), 0);
    HostBinding stored = raw.putBinding(b).orElseThrow();
    StaticProvider provider = new StaticProvider("gpu");
    FakeSlurm slurm = new FakeSlurm();
    holds.set(false);

    StateStore fenced = fence.store(raw);
    assertThat(fenced.putBinding(stored)).isEmpty();
    assertThat(fenced.deleteBinding("gpu-0", stored.version())).isFalse();
    assertThat(fenced.putPool(PoolRecord.initial("gpu"))).isEmpty();
    fenced.appendEvents(List.of(HostEvent.ofPool(T0, "gpu", "x", "y")));
    assertThat(fenced.bindings()).containsKey("gpu-0");
    assertThat(raw.pools()).doesNotContainKey("gpu");
    assertThat(raw.poolEvents("gpu", 10)).isEmpty();
    assertThat(raw.binding("gpu-0")).contains(stored);

    var pool = fence.provider(provider).pool("gpu").orElseThrow();
    assertThat(pool.nodes()).isEmpty();
    assertThatThrownBy(() -> pool.resize(new PoolTarget(1, 0))).isInstanceOfSatisfying(ProviderException.class, e -> {
      assertThat(e.error().errorClass()).isEqualTo(ErrorClass.RESIZE_IN_PROGRESS);
      assertThat(e.error().code()).isEqualTo(LeaderFence.CODE);
    });
    assertThatThrownBy(() -> pool.remove(List.of("n1"))).isInstanceOf(ProviderException.class);
    assertThat(provider.resizes).isEmpty();
    assertThat(provider.removals).isEmpty();
    assertThatThrownBy(() -> fence.slurm(new SlurmControlPort(slurm)).update(new SlurmUpdate.MarkDown(List.of("gpu-0"), "r")))
        .isInstanceOf(IllegalStateException.class);
  }
}
