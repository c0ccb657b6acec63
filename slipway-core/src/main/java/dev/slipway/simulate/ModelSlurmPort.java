package dev.slipway.simulate;

import dev.slipway.engine.SlurmHostState;
import dev.slipway.engine.SlurmPort;
import dev.slipway.engine.SlurmUpdate;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The engine's view of Slurm, served by the {@link SlurmModel} instead of scontrol: the same
 * reductions the scontrol adapter makes ({@code idle~} powered down, {@code alloc#} powering up,
 * {@code idle%} powering down, {@code *} not responding), and updates applied as scontrol would.
 */
final class ModelSlurmPort implements SlurmPort {
  private final SlurmModel model;

  ModelSlurmPort(SlurmModel model) {
    this.model = model;
  }

  @Override
  public Map<String, SlurmHostState> hostStates(Collection<String> hosts) {
    Map<String, SlurmHostState> out = new HashMap<>(hosts.size() * 2);
    for (String host : hosts) {
      model.hostState(host).ifPresent(h -> out.put(host, toEngine(h)));
    }
    return out;
  }

  static SlurmHostState toEngine(HostState h) {
    SlurmHostState.Power power = switch (h.power()) {
      case POWERED_DOWN -> SlurmHostState.Power.POWERED_DOWN;
      case POWERING_UP -> SlurmHostState.Power.POWERING_UP;
      case UP -> SlurmHostState.Power.POWERED_UP;
      case POWERING_DOWN -> SlurmHostState.Power.POWERING_DOWN;
    };
    Optional<String> address = h.nodeAddr().filter(a -> !a.equals(h.host()));
    return new SlurmHostState(h.host(), power, h.down(), h.drain(), h.responding(), address, h.reason());
  }

  @Override
  public void update(SlurmUpdate update) {
    if (update instanceof SlurmUpdate.MarkDown m) {
      model.setDown(m.hosts(), m.reason());
    } else if (update instanceof SlurmUpdate.ReturnToService r) {
      // scontrol reports hosts it refuses but changes the others; the engine re-plans them next pass.
      model.returnToService(r.hosts());
    } else if (update instanceof SlurmUpdate.PowerDown p) {
      model.powerDown(p.hosts());
    } else if (update instanceof SlurmUpdate.SetAddress s) {
      s.addresses().forEach(model::setNodeAddr);
    }
  }
}
