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

  @Override
  public void run(ProvisionContext c) {
    List<String> addresses = new ArrayList<>();
    c.controllers().forEach(n -> addresses.add(c.address(n)));
    SlurmLayout layout = SlurmLayout.forLocal(c.config, c.paths.dir(), addresses).withMungeSocket(c.paths.mungeSocket());
    RenderedSlurmConf rendered = new SlurmConfRenderer(VmSizeCatalog.shipped()).render(c.config, layout);
    try {
      rendered.writeTo(c.paths.etc());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Slurm configuration to " + c.paths.etc(), e);
    }
  }
}
