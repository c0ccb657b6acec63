package dev.slipway.slurm;

import dev.slipway.model.HostList;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@link SlurmControl} over the {@code scontrol} command, run through a {@link CommandRunner}.
 *
 * <p>Reading is one call: for the whole cluster ({@code scontrol --future show node --oneliner}),
 * or for a few hosts by name ({@link #nodes(Collection)}), in the complete state form, which
 * keeps every flag (sinfo's compact form keeps one suffix only). {@code --future} so that FUTURE
 * nodes are listed too.
 *
 * <p>slurm.conf must set {@code PrivateData=cloud}: without it slurmctld 22.05 hides powered-down
 * CLOUD nodes from scontrol and sinfo entirely (even by name, even with {@code --all}), and the
 * engine would see no elastic host at rest. A resumed DOWN node reads NOT_RESPONDING until it
 * registers, which a powered-down node only does once powered up (both seen in
 * ScontrolSlurmControlIT).
 *
 * <p>Updates go in chunks of at most {@link #MAX_NAMES_PER_CALL} names. State updates name their
 * hosts hostlist-compressed ({@code gpu-[0-499]}), since order does not matter there; NodeAddr
 * updates comma-join them instead, because Slurm pairs the n-th name with the n-th address, which
 * only a list in explicit order guarantees.
 */
public final class ScontrolSlurmControl implements SlurmControl {
  private final CommandRunner runner;
  private final String scontrol;
  private final Duration timeout;

  public ScontrolSlurmControl(CommandRunner runner, String scontrol, Duration timeout) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.scontrol = Objects.requireNonNull(scontrol, "scontrol");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  public ScontrolSlurmControl(CommandRunner runner) {
    this(runner, "scontrol", Duration.ofSeconds(30));
  }

  @Override
  public List<SlurmNode> nodes() {
    String out = run(List.of(scontrol, "--future", "show", "node", "--oneliner"));
    return ScontrolNodeFormat.parseNodes(out);
  }

  /**
   * A few hosts (at most {@link #MAX_NAMES_PER_CALL}) are read by name, hostlist-compressed, so
   * the output and its parsing are the size of the question rather than of the cluster (the
   * reconciler reads only the hosts with news between whole reads). scontrol prints the hosts it
   * knows and fails for the others ("Node x not found"); then the whole read answers instead, so
   * a host Slurm does not know is simply absent, as in the whole read.
   */
  @Override
  public Map<String, SlurmNode> nodes(Collection<String> hosts) {
    if (hosts.isEmpty()) {
      return Map.of();
    }
    if (hosts.size() > MAX_NAMES_PER_CALL) {
      return SlurmControl.super.nodes(hosts);
    }
    List<String> command = List.of(scontrol, "--future", "show", "node", HostList.compress(List.copyOf(hosts)).expression(), "--oneliner");
    CommandRunner.Result result = call(command);
    if (!result.ok()) {
      if ((result.stderr() + result.stdout()).contains("not found")) {
        return SlurmControl.super.nodes(hosts);
      }
      throw failed(result, command);
    }
    Set<String> wanted = Set.copyOf(hosts);
    Map<String, SlurmNode> found = new LinkedHashMap<>();
    for (SlurmNode node : ScontrolNodeFormat.parseNodes(result.stdout())) {
      if (wanted.contains(node.name())) {
        found.put(node.name(), node);
      }
    }
    return found;
  }

  @Override
  public void update(NodeUpdate update) {
    for (List<String> chunk : chunks(update.hosts())) {
      // A state change is the same whatever the order, so the names go compressed (gpu-[0-499]).
      List<String> command = new ArrayList<>(List.of(scontrol, "update", "NodeName=" + HostList.compress(chunk).expression()));
      update.state().ifPresent(s -> command.add("State=" + s.name()));
      update.reason().ifPresent(r -> command.add("Reason=" + r));
      run(command);
    }
  }

  @Override
  public void setAddresses(Map<String, String> addressByHost) {
    List<String> hosts = List.copyOf(addressByHost.keySet());
    for (List<String> chunk : chunks(hosts)) {
      List<String> addresses = chunk.stream().map(addressByHost::get).toList();
      run(List.of(scontrol, "update", "NodeName=" + String.join(",", chunk), "NodeAddr=" + String.join(",", addresses)));
    }
  }

  private static List<List<String>> chunks(List<String> names) {
    List<List<String>> chunks = new ArrayList<>();
    for (int i = 0; i < names.size(); i += MAX_NAMES_PER_CALL) {
      chunks.add(names.subList(i, Math.min(names.size(), i + MAX_NAMES_PER_CALL)));
    }
    return chunks;
  }

  private String run(List<String> command) {
    CommandRunner.Result result = call(command);
    if (!result.ok()) {
      throw failed(result, command);
    }
    return result.stdout();
  }

  private CommandRunner.Result call(List<String> command) {
    try {
      return runner.run(command, timeout);
    } catch (RuntimeException e) {
      throw new SlurmControlException(describe(command) + " could not run: " + e.getMessage(), e);
    }
  }

  private static SlurmControlException failed(CommandRunner.Result result, List<String> command) {
    String said = result.stderr().isBlank() ? result.stdout().strip() : result.stderr().strip();
    return new SlurmControlException(describe(command) + " exited " + result.exitCode() + ": " + said);
  }

  private static String describe(List<String> command) {
    String text = String.join(" ", command);
    return text.length() > 200 ? text.substring(0, 200) + "..." : text;
  }
}
