package dev.slipway.local.provision;

import dev.slipway.local.services.AccountingSettings;
import dev.slipway.local.services.LocalAccounting;
import java.security.SecureRandom;

/**
 * With {@code slipway.accounting: true}: the cluster's MariaDB and slurmdbd ({@link LocalAccounting})
 * in the root namespace, listening on the bridge address, started before the controllers so that
 * slurmctld finds slurmdbd when it registers.
 */
final class StartAccounting implements ProvisionStep {
  private final SecureRandom random;

  StartAccounting(SecureRandom random) {
    this.random = random;
  }

  @Override
  public String description(ProvisionContext c) {
    return c.config.slipway().accounting() ? "start MariaDB and slurmdbd" : "accounting is off (slipway.accounting: false)";
  }

  static LocalAccounting accounting(ProvisionContext c, SecureRandom random) {
    return LocalAccounting.forCluster(c.paths.dir(),
        AccountingSettings.of(c.config, RenderSlurmConfig.layout(c), c.paths.slurmConf(), c.paths.mungeSocket(), random));
  }

  @Override
  public void run(ProvisionContext c) {
    if (!c.config.slipway().accounting()) {
      return;
    }
    c.ledger.record(Ledger.Entry.of("accounting"));
    accounting(c, random).start();
  }
}
