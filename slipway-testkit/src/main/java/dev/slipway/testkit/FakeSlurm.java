package dev.slipway.testkit;

import dev.slipway.slurm.NodeBaseState;
import dev.slipway.slurm.NodeFlag;
import dev.slipway.slurm.NodeStateChange;
import dev.slipway.slurm.NodeUpdate;
import dev.slipway.slurm.SlurmControl;
import dev.slipway.slurm.SlurmControlException;
import dev.slipway.slurm.SlurmNode;
import dev.slipway.slurm.SlurmNodeState;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An in-memory {@link SlurmControl} for engine tests. Tests add nodes and set their states
 * directly ({@link #put}, {@link #setState}); every update the engine makes is recorded
 * ({@link #updates()}, {@link #addressUpdates()}) and applied to the nodes with a simplified model
 * of slurmctld: state changes take effect at once (POWER_DOWN goes straight to POWERED_DOWN, with
 * no POWERING_DOWN in between; set that with {@link #setState} when a test needs it).
 *
 * <p>As slurmctld 22.05 does (the reference, checked by {@link SlurmControlContract} against both):
 * a state update naming a node Slurm does not know still changes every node it does know, then
 * fails, while a NodeAddr update stops at the first unknown name (in the map's order);
 * RESUME of a node that is neither down, drained nor failed is refused for that node only (the
 * call fails, the others change); a reason without a state is ignored unless the node is down,
 * drained or failed; a resumed or undrained powered-down node is NOT_RESPONDING.
 * {@link #setUnavailable} makes every call fail as when slurmctld is down.
 */
public final class FakeSlurm implements SlurmControl {
  private final Map<String, SlurmNode> nodes = new LinkedHashMap<>();
  private final List<NodeUpdate> updates = new ArrayList<>();
  private final List<Map<String, String>> addressUpdates = new ArrayList<>();
  private boolean unavailable;
  private int reads;

  /** Adds powered-down CLOUD nodes in partition {@code partition}, as slurm.conf declares elastic hosts. */
  public synchronized FakeSlurm addCloudNodes(String partition, Collection<String> names) {
    for (String name : names) {
      put(new SlurmNode(name, SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN),
          Optional.empty(), Optional.of(name), Optional.of(name), List.of(partition), Set.of()));
    }
    return this;
  }

  /** Adds or replaces a node. */
  public synchronized FakeSlurm put(SlurmNode node) {
    nodes.put(node.name(), node);
    return this;
  }

  public synchronized void setState(String host, SlurmNodeState state) {
    SlurmNode n = require(host);
    nodes.put(host, with(n, state, n.reason()));
  }

  public synchronized void setState(String host, SlurmNodeState state, String reason) {
    nodes.put(host, with(require(host), state, Optional.of(reason)));
  }

  public synchronized SlurmNode node(String host) {
    return require(host);
  }

  public synchronized List<NodeUpdate> updates() {
    return List.copyOf(updates);
  }

  public synchronized List<Map<String, String>> addressUpdates() {
    return List.copyOf(addressUpdates);
  }

  /** How many times the nodes were read. */
  public synchronized int reads() {
    return reads;
  }

  public synchronized void clearRecorded() {
    updates.clear();
    addressUpdates.clear();
    reads = 0;
  }

  public synchronized void setUnavailable(boolean value) {
    this.unavailable = value;
  }

  @Override
  public synchronized List<SlurmNode> nodes() {
    checkAvailable();
    reads++;
    return List.copyOf(nodes.values());
  }

  @Override
  public synchronized void update(NodeUpdate update) {
    checkAvailable();
    updates.add(update);
    boolean refused = false;
    for (String host : update.hosts()) {
      SlurmNode n = nodes.get(host);
      if (n == null) {
        continue;
      }
      if (update.state().isPresent() && !accepts(n.state(), update.state().get())) {
        refused = true;
        continue;
      }
      SlurmNodeState state = update.state().map(change -> apply(n.state(), change)).orElse(n.state());
      Optional<String> reason;
      if (update.state().isEmpty() && !holdsReason(n.state())) {
        reason = n.reason(); // slurmctld 22.05 ignores a bare reason for a node that is not down, drained or failed
      } else if (update.reason().isPresent()) {
        reason = update.reason();
      } else {
        reason = update.state().map(FakeSlurm::clearsReason).orElse(false) ? Optional.empty() : n.reason();
      }
      nodes.put(host, with(n, state, reason));
    }
    checkKnown(update.hosts());
    if (refused) {
      throw new SlurmControlException("scontrol update NodeName=" + String.join(",", update.hosts())
          + " exited 1: slurm_update error: Invalid node state specified");
    }
  }

  @Override
  public synchronized void setAddresses(Map<String, String> addressByHost) {
    checkAvailable();
    addressUpdates.add(Map.copyOf(addressByHost));
    // slurmctld 22.05 pairs names with addresses in order and stops at the first unknown name.
    for (Map.Entry<String, String> e : addressByHost.entrySet()) {
      SlurmNode n = nodes.get(e.getKey());
      if (n == null) {
        break;
      }
      nodes.put(n.name(), new SlurmNode(n.name(), n.state(), n.reason(), Optional.of(e.getValue()), n.hostname(), n.partitions(), n.features()));
    }
    checkKnown(addressByHost.keySet());
  }

  /** slurmctld 22.05 refuses RESUME for a node that is neither down, drained nor failed. */
  private static boolean accepts(SlurmNodeState s, NodeStateChange change) {
    return change != NodeStateChange.RESUME || s.isDown() || s.isDrain() || s.has(NodeFlag.FAIL);
  }

  private static boolean holdsReason(SlurmNodeState s) {
    return s.isDown() || s.isDrain() || s.has(NodeFlag.FAIL);
  }

  private static boolean clearsReason(NodeStateChange change) {
    return change == NodeStateChange.RESUME || change == NodeStateChange.UNDRAIN || change == NodeStateChange.IDLE;
  }

  /** Slurm 22.05's effect of each state change, without the transitional states. */
  private static SlurmNodeState apply(SlurmNodeState s, NodeStateChange change) {
    NodeBaseState base = s.base();
    Set<NodeFlag> flags = s.flags().isEmpty() ? EnumSet.noneOf(NodeFlag.class) : EnumSet.copyOf(s.flags());
    switch (change) {
      case DOWN -> base = NodeBaseState.DOWN;
      case DRAIN -> flags.add(NodeFlag.DRAIN);
      case FAIL -> flags.add(NodeFlag.FAIL);
      case RESUME -> {
        flags.remove(NodeFlag.DRAIN);
        flags.remove(NodeFlag.FAIL);
        if (base == NodeBaseState.DOWN) {
          // as slurmctld 22.05 does (seen in ScontrolSlurmControlIT): a resumed DOWN node is
          // NOT_RESPONDING until it registers, which a powered-down node does only once powered up
          base = NodeBaseState.IDLE;
          flags.add(NodeFlag.NOT_RESPONDING);
        } else if (s.isDrain() && flags.contains(NodeFlag.POWERED_DOWN)) {
          flags.add(NodeFlag.NOT_RESPONDING); // as for UNDRAIN below
        }
      }
      case IDLE -> {
        base = NodeBaseState.IDLE;
        flags.remove(NodeFlag.NOT_RESPONDING);
      }
      case UNDRAIN -> {
        // slurmctld 22.05 leaves an undrained powered-down node NOT_RESPONDING, as after RESUME
        // (seen in ScontrolSlurmControlContractIT)
        if (flags.remove(NodeFlag.DRAIN) && flags.contains(NodeFlag.POWERED_DOWN)) {
          flags.add(NodeFlag.NOT_RESPONDING);
        }
      }
      case POWER_UP -> {
        flags.remove(NodeFlag.POWERED_DOWN);
        flags.remove(NodeFlag.POWER_DOWN);
        flags.add(NodeFlag.POWERING_UP);
      }
      case POWER_DOWN, POWER_DOWN_ASAP, POWER_DOWN_FORCE -> {
        flags.remove(NodeFlag.POWERING_UP);
        flags.remove(NodeFlag.POWERING_DOWN);
        flags.remove(NodeFlag.POWER_DOWN);
        flags.add(NodeFlag.POWERED_DOWN);
        if (base == NodeBaseState.ALLOCATED || base == NodeBaseState.MIXED) {
          base = NodeBaseState.IDLE; // FORCE kills the jobs; the fake does the same for all kinds
        }
      }
      case FUTURE -> base = NodeBaseState.FUTURE;
    }
    StringBuilder raw = new StringBuilder(base.name());
    flags.forEach(f -> raw.append('+').append(f.name()));
    s.otherFlags().forEach(f -> raw.append('+').append(f));
    return new SlurmNodeState(base, flags, s.otherFlags(), raw.toString());
  }

  private static SlurmNode with(SlurmNode n, SlurmNodeState state, Optional<String> reason) {
    return new SlurmNode(n.name(), state, reason, n.address(), n.hostname(), n.partitions(), n.features());
  }

  private SlurmNode require(String host) {
    SlurmNode n = nodes.get(host);
    if (n == null) {
      throw new IllegalArgumentException("FakeSlurm has no node '" + host + "'");
    }
    return n;
  }

  private void checkKnown(Collection<String> hosts) {
    List<String> unknown = hosts.stream().filter(h -> !nodes.containsKey(h)).toList();
    if (!unknown.isEmpty()) {
      throw new SlurmControlException("scontrol update NodeName=" + String.join(",", unknown)
          + " exited 1: slurm_update error: Invalid node name specified");
    }
  }

  private void checkAvailable() {
    if (unavailable) {
      throw new SlurmControlException("scontrol exited 1: Unable to contact slurm controller (connect failure)");
    }
  }
}
