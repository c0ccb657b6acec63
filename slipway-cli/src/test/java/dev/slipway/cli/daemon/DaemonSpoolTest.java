package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.EngineTimings;
import dev.slipway.engine.JoinSettings;
import dev.slipway.engine.PoolTopology;
import dev.slipway.hooks.HookKind;
import dev.slipway.hooks.SpoolEntry;
import dev.slipway.model.NodeType;
import dev.slipway.model.Secret;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.spi.Intent;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.FakeSlurm;
import dev.slipway.testkit.InMemoryStateStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon imports what the power-save wrappers spooled: a wake-up is enough, the poll is not
 * needed (its interval is an hour here, so only the wake can explain the import).
 */
class DaemonSpoolTest {
  @TempDir Path dir;
  private final FakeClock clock = new FakeClock();
  private final InMemoryStateStore store = new InMemoryStateStore();
  private final FakeSlurm slurm = new FakeSlurm();
  private final ClusterTopology topology = new ClusterTopology(List.of(PoolTopology.of("gpu", "gpu", 4, NodeType.DEDICATED, "p", 0, 0)));
  private DaemonRuntime runtime;

  @BeforeEach
  void start() throws IOException {
    slurm.addCloudNodes("p", topology.hosts());
    JoinSettings join = new JoinSettings("c1", Map.of("gpu", Secret.of("t")), List.of("ctl-0"), Secret.of("bXVuZ2U="), List.of());
    Duration hour = Duration.ofHours(1);
    runtime = DaemonRuntime.start(DaemonRuntime.Parts.of(store, new StaticProvider("gpu"), new SlurmControlPort(slurm), topology, join, "d1")
        .withTimings(new Daemon.Timings(hour.multipliedBy(3), hour, hour, hour))
        .withClock(clock)
        .withSpool(dir.resolve("spool"), dir.resolve("power.log")));
  }

  @AfterEach
  void stop() {
    if (runtime != null) {
      runtime.close();
    }
  }

  private String spool(HookKind kind, String hosts, Instant time) throws IOException {
    SpoolEntry e = new SpoolEntry(SpoolEntry.nameFor(time, 99), kind, time, hosts, Optional.empty(),
        Optional.of("{\"jobs\":[{\"job_id\":3,\"nodes\":\"" + hosts + "\"}]}"), Optional.empty());
    Files.createDirectories(dir.resolve("spool"));
    Files.write(dir.resolve("spool").resolve(e.name()), e.render());
    return e.name();
  }

  @Test
  void wake_importsTheSpool_beforeThePassThatItTriggers() throws Exception {
    String name = spool(HookKind.RESUME, "gpu-[0-1]", clock.instant());
    HttpResponse<String> r = HttpClient.newBuilder().sslContext(dev.slipway.tls.DaemonIdentity.pinnedClientContext(runtime.pin())).build()
        .send(HttpRequest.newBuilder(URI.create(runtime.baseUrl() + "/v1/wake"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(204);

    // The loop thread imports; wait for that event (bounded), not for a time. The file is deleted
    // last (after the intents are committed and the log lines written), so wait for that.
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (Files.exists(dir.resolve("spool").resolve(name)) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(store.intents()).containsOnlyKeys("gpu-0", "gpu-1");
    assertThat(store.intents().get("gpu-1").jobIds()).containsExactly("3");
    assertThat(Files.list(dir.resolve("spool")).map(p -> p.getFileName().toString())).doesNotContain(name);
    assertThat(Files.readString(dir.resolve("power.log"))).contains("spooled " + name + ": recorded 2 intents UP");
  }

  @Test
  void tick_importsEvenWhenAFileIsMalformed_andThePassSeesTheNewIntents() throws Exception {
    runtime.close(); // drive ticks by hand with a daemon of the same parts
    runtime = null;
    Daemon daemon = Daemon.builder(store, "d2",
            leading -> new dev.slipway.engine.Reconciler(store, new StaticProvider("gpu"), new SlurmControlPort(slurm), topology.pools(),
                EngineTimings.DEFAULTS, clock, dev.slipway.spi.EventSink.NONE, new DaemonMetrics(), leading))
        .clock(clock)
        .spool(new dev.slipway.hooks.SpoolImporter(dir.resolve("spool"), new dev.slipway.hooks.PowerSaveHook(topology, store, clock),
            store, clock, Optional.of(dir.resolve("power.log"))))
        .build();
    try {
      spool(HookKind.RESUME, "gpu-2", clock.instant());
      Files.writeString(dir.resolve("spool").resolve(SpoolEntry.nameFor(clock.instant().plusMillis(1), 1)), "garbage\n");
      spool(HookKind.SUSPEND, "gpu-2", clock.instant().plusMillis(2));

      daemon.tick();

      assertThat(store.intents().get("gpu-2").intent()).isEqualTo(Intent.DOWN);
      assertThat(dir.resolve("spool").resolve("rejected")).isDirectoryContaining(p -> true);
    } finally {
      daemon.close();
    }
  }
}
