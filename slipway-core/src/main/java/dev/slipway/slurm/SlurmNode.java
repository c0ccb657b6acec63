package dev.slipway.slurm;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One node as Slurm reports it. {@code reason} is the text an operator or Slurm set, without the
 * {@code [user@time]} suffix scontrol appends; {@code address} is NodeAddr (which equals the node
 * name until something sets it); {@code features} are the available features.
 */
public record SlurmNode(
    String name,
    SlurmNodeState state,
    Optional<String> reason,
    Optional<String> address,
    Optional<String> hostname,
    List<String> partitions,
    Set<String> features) {
  public SlurmNode {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(hostname, "hostname");
    partitions = List.copyOf(partitions);
    features = Set.copyOf(features);
  }
}
