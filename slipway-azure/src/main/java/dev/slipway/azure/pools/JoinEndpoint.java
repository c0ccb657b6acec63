package dev.slipway.azure.pools;

import dev.slipway.model.Secret;
import dev.slipway.slurm.SlurmLayout;
import dev.slipway.tls.DaemonIdentity;
import java.util.List;
import java.util.Objects;

/**
 * What a pool's nodes need to join the cluster (docs/join-protocol.md): the daemons' base URLs in
 * controller order, the cluster id, the pool's join token and the pin of the daemons' TLS key
 * (public: it only lets a node recognise the daemon). The munge key is not here on purpose: nodes
 * get it from the daemon over the join call, never from the pool definition.
 */
public record JoinEndpoint(String clusterId, List<String> joinUrls, Secret joinToken, String daemonPin) {
  public JoinEndpoint {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(joinToken, "joinToken");
    DaemonIdentity.requirePin(daemonPin);
    joinUrls = List.copyOf(joinUrls);
    if (joinUrls.isEmpty()) throw new IllegalArgumentException("a pool needs at least one join URL");
    for (String u : joinUrls) {
      if (!u.startsWith("http://") && !u.startsWith("https://")) {
        throw new IllegalArgumentException("join URL must start with http:// or https://, got " + u);
      }
      if (u.chars().anyMatch(Character::isWhitespace)) throw new IllegalArgumentException("join URL contains white space: " + u);
    }
  }

  /**
   * The Azure default: each controller VM by its name ({@code <cluster_id>-controller-vmNNN},
   * which the virtual network's DNS resolves) on the daemon port.
   */
  public static JoinEndpoint forControllers(String clusterId, int controllerCount, int daemonPort, Secret joinToken, String daemonPin) {
    List<String> urls = SlurmLayout.controllerNames(clusterId, controllerCount).stream()
        .map(n -> "https://" + n + ":" + daemonPort).toList();
    return new JoinEndpoint(clusterId, urls, joinToken, daemonPin);
  }

  @Override
  public String toString() {
    return "JoinEndpoint[clusterId=" + clusterId + ", joinUrls=" + joinUrls + ", joinToken=" + joinToken + ", daemonPin=" + daemonPin + "]";
  }
}
