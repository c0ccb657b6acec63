package dev.slipway.local.provision;

import java.time.Duration;
import java.util.List;

/**
 * The cluster's own munged in the root namespace with its own key and socket (slurm.conf's
 * {@code AuthInfo=socket=...}), so the host's munged and key are left alone. Its socket is a file,
 * reachable from every network namespace.
 */
final class StartMunge implements ProvisionStep {
  @Override
  public String description(ProvisionContext c) {
    return "start munged";
  }

  @Override
  public void run(ProvisionContext c) throws InterruptedException {
    ClusterPaths p = c.paths;
    if (c.livePid(p.mungePidFile(), "munged").isPresent()) {
      return;
    }
    c.ledger.record(Ledger.Entry.of("process", "munged", p.mungePidFile().toString()));
    c.run(command(p));
    c.awaitPid(p.mungePidFile(), "munged", Duration.ofSeconds(20));
  }

  static List<String> command(ClusterPaths p) {
    return List.of("munged", "--key-file=" + p.mungeKey(), "--socket=" + p.mungeSocket(), "--pid-file=" + p.mungePidFile(),
        "--log-file=" + p.logs().resolve("munged.log"), "--seed-file=" + p.secrets().resolve("munged.seed"));
  }
}
