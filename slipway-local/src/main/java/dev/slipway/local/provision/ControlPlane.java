package dev.slipway.local.provision;

import java.nio.file.Path;
import java.util.List;

/**
 * Slipway's own part of a local cluster, which this module cannot build itself because it lives
 * in the CLI: the power-save wrappers slurm.conf names, and the {@code slipway daemon} that drives
 * the elastic pools. {@link #NONE} makes a cluster whose CLOUD nodes stay powered down (tests of
 * the provisioner alone).
 */
public interface ControlPlane {
  ControlPlane NONE = new ControlPlane() {
    @Override
    public boolean present() {
      return false;
    }

    @Override
    public void installHooks(Path libexec, String wakeUrl) {}

    @Override
    public List<String> daemonCommand(String listenAddress, int port, List<String> confServers) {
      throw new IllegalStateException("no control plane");
    }
  };

  /** False for {@link #NONE}: no hooks, no daemon. */
  default boolean present() {
    return true;
  }

  /** Writes the power-save wrappers into {@code libexec}; they wake the daemon at {@code wakeUrl}. */
  void installHooks(Path libexec, String wakeUrl) throws InterruptedException;

  /**
   * The command line that runs {@code slipway daemon} in the foreground, listening on
   * {@code listenAddress:port}, telling nodes {@code confServers} (HOST:PORT, failover order).
   */
  List<String> daemonCommand(String listenAddress, int port, List<String> confServers);
}
