package dev.slipway.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.slurm.NodeBaseState;
import dev.slipway.slurm.NodeFlag;
import dev.slipway.slurm.NodeStateChange;
import dev.slipway.slurm.NodeUpdate;
import dev.slipway.slurm.SlurmControl;
import dev.slipway.slurm.SlurmControlException;
import dev.slipway.slurm.SlurmNode;
import dev.slipway.slurm.SlurmNodeState;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The behaviour every {@link SlurmControl} keeps, with real slurmctld 22.05 as the reference: a
 * subclass gives a control over a cluster of CLOUD hosts that are all powered down, idle and
 * without a reason when the suite starts. Assertions are on the parsed model (base state, flags,
 * reason, address), never on command lines, so FakeSlurm and scontrol answer to the same text.
 *
 * <p>One instance runs the whole suite ({@code PER_CLASS}) because a real slurmctld is too slow to
 * start per test. Each test therefore takes hosts no earlier test touched ({@link #untouched}), so
 * the tests hold in any order. The test of more than {@link SlurmControl#MAX_NAMES_PER_CALL} hosts
 * runs only when the subclass has that many untouched hosts left.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SlurmControlContract {
  private static final SlurmNodeState AT_REST = SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN);

  private final Set<String> handedOut = new java.util.HashSet<>();

  /** The control under test; the same one for every test of the suite. */
  protected abstract SlurmControl control();

  /** Every CLOUD host of the cluster, all powered down, idle and without a reason at the start. */
  protected abstract List<String> hosts();

  /** {@code count} hosts that no earlier test of this suite has changed. */
  protected final synchronized List<String> untouched(int count) {
    List<String> free = hosts().stream().filter(h -> !handedOut.contains(h)).limit(count).toList();
    assumeThat(free).as("untouched hosts left for this test").hasSize(count);
    handedOut.addAll(free);
    return free;
  }

  private SlurmNode read(String host) {
    Map<String, SlurmNode> found = control().nodes(List.of(host));
    assertThat(found).as("Slurm lists %s", host).containsKey(host);
    return found.get(host);
  }

  @Test
  void nodes_ofAClusterAtRest_listsEveryHostPoweredDownIdleWithoutReason() {
    List<SlurmNode> all = control().nodes();
    Map<String, SlurmNode> byName = all.stream().collect(Collectors.toMap(SlurmNode::name, n -> n, (a, b) -> a, LinkedHashMap::new));
    assertThat(byName.keySet()).containsAll(hosts());
    Set<String> touched;
    synchronized (this) {
      touched = Set.copyOf(handedOut);
    }
    for (String host : hosts()) {
      if (touched.contains(host)) {
        continue;
      }
      SlurmNode n = byName.get(host);
      assertThat(n.state()).as("state of %s", host).isEqualTo(AT_REST);
      assertThat(n.reason()).as("reason of %s", host).isEmpty();
      assertThat(n.address().filter(a -> !a.equals(host))).as("NodeAddr of %s other than its name", host).isEmpty();
    }
  }

  @Test
  void nodes_ofASubset_readsExactlyTheKnownNamedHosts() {
    List<String> hosts = untouched(3);
    List<String> asked = List.of(hosts.get(2), "nosuchhost-1", hosts.get(0));
    Map<String, SlurmNode> found = control().nodes(asked);
    assertThat(found.keySet()).containsExactlyInAnyOrder(hosts.get(2), hosts.get(0));
    assertThat(found.values()).allSatisfy(n -> assertThat(n.state()).isEqualTo(AT_REST));
  }

  @Test
  void down_withAReason_showsDownWithExactlyThatReason() {
    List<String> hosts = untouched(2);
    String reason = "capacity fallback: CAPACITY AllocationFailed (pool gpu, 3 of 4)";
    control().update(NodeUpdate.state(hosts, NodeStateChange.DOWN, reason));
    for (String host : hosts) {
      SlurmNode n = read(host);
      assertThat(n.state()).as("state of %s", host)
          .isEqualTo(SlurmNodeState.of(NodeBaseState.DOWN, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN));
      assertThat(n.reason()).as("reason of %s", host).contains(reason);
    }
  }

  @Test
  void resume_ofADownPoweredDownHost_bringsItBackToPoweredDownIdleWithoutReason() {
    List<String> hosts = untouched(2);
    control().update(NodeUpdate.state(hosts, NodeStateChange.DOWN, "unhealthy"));
    control().update(NodeUpdate.state(hosts, NodeStateChange.RESUME));
    for (String host : hosts) {
      SlurmNode n = read(host);
      assertThat(n.state().base()).as("base state of %s", host).isEqualTo(NodeBaseState.IDLE);
      assertThat(n.state().flags()).as("flags of %s", host).contains(NodeFlag.CLOUD, NodeFlag.POWERED_DOWN);
      // slurmctld 22.05 marks a resumed DOWN node NOT_RESPONDING until it registers, which a
      // powered-down node does only once powered up; nothing else may remain.
      assertThat(n.state().flags()).as("flags of %s", host)
          .isSubsetOf(EnumSet.of(NodeFlag.CLOUD, NodeFlag.POWERED_DOWN, NodeFlag.NOT_RESPONDING));
      assertThat(n.state().otherFlags()).isEmpty();
      assertThat(n.reason()).as("reason of %s", host).isEmpty();
    }
  }

  @Test
  void drain_thenUndrain_setsAndClearsTheDrainFlagKeepingThePowerState() {
    String host = untouched(1).get(0);
    control().update(NodeUpdate.state(List.of(host), NodeStateChange.DRAIN, "preempted by Azure"));
    SlurmNode drained = read(host);
    assertThat(drained.state()).isEqualTo(SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.DRAIN, NodeFlag.POWERED_DOWN));
    assertThat(drained.reason()).contains("preempted by Azure");

    control().update(new NodeUpdate(List.of(host), Optional.empty(), Optional.of("still preempted")));
    assertThat(read(host).state().isDrain()).isTrue();
    assertThat(read(host).reason()).contains("still preempted");

    control().update(NodeUpdate.state(List.of(host), NodeStateChange.UNDRAIN));
    SlurmNode undrained = read(host);
    // As after RESUME, slurmctld 22.05 leaves the undrained powered-down node NOT_RESPONDING.
    assertThat(undrained.state().base()).isEqualTo(NodeBaseState.IDLE);
    assertThat(undrained.state().flags()).contains(NodeFlag.CLOUD, NodeFlag.POWERED_DOWN)
        .isSubsetOf(EnumSet.of(NodeFlag.CLOUD, NodeFlag.POWERED_DOWN, NodeFlag.NOT_RESPONDING));
    assertThat(undrained.reason()).isEmpty();
  }

  @Test
  void reasonOnly_onAHostThatIsNeitherDownNorDrained_isIgnored() {
    String host = untouched(1).get(0);
    control().update(new NodeUpdate(List.of(host), Optional.empty(), Optional.of("just a note")));
    SlurmNode n = read(host);
    assertThat(n.state()).isEqualTo(AT_REST);
    assertThat(n.reason()).isEmpty();
  }

  @Test
  void resume_ofAHostThatIsNeitherDownNorDrained_isRefusedAndChangesNothing() {
    String host = untouched(1).get(0);
    assertThatThrownBy(() -> control().update(NodeUpdate.state(List.of(host), NodeStateChange.RESUME)))
        .isInstanceOf(SlurmControlException.class).hasMessageContaining("Invalid node state");
    assertThat(read(host).state()).isEqualTo(AT_REST);
  }

  @Test
  void resume_ofDownAndIdleHostsTogether_resumesTheDownOnesAndStillFails() {
    List<String> hosts = untouched(2);
    control().update(NodeUpdate.state(List.of(hosts.get(0)), NodeStateChange.DOWN, "down"));
    assertThatThrownBy(() -> control().update(NodeUpdate.state(hosts, NodeStateChange.RESUME)))
        .isInstanceOf(SlurmControlException.class).hasMessageContaining("Invalid node state");
    assertThat(read(hosts.get(0)).state().isDown()).isFalse();
    assertThat(read(hosts.get(1)).state()).isEqualTo(AT_REST);
  }

  @Test
  void powerDownForce_ofAPoweredDownHost_keepsItOffWithTheReason() {
    String host = untouched(1).get(0);
    control().update(NodeUpdate.state(List.of(host), NodeStateChange.POWER_DOWN_FORCE, "idle reclaim"));
    SlurmNode n = read(host);
    // slurmctld 22.05 first shows the request (POWER_DOWN, without POWERED_DOWN), then
    // POWERING_DOWN until SuspendTimeout, then POWERED_DOWN; an implementation may skip ahead.
    assertThat(n.state().flags()).as("%s off or going off", n.state())
        .containsAnyOf(NodeFlag.POWER_DOWN, NodeFlag.POWERING_DOWN, NodeFlag.POWERED_DOWN);
    assertThat(n.state().isDown()).isFalse();
    assertThat(n.reason()).contains("idle reclaim");
  }

  @Test
  void setAddresses_givesEachHostItsOwnAddress_whateverTheOrder() {
    List<String> hosts = untouched(5);
    // Not in name order, so an implementation that sorted names but not addresses would mix them up.
    Map<String, String> addresses = new LinkedHashMap<>();
    for (int i = hosts.size() - 1; i >= 0; i--) {
      addresses.put(hosts.get(i), "10.77.0." + (10 + i));
    }
    control().setAddresses(addresses);
    Map<String, SlurmNode> found = control().nodes(hosts);
    addresses.forEach((host, address) -> {
      assertThat(found.get(host).address()).as("NodeAddr of %s", host).contains(address);
      assertThat(found.get(host).state()).as("state of %s", host).isEqualTo(AT_REST);
    });
  }

  @Test
  void updates_ofMoreHostsThanOneCallTakes_reachEveryHostWithAddressesStillPaired() {
    List<String> hosts = untouched(2 * SlurmControl.MAX_NAMES_PER_CALL + 100);
    control().update(NodeUpdate.state(hosts, NodeStateChange.DOWN, "chunked"));
    Map<String, SlurmNode> down = control().nodes(hosts);
    assertThat(down).hasSize(hosts.size());
    assertThat(down.values()).allSatisfy(n -> {
      assertThat(n.state().isDown()).as("%s down", n.name()).isTrue();
      assertThat(n.reason()).as("reason of %s", n.name()).contains("chunked");
    });

    Map<String, String> addresses = new LinkedHashMap<>();
    for (int i = 0; i < hosts.size(); i++) {
      addresses.put(hosts.get(hosts.size() - 1 - i), "10.78." + (i / 250) + "." + (i % 250 + 1));
    }
    control().setAddresses(addresses);

    control().update(NodeUpdate.state(hosts, NodeStateChange.RESUME));
    Map<String, SlurmNode> resumed = control().nodes(hosts);
    assertThat(resumed.values()).allSatisfy(n -> {
      assertThat(n.state().isDown()).as("%s down", n.name()).isFalse();
      assertThat(n.address()).as("NodeAddr of %s", n.name()).contains(addresses.get(n.name()));
    });
  }

  @Test
  void update_namingAnUnknownHost_failsNamingIt() {
    assertThatThrownBy(() -> control().update(NodeUpdate.state(List.of("nosuchhost-7"), NodeStateChange.DOWN, "x")))
        .isInstanceOf(SlurmControlException.class).hasMessageContaining("nosuchhost-7");
    assertThatThrownBy(() -> control().setAddresses(Map.of("nosuchhost-8", "10.79.0.1")))
        .isInstanceOf(SlurmControlException.class).hasMessageContaining("nosuchhost-8");
    assertThat(control().nodes()).extracting(SlurmNode::name).doesNotContain("nosuchhost-7", "nosuchhost-8");
  }

  @Test
  void update_mixingKnownAndUnknownHosts_failsNamingTheUnknownButStillChangesTheKnown() {
    List<String> hosts = untouched(2);
    List<String> names = List.of(hosts.get(0), "nosuchhost-9", hosts.get(1));
    assertThatThrownBy(() -> control().update(NodeUpdate.state(names, NodeStateChange.DRAIN, "mixed")))
        .isInstanceOf(SlurmControlException.class).hasMessageContaining("nosuchhost-9");
    // slurmctld 22.05 does not check the names first: it updates every known node and then
    // reports the unknown one, so a caller must not assume an all-or-nothing failure.
    for (String host : hosts) {
      assertThat(read(host).state().isDrain()).as("%s drained", host).isTrue();
      assertThat(read(host).reason()).contains("mixed");
    }

    List<String> addressed = untouched(2);
    Map<String, String> addresses = new LinkedHashMap<>();
    addresses.put(addressed.get(0), "10.79.0.11");
    addresses.put("nosuchhost-10", "10.79.0.10");
    addresses.put(addressed.get(1), "10.79.0.12");
    assertThatThrownBy(() -> control().setAddresses(addresses))
        .isInstanceOf(SlurmControlException.class).hasMessageContaining("nosuchhost-10");
    // For NodeAddr slurmctld 22.05 pairs names and addresses in order and stops at the unknown name.
    assertThat(read(addressed.get(0)).address()).contains("10.79.0.11");
    assertThat(read(addressed.get(1)).address().filter(a -> !a.equals(addressed.get(1)))).isEmpty();
  }

  @Test
  void resume_ofADrainedPoweredDownHost_undrainsIt() {
    String host = untouched(1).get(0);
    control().update(NodeUpdate.state(List.of(host), NodeStateChange.DRAIN, "maintenance"));
    control().update(NodeUpdate.state(List.of(host), NodeStateChange.RESUME));
    SlurmNode n = read(host);
    assertThat(n.state().base()).isEqualTo(NodeBaseState.IDLE);
    assertThat(n.state().flags()).contains(NodeFlag.CLOUD, NodeFlag.POWERED_DOWN)
        .isSubsetOf(EnumSet.of(NodeFlag.CLOUD, NodeFlag.POWERED_DOWN, NodeFlag.NOT_RESPONDING));
    assertThat(n.reason()).isEmpty();
  }
}
