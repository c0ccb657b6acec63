package dev.slipway.engine;

import dev.slipway.engine.SlurmHostState.Power;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A Slurm the test drives: host states it reports, and updates applied the way slurmctld would
 * (a forced power-down ends in the suspend hook, which the test wires with {@code onPowerDown}).
 */
final class ScriptedSlurm implements SlurmPort {
  private final Map<String, SlurmHostState> states = new HashMap<>();
  final List<SlurmUpdate> updates = new ArrayList<>();
  /** The hosts each read asked about, in order. */
  final List<Set<String>> reads = new ArrayList<>();
  private boolean unreachable;
  private Consumer<List<String>> onPowerDown = hosts -> {};

  ScriptedSlurm(Collection<String> hosts) {
    hosts.forEach(h -> states.put(h, new SlurmHostState(h, Power.POWERED_DOWN, false, false, false, Optional.empty(), Optional.empty())));
  }

  @Override
  public synchronized Map<String, SlurmHostState> hostStates(Collection<String> hosts) {
    if (unreachable) {
      throw new IllegalStateException("slurmctld is not responding");
    }
    reads.add(Set.copyOf(hosts));
    Map<String, SlurmHostState> out = new HashMap<>();
    hosts.forEach(h -> Optional.ofNullable(states.get(h)).ifPresent(s -> out.put(h, s)));
    return out;
  }

  @Override
  public synchronized void update(SlurmUpdate update) {
    if (unreachable) {
      throw new IllegalStateException("slurmctld is not responding");
    }
    if (update.hosts().size() > SlurmUpdate.MAX_HOSTS) {
      throw new IllegalArgumentException("too many hosts in one update: " + update.hosts().size());
    }
    updates.add(update);
    if (update instanceof SlurmUpdate.MarkDown m) {
      m.hosts().forEach(h -> set(h, s -> new SlurmHostState(h, s.power(), true, s.drained(), s.responding(), s.address(), Optional.of(m.reason()))));
    } else if (update instanceof SlurmUpdate.ReturnToService r) {
      r.hosts().forEach(h -> set(h, s -> new SlurmHostState(h, s.power(), false, false, s.responding(), s.address(), Optional.empty())));
    } else if (update instanceof SlurmUpdate.PowerDown p) {
      p.hosts().forEach(h -> set(h, s -> new SlurmHostState(h, Power.POWERED_DOWN, s.down(), s.drained(), false, Optional.empty(), s.reason())));
      onPowerDown.accept(p.hosts());
    } else if (update instanceof SlurmUpdate.SetAddress a) {
      a.addresses().forEach((h, addr) -> set(h, s -> new SlurmHostState(h, s.power(), s.down(), s.drained(), s.responding(), Optional.of(addr), s.reason())));
    }
  }

  synchronized void set(String host, java.util.function.UnaryOperator<SlurmHostState> change) {
    states.put(host, change.apply(states.get(host)));
  }

  synchronized SlurmHostState state(String host) {
    return states.get(host);
  }

  synchronized void power(String host, Power power, boolean responding, Optional<String> address) {
    set(host, s -> new SlurmHostState(host, power, s.down(), s.drained(), responding, address, s.reason()));
  }

  synchronized void unreachable(boolean value) {
    unreachable = value;
  }

  synchronized void onPowerDown(Consumer<List<String>> listener) {
    onPowerDown = listener;
  }
}
