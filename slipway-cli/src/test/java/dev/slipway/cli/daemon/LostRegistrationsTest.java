package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.SlurmHostState;
import dev.slipway.engine.SlurmPort;
import dev.slipway.engine.SlurmUpdate;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.InMemoryStateStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LostRegistrationsTest {
  private final FakeClock clock = new FakeClock();
  private final InMemoryStateStore store = new InMemoryStateStore();
  private final Map<String, SlurmHostState> slurmStates = new HashMap<>();
  private final List<String> asked = new ArrayList<>();
  private final SlurmPort slurm = new SlurmPort() {
    @Override
    public Map<String, SlurmHostState> hostStates(Collection<String> hosts) {
      Map<String, SlurmHostState> m = new HashMap<>(slurmStates);
      m.keySet().retainAll(hosts);
      return m;
    }

    @Override
    public void update(SlurmUpdate update) {
      throw new AssertionError("repairing registrations never updates Slurm");
    }
  };
  private final LostRegistrations lost = new LostRegistrations(store, slurm, (host, node) -> asked.add(host + "@" + node), clock,
      Duration.ofSeconds(5));

  private void bind(String host, BindingPhase phase, String node) {
    store.putBinding(new HostBinding(host, "p", phase, Optional.of(node), Optional.empty(), 1, clock.instant(), Optional.empty(), 0));
  }

  private void slurmSays(String host, SlurmHostState.Power power) {
    slurmStates.put(host, new SlurmHostState(host, power, false, false, power == SlurmHostState.Power.POWERED_UP, Optional.empty(),
        Optional.empty()));
  }

  @Test
  void check_whenARegisteredHostIsPoweringUpInSlurm_asksItsSlurmdToRegisterAgain() {
    bind("p-0", BindingPhase.REGISTERED, "n0");
    bind("p-1", BindingPhase.REGISTERED, "n1");
    bind("p-2", BindingPhase.JOINED, "n2");
    slurmSays("p-0", SlurmHostState.Power.POWERING_UP);
    slurmSays("p-1", SlurmHostState.Power.POWERED_UP);
    slurmSays("p-2", SlurmHostState.Power.POWERING_UP);

    assertThat(lost.check()).containsExactly("p-0");
    assertThat(asked).containsExactly("p-0@n0");
  }

  @Test
  void check_asksOneHostAtMostOncePerInterval_andLooksAtMostOncePerInterval() {
    bind("p-0", BindingPhase.REGISTERED, "n0");
    slurmSays("p-0", SlurmHostState.Power.POWERING_UP);
    lost.check();
    clock.advance(Duration.ofSeconds(4));
    assertThat(lost.check()).isEmpty();
    clock.advance(Duration.ofSeconds(1));
    assertThat(lost.check()).containsExactly("p-0");
    slurmSays("p-0", SlurmHostState.Power.POWERED_UP);
    clock.advance(Duration.ofSeconds(5));
    assertThat(lost.check()).isEmpty();
    assertThat(asked).containsExactly("p-0@n0", "p-0@n0");
  }
}
