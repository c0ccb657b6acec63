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
    public void installHooks(Path libexec, List<String> wakeUrls) {}

    @Override
    public List<String> daemonCommand(String id, String listenAddress, int port, List<String> confServers, List<String> joinUrls) {
      throw new IllegalStateException("no control plane");
    }
  };

  /** False for {@link #NONE}: no hooks, no daemon. */
  default boolean present() {
    return true;
  }

  /** Writes the power-save wrappers into {@code libexec}; they wake every daemon, at {@code wakeUrls}. */
  void installHooks(Path libexec, List<String> wakeUrls) throws InterruptedException;

  /**
   * The command line that runs {@code slipway daemon} named {@code id} (its name in the leader
   * lease) in the foreground, listening on {@code listenAddress:port}, telling nodes
   * {@code confServers} (HOST:PORT, failover order), and giving nodes {@code joinUrls} (every
   * daemon's base URL, in the order nodes try them). The provisioner runs it with
   * {@code SLIPWAY_PROVIDER_NETNS} set to the namespace holding the cluster's bridge.
   */
  List<String> daemonCommand(String id, String listenAddress, int port, List<String> confServers, List<String> joinUrls);
}
