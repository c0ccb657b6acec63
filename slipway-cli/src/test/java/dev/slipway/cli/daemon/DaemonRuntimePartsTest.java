package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.EngineTimings;
import dev.slipway.engine.JoinSettings;
import dev.slipway.engine.PoolTopology;
import dev.slipway.model.NodeType;
import dev.slipway.model.Secret;
import dev.slipway.slurm.SlurmControlPort;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.FakeSlurm;
import dev.slipway.testkit.InMemoryStateStore;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DaemonRuntimePartsTest {
  private final DaemonRuntime.Parts base = DaemonRuntime.Parts.of(new InMemoryStateStore(), new StaticProvider("gpu"),
      new SlurmControlPort(new FakeSlurm()), new ClusterTopology(List.of(PoolTopology.of("gpu", "gpu", 2, NodeType.DEDICATED, "p", 0, 0))),
      new JoinSettings("c1", Map.of(), List.of(), Secret.of("m"), List.of()), "d1");

  @Test
  void of_givesTheProductionDefaults_onLoopbackAndAFreePort() {
    assertThat(base.engineTimings()).isEqualTo(EngineTimings.DEFAULTS);
    assertThat(base.timings()).isEqualTo(Daemon.Timings.defaults());
    assertThat(base.listen()).isEqualTo(InetAddress.getLoopbackAddress());
    assertThat(base.port()).isZero();
    assertThat(base.spool()).isEmpty();
    assertThat(base.powerLog()).isEmpty();
    assertThat(base.slurmds()).isEmpty();
    assertThat(base.eventRetention()).isEqualTo(Daemon.EventRetention.defaults());
    assertThat(base.identity().certificate().getSubjectX500Principal().getName()).isEqualTo("CN=slipway-c1");
  }

  @Test
  void withers_changeOnlyWhatTheyName() {
    FakeClock clock = new FakeClock();
    Daemon.Timings fast = Daemon.Timings.defaults().withPeriod(Duration.ofSeconds(2));

    dev.slipway.tls.DaemonIdentity key = dev.slipway.tls.DaemonIdentity.generate("c1", new java.security.SecureRandom(), clock);
    DaemonRuntime.Parts changed = base.withTimings(fast).withClock(clock).withSpool(Path.of("/s"), Path.of("/p.log"))
        .withEventRetention(Daemon.EventRetention.keeping(Duration.ofDays(3))).withIdentity(key);

    assertThat(changed).isEqualTo(new DaemonRuntime.Parts(base.store(), base.provider(), base.slurm(), base.topology(), base.join(),
        base.engineTimings(), fast, "d1", base.listen(), 0, clock, Optional.of(Path.of("/s")), Optional.of(Path.of("/p.log")),
        Optional.empty(), Daemon.EventRetention.keeping(Duration.ofDays(3)), key));
  }

  @Test
  void withListen_refusesAPortOutsideTcp() {
    assertThatThrownBy(() -> base.withListen(InetAddress.getLoopbackAddress(), 70000)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void eventRetention_refusesNonPositiveValues() {
    assertThatThrownBy(() -> new Daemon.EventRetention(Duration.ZERO, Duration.ofMinutes(1), 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Daemon.EventRetention(Duration.ofDays(1), Duration.ofMinutes(1), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
