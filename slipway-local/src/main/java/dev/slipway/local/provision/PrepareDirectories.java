package dev.slipway.local.provision;

import dev.slipway.config.SharedVolume;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The cluster directory and its parts. The cluster directory and everything on the path to the
 * munge socket are 0755 (munged refuses a socket others cannot reach), secrets 0700. A shared
 * volume's mount_path that does not exist on this machine is created empty (a bind mount needs a
 * target), recorded, and removed by destroy when still empty; the host's own content there is
 * never touched because the volumes are bind-mounted only inside the nodes' mount namespaces.
 */
final class PrepareDirectories implements ProvisionStep {
  @Override
  public String description(ProvisionContext c) {
    return "prepare " + c.paths.dir();
  }

  @Override
  public void run(ProvisionContext c) throws InterruptedException {
    ClusterPaths p = c.paths;
    try {
      mkdirs(p.dir(), "rwxr-xr-x");
      mkdirs(p.provision(), "rwx------");
      mkdirs(p.secrets(), "rwx------");
      mkdirs(p.ssh(), "rwx------");
      for (Path d : new Path[] {p.etc(), p.mungeDir(), p.logs(), p.libexec(), p.slurmLog(), p.slurmRun(),
          p.stateSaveLocation(), p.authorizedKeys(), p.home(), p.computeNodes()}) {
        mkdirs(d, "rwxr-xr-x");
      }
      for (InfraNode n : c.infraNodes()) {
        mkdirs(p.infraRun(n.name()), "rwxr-xr-x");
        mkdirs(p.infraLog(n.name()), "rwxr-xr-x");
      }
      for (SharedVolume v : c.config.slurm().sharedDataVolumes()) {
        // Jobs of any user write to shared volumes, as on an NFS export.
        mkdirs(p.shared(v.id()), "rwxrwxrwx");
        c.run(java.util.List.of("chmod", "1777", p.shared(v.id()).toString()));
        Path target = Path.of(v.mountPath());
        if (!Files.exists(target)) {
          c.ledger.record(Ledger.Entry.of("mountpoint", target.toString()));
          Files.createDirectories(target);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the cluster directory " + p.dir(), e);
    }
  }

  static void mkdirs(Path dir, String mode) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
  }
}
