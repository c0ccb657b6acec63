package dev.slipway.local.provision;

import dev.slipway.slurm.RenderedSlurmConf;
import dev.slipway.slurm.SlurmConfRenderer;
import dev.slipway.slurm.SlurmLayout;
import dev.slipway.slurm.VmSizeCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** slurm.conf and friends for the local layout, with the controllers' addresses and the cluster's munge socket. */
final class RenderSlurmConfig implements ProvisionStep {
  @Override
  public String description(ProvisionContext c) {
    return "render " + c.paths.slurmConf();
  }

  /**
   * The local layout with the controllers' addresses, the cluster's munge socket, and slurmdbd on
   * the bridge address: it runs in the root namespace (beside its MariaDB), where every controller
   * namespace reaches it, and the address is the cluster's own, so clusters do not collide on 6819.
   */
  static SlurmLayout layout(ProvisionContext c) {
    List<String> addresses = new ArrayList<>();
    c.controllers().forEach(n -> addresses.add(c.address(n)));
    SlurmLayout l = SlurmLayout.forLocal(c.config, c.paths.dir(), addresses).withMungeSocket(c.paths.mungeSocket());
    return new SlurmLayout(l.controllers(), l.slurmctldPort(), l.slurmdPort(), l.stateSaveLocation(), l.slurmdSpoolDir(), l.logDir(),
        l.pidDir(), l.powerPrograms(), l.prologSlurmctld(), l.slurmUser(), l.pluginDir(), l.mungeSocket(),
        new SlurmLayout.AccountingEndpoint(c.network.bridgeAddress(), SlurmLayout.SLURMDBD_PORT), l.hosting());
  }

  @Override
  public void run(ProvisionContext c) {
    SlurmLayout layout = layout(c);
    RenderedSlurmConf rendered = new SlurmConfRenderer(VmSizeCatalog.shipped()).render(c.config, layout);
    try {
      rendered.writeTo(c.paths.etc());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Slurm configuration to " + c.paths.etc(), e);
    }
  }
}
