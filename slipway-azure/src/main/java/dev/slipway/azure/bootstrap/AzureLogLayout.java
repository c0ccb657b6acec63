package dev.slipway.azure.bootstrap;

import java.util.Objects;

/**
 * Where an Azure cluster's logs are, in one place for the writers (cloud-init, the pools' start
 * task, slurm.conf) and the reader ({@code slipway cluster logs}).
 *
 * <p>With an Azure Files share (Batch Shipyard's {@code <prefix>slurm} share, mounted at
 * {@value #SHARE_MOUNT} on controllers, login and compute nodes) the daemon's, the power-save
 * hooks' and every slurmd's log are on the share under {@code <cluster_id>/slurm/logs/}, one file
 * per host, so they outlive the compute node that wrote them and one controller can show them all.
 * slurmctld's and slurmdbd's logs stay on each controller's own disk (they are busy, and a share
 * outage must not stop the controller). Without a share every log is on its own machine.
 *
 * @param clusterId the cluster's id
 * @param shared whether the cluster has the Azure Files log share
 */
public record AzureLogLayout(String clusterId, boolean shared) {
  /** Where the log share is mounted on every machine of the cluster. */
  public static final String SHARE_MOUNT = "/azfile-slurm";
  /** The local directory of Slurm's logs (SlurmLayout.forAzure's logDir). */
  public static final String SLURM_LOG_DIR = "/var/log/slurm";
  /** The local directory of Slipway's logs. */
  public static final String SLIPWAY_LOG_DIR = "/var/log/slipway";

  public AzureLogLayout {
    Objects.requireNonNull(clusterId, "clusterId");
  }

  /** The cluster's directory on the share (whether or not the cluster has one). */
  public String sharedDir() {
    return SHARE_MOUNT + "/" + clusterId + "/slurm/logs";
  }

  /** The power-save hooks' log of the daemon on controller {@code controllerHost}. */
  public String powerLog(String controllerHost) {
    return shared ? sharedDir() + "/power-" + controllerHost + ".log" : SLIPWAY_LOG_DIR + "/power.log";
  }

  /** The Slipway daemon's log on controller {@code controllerHost}. */
  public String daemonLog(String controllerHost) {
    return shared ? sharedDir() + "/daemon-" + controllerHost + ".log" : SLIPWAY_LOG_DIR + "/daemon.log";
  }

  /** slurmd's log of compute host {@code host} (on the share, or on the node itself). */
  public String slurmdLog(String host) {
    return slurmdLogPattern().replace("%n", host);
  }

  /** SlurmdLogFile for slurm.conf ({@code %n}: the host's Slurm name). */
  public String slurmdLogPattern() {
    return (shared ? sharedDir() : SLURM_LOG_DIR) + "/slurmd-%n.log";
  }

  /** slurmctld's log, on each controller's own disk. */
  public String slurmctldLog() {
    return SLURM_LOG_DIR + "/slurmctld.log";
  }

  /** slurmdbd's log, on the primary controller's own disk. */
  public String slurmdbdLog() {
    return SLURM_LOG_DIR + "/slurmdbd.log";
  }
}
