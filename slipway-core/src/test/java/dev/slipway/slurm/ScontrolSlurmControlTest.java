package dev.slipway.slurm;

import static dev.slipway.slurm.NodeBaseState.*;
import static dev.slipway.slurm.NodeFlag.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** ScontrolSlurmControl on output captured from a real Slurm 22.05.8 (see slurm-output/README.md). */
class ScontrolSlurmControlTest {
  private static final List<String> CAPTURES = List.of(
      "01-powering-up", "02-jobs-drain-down", "03-completing", "04-powering-down-resv", "05-maint", "06-resv",
      "07-reboot-requested", "08-fail", "08-reboot-issued", "09-power-down-requested", "10-not-responding",
      "11-drain-notresponding");

  /** Answers every command with one canned output and records the commands. */
  private static final class RecordingRunner implements CommandRunner {
    final List<List<String>> commands = new ArrayList<>();
    CommandRunner.Result answer;

    RecordingRunner(CommandRunner.Result answer) {
      this.answer = answer;
    }

    @Override
    public Result run(List<String> command, Duration timeout) {
      commands.add(List.copyOf(command));
      return answer;
    }
  }

  private static String resource(String name) {
    try (InputStream in = ScontrolSlurmControlTest.class.getResourceAsStream("/slurm-output/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, SlurmNode> read(String capture) {
    RecordingRunner runner = new RecordingRunner(new CommandRunner.Result(0, resource(capture + ".scontrol-future.txt"), ""));
    Map<String, SlurmNode> byName = new LinkedHashMap<>();
    new ScontrolSlurmControl(runner).nodes().forEach(n -> byName.put(n.name(), n));
    assertThat(runner.commands).containsExactly(List.of("scontrol", "--future", "show", "node", "--oneliner"));
    return byName;
  }

  @Test
  void nodes_readsEveryFieldOfAPoweredDownCloudNode() {
    SlurmNode gpu1 = read("01-powering-up").get("gpu-1");
    assertThat(gpu1.state()).isEqualTo(SlurmNodeState.of(IDLE, CLOUD, POWERED_DOWN));
    assertThat(gpu1.address()).contains("gpu-1");
    assertThat(gpu1.hostname()).contains("gpu-1");
    assertThat(gpu1.partitions()).containsExactly("gpu", "all");
    assertThat(gpu1.features()).containsExactly("gpu");
    assertThat(gpu1.reason()).isEmpty();
  }

  @Test
  void nodes_includesFutureNodesAndNodesWithoutFeatures() {
    Map<String, SlurmNode> nodes = read("01-powering-up");
    assertThat(nodes.keySet()).containsExactly("cpu-0", "cpu-1", "cpu-2", "cpu-3", "fixed-0", "fut-0", "gpu-0", "gpu-1");
    assertThat(nodes.get("fut-0").state()).isEqualTo(SlurmNodeState.of(FUTURE));
    assertThat(nodes.get("fixed-0").features()).isEmpty();
    assertThat(nodes.get("cpu-0").features()).containsExactlyInAnyOrder("cpu", "small");
    assertThat(nodes.get("cpu-0").state()).isEqualTo(SlurmNodeState.of(IDLE, CLOUD, NOT_RESPONDING, POWERING_UP));
  }

  @Test
  void nodes_readsJobStatesDrainAndDownWithTheirReasons() {
    Map<String, SlurmNode> nodes = read("02-jobs-drain-down");
    assertThat(nodes.get("cpu-1").state()).isEqualTo(SlurmNodeState.of(MIXED, CLOUD, NOT_RESPONDING, POWERING_UP));
    assertThat(nodes.get("gpu-0").state()).isEqualTo(SlurmNodeState.of(ALLOCATED, CLOUD, NOT_RESPONDING, POWERING_UP));
    assertThat(nodes.get("cpu-2").state()).isEqualTo(SlurmNodeState.of(IDLE, CLOUD, DRAIN, POWERED_DOWN));
    assertThat(nodes.get("cpu-2").reason()).contains("maintenance window");
    assertThat(nodes.get("cpu-3").state()).isEqualTo(SlurmNodeState.of(DOWN, CLOUD, POWERED_DOWN));
    assertThat(nodes.get("cpu-3").reason()).contains("bad disk");
    // fixed-0's line has OS=Linux ... #1 SMP PREEMPT_DYNAMIC @0, a value with spaces
    assertThat(nodes.get("fixed-0").state()).isEqualTo(SlurmNodeState.of(ALLOCATED, DRAIN));
    assertThat(nodes.get("fixed-0").reason()).contains("draining for test");
    assertThat(nodes.get("fixed-0").address()).contains("localhost");
  }

  @Test
  void nodes_readsPowerTransitionsTimeoutsAndAddressesSetByUpdate() {
    Map<String, SlurmNode> nodes = read("04-powering-down-resv");
    assertThat(nodes.get("cpu-1").state()).isEqualTo(SlurmNodeState.of(IDLE, CLOUD, POWERING_DOWN));
    assertThat(nodes.get("cpu-0").state()).isEqualTo(SlurmNodeState.of(DOWN, CLOUD, POWERED_DOWN, NOT_RESPONDING));
    assertThat(nodes.get("cpu-0").reason()).contains("ResumeTimeout reached");
    assertThat(nodes.get("cpu-0").address()).contains("127.0.0.1");
  }

  @Test
  void nodes_readsReservedFailRebootAndPendingPowerDown() {
    assertThat(read("06-resv").get("fixed-0").state()).isEqualTo(SlurmNodeState.of(IDLE, RESERVED));
    assertThat(read("08-fail").get("fixed-0").state()).isEqualTo(SlurmNodeState.of(IDLE, FAIL));
    SlurmNode rebooting = read("08-reboot-issued").get("fixed-0");
    // NextState=RESUME on the same line must not be taken for State=
    assertThat(rebooting.state()).isEqualTo(SlurmNodeState.of(DOWN, REBOOT_ISSUED));
    assertThat(rebooting.reason()).contains("kernel update : reboot issued");
    assertThat(read("09-power-down-requested").get("cpu-2").state())
        .isEqualTo(SlurmNodeState.of(IDLE, CLOUD, POWER_DOWN, NOT_RESPONDING, POWERING_UP));
  }

  @Test
  void nodes_readsNotRespondingAndDrainOnTopOfIt() {
    assertThat(read("10-not-responding").get("fixed-0").state()).isEqualTo(SlurmNodeState.of(DOWN, NOT_RESPONDING));
    Map<String, SlurmNode> nodes = read("11-drain-notresponding");
    assertThat(nodes.get("fixed-0").state()).isEqualTo(SlurmNodeState.of(DOWN, DRAIN, NOT_RESPONDING));
    assertThat(nodes.get("gpu-1").state()).isEqualTo(SlurmNodeState.of(IDLE, CLOUD, DRAIN, NOT_RESPONDING, POWERING_UP));
    assertThat(nodes.get("cpu-1").state()).isEqualTo(SlurmNodeState.of(FUTURE));
  }

  @Test
  void nodes_keepsAReasonWithBracketsColonsAndEqualsSigns() {
    assertThat(read("11-drain-notresponding").get("cpu-3").reason()).contains("bad disk: [x] a=b");
  }

  static Stream<String> captures() {
    return CAPTURES.stream();
  }

  /**
   * sinfo's compact state is lossy, but what it says must agree with scontrol's complete state of
   * the same node at the same moment: same flags (a subset) and, but for {@code drain} which Slurm
   * prints for IDLE and DOWN alike, the same base state.
   */
  @ParameterizedTest
  @MethodSource("captures")
  void parseCompact_agreesWithScontrolOnEveryCapturedNode(String capture) {
    Map<String, SlurmNode> full = new LinkedHashMap<>();
    ScontrolNodeFormat.parseNodes(resource(capture + ".scontrol.txt")).forEach(n -> full.put(n.name(), n));
    List<String> lines = resource(capture + ".sinfo.txt").lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).isNotEmpty();
    for (String line : lines) {
      String[] f = line.split("\\|", -1);
      SlurmNodeState compact = SlurmNodeState.parseCompact(f[1]);
      SlurmNodeState longForm = SlurmNodeState.parseCompact(f[2]);
      SlurmNodeState complete = full.get(f[0]).state();
      assertThat(complete.flags()).as(line).containsAll(compact.flags()).containsAll(longForm.flags());
      if (!f[1].startsWith("drain")) {
        assertThat(compact.base()).as(line).isEqualTo(complete.base());
      }
    }
  }

  @Test
  void nodesOfHosts_returnsOnlyTheKnownOnesFromOneCall() {
    RecordingRunner runner = new RecordingRunner(new CommandRunner.Result(0, resource("02-jobs-drain-down.scontrol.txt"), ""));
    Map<String, SlurmNode> nodes = new ScontrolSlurmControl(runner).nodes(List.of("cpu-2", "gpu-0", "nope-7"));
    assertThat(nodes.keySet()).containsExactly("cpu-2", "gpu-0");
    assertThat(runner.commands).hasSize(1);
  }

  @Test
  void nodes_whenScontrolFails_saysWhatItPrinted() {
    RecordingRunner runner = new RecordingRunner(new CommandRunner.Result(1, "",
        "slurm_load_node error: Unable to contact slurm controller (connect failure)\n"));
    assertThatThrownBy(() -> new ScontrolSlurmControl(runner).nodes())
        .isInstanceOf(SlurmControlException.class)
        .hasMessageContaining("exited 1")
        .hasMessageContaining("Unable to contact slurm controller");
  }

  @Test
  void nodes_whenAStateIsUnreadable_namesTheNode() {
    RecordingRunner runner = new RecordingRunner(new CommandRunner.Result(0, "NodeName=x-1 NodeAddr=x-1 State=WEIRD+CLOUD Partitions=p\n", ""));
    assertThatThrownBy(() -> new ScontrolSlurmControl(runner).nodes())
        .isInstanceOf(SlurmControlException.class).hasMessageContaining("x-1").hasMessageContaining("WEIRD");
  }

  @Test
  void nodes_readsAReasonFollowedByCommentAndExtra() {
    SlurmNode node = ScontrolNodeFormat.parseNode(
        "NodeName=a-1 NodeAddr=10.1.0.4 State=DOWN+CLOUD Partitions=p  Reason=preempted by the cloud [root@2026-11-26T14:15:56] Comment=x y Extra=z");
    assertThat(node.reason()).contains("preempted by the cloud");
    assertThat(node.address()).contains("10.1.0.4");
  }

  @Test
  void update_sendsStateAndReasonInChunksOfAtMost500Names() {
    RecordingRunner runner = new RecordingRunner(new CommandRunner.Result(0, "", ""));
    List<String> hosts = IntStream.range(0, 1201).mapToObj(i -> "cpu-" + i).toList();
    new ScontrolSlurmControl(runner).update(NodeUpdate.state(hosts, NodeStateChange.DOWN, "capacity fallback: CAPACITY AllocationFailed"));
    assertThat(runner.commands).hasSize(3);
    assertThat(runner.commands.get(0)).containsExactly("scontrol", "update", "NodeName=cpu-[0-499]",
        "State=DOWN", "Reason=capacity fallback: CAPACITY AllocationFailed");
    assertThat(runner.commands.get(1).get(2)).isEqualTo("NodeName=cpu-[500-999]");
    assertThat(runner.commands.get(2).get(2)).isEqualTo("NodeName=cpu-[1000-1200]");
  }

  @Test
  void update_sendsPowerDownForceWithoutReason() {
    RecordingRunner runner = new RecordingRunner(new CommandRunner.Result(0, "", ""));
    new ScontrolSlurmControl(runner).update(NodeUpdate.state(List.of("a-1", "a-2"), NodeStateChange.POWER_DOWN_FORCE));
    assertThat(runner.commands).containsExactly(List.of("scontrol", "update", "NodeName=a-[1-2]", "State=POWER_DOWN_FORCE"));
  }

  @Test
  void update_ofNoHosts_runsNothing() {
    RecordingRunner runner = new RecordingRunner(new CommandRunner.Result(0, "", ""));
    new ScontrolSlurmControl(runner).update(NodeUpdate.state(List.of(), NodeStateChange.RESUME));
    assertThat(runner.commands).isEmpty();
  }

  @Test
  void update_whenScontrolRefuses_failsWithItsMessage() {
    RecordingRunner runner = new RecordingRunner(new CommandRunner.Result(1, "", "slurm_update error: Invalid node name specified\n"));
    assertThatThrownBy(() -> new ScontrolSlurmControl(runner).update(NodeUpdate.state(List.of("zz-1"), NodeStateChange.RESUME)))
        .isInstanceOf(SlurmControlException.class).hasMessageContaining("Invalid node name specified");
  }

  @Test
  void nodeUpdate_refusesDownWithoutReasonAndMultiLineReasons() {
    assertThatThrownBy(() -> NodeUpdate.state(List.of("a-1"), NodeStateChange.DOWN)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NodeUpdate.state(List.of("a-1"), NodeStateChange.DRAIN, "two\nlines"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new NodeUpdate(List.of("a-1"), Optional.empty(), Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void setAddresses_pairsNamesAndAddressesInTheSameOrder() {
    RecordingRunner runner = new RecordingRunner(new CommandRunner.Result(0, "", ""));
    Map<String, String> addresses = new LinkedHashMap<>();
    for (int i = 0; i < 502; i++) {
      addresses.put("gpu-" + i, "10.0." + (i / 256) + "." + (i % 256));
    }
    new ScontrolSlurmControl(runner).setAddresses(addresses);
    assertThat(runner.commands).hasSize(2);
    assertThat(runner.commands.get(1)).containsExactly("scontrol", "update", "NodeName=gpu-500,gpu-501", "NodeAddr=10.0.1.244,10.0.1.245");
    String[] names = runner.commands.get(0).get(2).substring("NodeName=".length()).split(",");
    String[] addrs = runner.commands.get(0).get(3).substring("NodeAddr=".length()).split(",");
    assertThat(names).hasSize(500);
    for (int i = 0; i < names.length; i++) {
      assertThat(addresses.get(names[i])).isEqualTo(addrs[i]);
    }
  }
}
