package dev.slipway.simulate;

import dev.slipway.engine.PoolTopology;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a power-save hook ({@code slipway hook resume|suspend|resume-fail HOSTLIST}) turns its host
 * list into: one intent request per host, with the host's pool found from the elastic pools'
 * host names. A host of no elastic pool is refused for the whole call, as the hook exits non-zero
 * without recording anything (an intent store is all or nothing).
 */
public final class PowerSaveIntents {
  private final dev.slipway.engine.ClusterTopology topology;

  public PowerSaveIntents(List<PoolTopology> pools) {
    this.topology = new dev.slipway.engine.ClusterTopology(pools);
  }

  /**
   * The requests for one hook call. {@code source} RESUME means UP; SUSPEND and RESUME_FAIL mean
   * DOWN (a resume failure is a DOWN whose source the engine reads as "never retry this intent").
   *
   * @throws IllegalArgumentException naming the hosts that are in no elastic pool
   */
  public List<IntentRequest> requests(Collection<String> hosts, IntentSource source, List<String> jobIds) {
    Intent intent = source == IntentSource.RESUME ? Intent.UP : Intent.DOWN;
    List<IntentRequest> out = new ArrayList<>(hosts.size());
    List<String> unknown = new ArrayList<>();
    for (String host : hosts) {
      String pool = topology.poolOfHost(host).map(PoolTopology::poolId).orElse(null);
      if (pool == null) {
        unknown.add(host);
      } else {
        out.add(new IntentRequest(host, pool, intent, source, jobIds));
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(unknown.size() + " hosts are in no elastic pool: "
          + String.join(",", unknown.subList(0, Math.min(5, unknown.size()))) + (unknown.size() > 5 ? ",..." : ""));
    }
    return out;
  }
}
