package dev.slipway.local.provision;

/**
 * A controller or login node of a local cluster: a network, UTS and mount namespace of its own
 * whose host name is {@code name} (for controllers the name slurm.conf's SlurmctldHost gives it).
 */
public record InfraNode(String name, Role role, int index) {
  public enum Role {
    CONTROLLER,
    LOGIN
  }

  /** The daemon that holds the node's namespaces and whose pid file tells whether it runs. */
  public String daemon() {
    return role == Role.CONTROLLER ? "slurmctld" : "sshd";
  }
}
