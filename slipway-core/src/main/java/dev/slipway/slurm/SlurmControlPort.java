package dev.slipway.slurm;

import dev.slipway.engine.SlurmHostState;
import dev.slipway.engine.SlurmHostState.Power;
import dev.slipway.engine.SlurmPort;
import dev.slipway.engine.SlurmUpdate;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The engine's {@link SlurmPort} over a {@link SlurmControl} (scontrol in production, FakeSlurm in
 * tests): reduces Slurm's node states to what the engine decides on and turns the engine's
 * updates into {@code scontrol update} arguments.
 *
 * <p>Mapping of updates: MarkDown is {@code State=DOWN Reason=...}, ReturnToService
 * {@code State=RESUME}, PowerDown {@code State=POWER_DOWN_FORCE} (with its reason), SetAddress
 * {@code NodeAddr}. Resuming a DOWN host that is powered down leaves it NOT_RESPONDING in Slurm
 * until its slurmd registers, which happens only after a power up: that is Slurm's normal state for
 * a resumed cloud node, not a failure, so nothing here waits for or checks the result.
 *
 * <p>Power: a requested or running power up ({@code POWER_UP}, {@code POWERING_UP}) counts as
 * POWERING_UP even while {@code POWERED_DOWN} is still set (slurmctld clears it only when its
 * power thread picks the request up), so the engine starts the node without waiting a Slurm cycle.
 */
public final class SlurmControlPort implements SlurmPort {
  private final SlurmControl control;

  public SlurmControlPort(SlurmControl control) {
    this.control = Objects.requireNonNull(control, "control");
  }

  @Override
  public Map<String, SlurmHostState> hostStates(Collection<String> hosts) {
    Map<String, SlurmHostState> states = new LinkedHashMap<>();
    control.nodes(hosts).forEach((name, node) -> states.put(name, hostState(node)));
    return states;
  }

  @Override
  public void update(SlurmUpdate update) {
    if (update.hosts().isEmpty()) {
      return;
    }
    if (update instanceof SlurmUpdate.MarkDown m) {
      control.update(NodeUpdate.state(m.hosts(), NodeStateChange.DOWN, m.reason()));
    } else if (update instanceof SlurmUpdate.ReturnToService r) {
      control.update(NodeUpdate.state(r.hosts(), NodeStateChange.RESUME));
    } else if (update instanceof SlurmUpdate.PowerDown p) {
      control.update(NodeUpdate.state(p.hosts(), NodeStateChange.POWER_DOWN_FORCE, p.reason()));
    } else if (update instanceof SlurmUpdate.SetAddress a) {
      // Sorted so the call is reproducible; pairs stay together because SlurmControl takes a map.
      Map<String, String> ordered = new LinkedHashMap<>();
      a.hosts().forEach(h -> ordered.put(h, a.addresses().get(h)));
      control.setAddresses(ordered);
    } else {
      throw new IllegalArgumentException("unknown Slurm update " + update);
    }
  }

  /** One Slurm node as the engine sees it. */
  public static SlurmHostState hostState(SlurmNode node) {
    SlurmNodeState s = node.state();
    Power power;
    if (s.isPoweringUp()) {
      power = Power.POWERING_UP;
    } else if (s.has(NodeFlag.POWERING_DOWN) || s.has(NodeFlag.POWER_DOWN)) {
      // POWER_DOWN (a requested power down, shown right after POWER_DOWN_FORCE) is on its way down.
      power = Power.POWERING_DOWN;
    } else if (s.has(NodeFlag.POWERED_DOWN)) {
      power = Power.POWERED_DOWN;
    } else {
      power = Power.POWERED_UP;
    }
    Optional<String> address = node.address().filter(a -> !a.isBlank() && !a.equals(node.name()));
    return new SlurmHostState(node.name(), power, s.isDown(), s.isDrain(), !s.isNotResponding(), address, node.reason());
  }
}
