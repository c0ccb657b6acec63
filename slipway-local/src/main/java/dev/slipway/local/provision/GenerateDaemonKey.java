package dev.slipway.local.provision;

import dev.slipway.tls.DaemonIdentity;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.Map;

/**
 * The daemons' TLS key and certificate ({@code daemon-tls.key} 0400, {@code daemon-tls.crt}) in the
 * secrets directory, made before the hooks are installed and the nodes' environment is written:
 * both carry the key's pin. A pair that exists is kept, so running nodes keep trusting the daemons.
 */
final class GenerateDaemonKey implements ProvisionStep {
  private final SecureRandom random;

  GenerateDaemonKey(SecureRandom random) {
    this.random = random;
  }

  @Override
  public String description(ProvisionContext c) {
    return "generate the daemon's TLS key";
  }

  @Override
  public void run(ProvisionContext c) {
    boolean existed = Files.exists(DaemonIdentity.keyFile(c.paths.secrets()));
    DaemonIdentity identity = DaemonIdentity.loadOrCreate(c.paths.secrets(), c.config.slurm().clusterId(), random, c.clock);
    c.emit(existed ? "daemon.key.kept" : "daemon.key.created", (existed ? "keeping" : "made") + " the daemon's TLS key, pin " + identity.pin(),
        Map.of("pin", identity.pin()));
  }
}
