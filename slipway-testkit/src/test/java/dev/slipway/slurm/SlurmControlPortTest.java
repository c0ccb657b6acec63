package dev.slipway.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.engine.SlurmHostState;
import dev.slipway.engine.SlurmHostState.Power;
import dev.slipway.engine.SlurmUpdate;
import dev.slipway.testkit.FakeSlurm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SlurmControlPortTest {
  private final FakeSlurm slurm = new FakeSlurm().addCloudNodes("p", List.of("gpu-0", "gpu-1", "gpu-2", "gpu-3"));
  private final SlurmControlPort port = new SlurmControlPort(slurm);

  private static final class RecordingRunner implements CommandRunner {
    final List<List<String>> commands = new ArrayList<>();

    @Override
    public Result run(List<String> command, Duration timeout) {
      commands.add(List.copyOf(command));
      return new Result(0, "", "");
    }
  }

  private void state(String host, NodeBaseState base, NodeFlag... flags) {
    slurm.setState(host, SlurmNodeState.of(base, flags));
  }

  @Test
  void hostStates_mapsPowerFlagsOntoTheEnginesPowerStates() {
    state("gpu-1", NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERING_UP);
    state("gpu-2", NodeBaseState.ALLOCATED, NodeFlag.CLOUD);
    state("gpu-3", NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERING_DOWN);

    Map<String, SlurmHostState> states = port.hostStates(List.of("gpu-0", "gpu-1", "gpu-2", "gpu-3", "other-9"));

    assertThat(states).containsOnlyKeys("gpu-0", "gpu-1", "gpu-2", "gpu-3");
    assertThat(states.get("gpu-0").power()).isEqualTo(Power.POWERED_DOWN);
    assertThat(states.get("gpu-1").power()).isEqualTo(Power.POWERING_UP);
    assertThat(states.get("gpu-2").power()).isEqualTo(Power.POWERED_UP);
    assertThat(states.get("gpu-2").isRegistered()).isTrue();
    assertThat(states.get("gpu-3").power()).isEqualTo(Power.POWERING_DOWN);
  }

  @Test
  void hostStates_rightAfterPowerDownForce_countsAsPoweringDownNotUp() {
    // Real 22.05 shows IDLE+CLOUD+POWER_DOWN (POWERED_DOWN cleared) right after POWER_DOWN_FORCE.
    state("gpu-0", NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWER_DOWN);

    SlurmHostState s = port.hostStates(List.of("gpu-0")).get("gpu-0");
    assertThat(s.power()).isEqualTo(Power.POWERING_DOWN);
    assertThat(SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWER_DOWN).isUp()).isFalse();
  }

  @Test
  void hostStates_whenPowerUpIsRequestedButStillPoweredDown_countsAsPoweringUp() {
    state("gpu-0", NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN, NodeFlag.POWER_UP);

    assertThat(port.hostStates(List.of("gpu-0")).get("gpu-0").power()).isEqualTo(Power.POWERING_UP);
  }

  @Test
  void hostStates_reportsDownDrainNotRespondingReasonAndADifferentNodeAddr() {
    slurm.put(new SlurmNode("gpu-0", SlurmNodeState.of(NodeBaseState.DOWN, NodeFlag.CLOUD, NodeFlag.DRAIN, NodeFlag.NOT_RESPONDING),
        Optional.of("preempted"), Optional.of("10.0.0.4"), Optional.of("gpu-0"), List.of("p"), Set.of()));

    SlurmHostState s = port.hostStates(List.of("gpu-0", "gpu-1")).get("gpu-0");
    SlurmHostState sameAddress = port.hostStates(List.of("gpu-1")).get("gpu-1");

    assertThat(s.down()).isTrue();
    assertThat(s.drained()).isTrue();
    assertThat(s.responding()).isFalse();
    assertThat(s.reason()).contains("preempted");
    assertThat(s.address()).contains("10.0.0.4");
    assertThat(sameAddress.address()).as("NodeAddr equal to the name is no address").isEmpty();
  }

  @Test
  void update_markDownSetsStateDownWithTheReason() {
    port.update(new SlurmUpdate.MarkDown(List.of("gpu-0", "gpu-1"), "slipway: CAPACITY AllocationFailed in pool gpu"));

    assertThat(slurm.updates()).containsExactly(
        NodeUpdate.state(List.of("gpu-0", "gpu-1"), NodeStateChange.DOWN, "slipway: CAPACITY AllocationFailed in pool gpu"));
    assertThat(slurm.node("gpu-0").state().isDown()).isTrue();
  }

  @Test
  void update_returnToServiceResumesADownPoweredDownHostWhichStaysNotRespondingUntilItRegisters() {
    port.update(new SlurmUpdate.MarkDown(List.of("gpu-0"), "slipway: x"));

    port.update(new SlurmUpdate.ReturnToService(List.of("gpu-0")));

    assertThat(slurm.updates()).last().isEqualTo(NodeUpdate.state(List.of("gpu-0"), NodeStateChange.RESUME));
    SlurmHostState s = port.hostStates(List.of("gpu-0")).get("gpu-0");
    assertThat(s.down()).isFalse();
    assertThat(s.responding()).as("Slurm's normal state for a resumed cloud node").isFalse();
    assertThat(s.power()).isEqualTo(Power.POWERED_DOWN);
  }

  @Test
  void update_powerDownIsPowerDownForceWithItsReason() {
    state("gpu-2", NodeBaseState.ALLOCATED, NodeFlag.CLOUD);

    port.update(new SlurmUpdate.PowerDown(List.of("gpu-2"), "slipway: node vanished"));

    assertThat(slurm.updates()).containsExactly(NodeUpdate.state(List.of("gpu-2"), NodeStateChange.POWER_DOWN_FORCE, "slipway: node vanished"));
    assertThat(port.hostStates(List.of("gpu-2")).get("gpu-2").power()).isEqualTo(Power.POWERED_DOWN);
  }

  @Test
  void update_setAddressKeepsEachHostPairedWithItsAddress() {
    port.update(new SlurmUpdate.SetAddress(Map.of("gpu-3", "10.0.0.9", "gpu-0", "10.0.0.7")));

    assertThat(slurm.addressUpdates()).containsExactly(Map.of("gpu-0", "10.0.0.7", "gpu-3", "10.0.0.9"));
    assertThat(slurm.node("gpu-3").address()).contains("10.0.0.9");
  }

  @Test
  void update_withNoHostsCallsNothing() {
    port.update(new SlurmUpdate.MarkDown(List.of(), "x"));
    port.update(new SlurmUpdate.SetAddress(Map.of()));

    assertThat(slurm.updates()).isEmpty();
    assertThat(slurm.addressUpdates()).isEmpty();
  }

  @Test
  void scontrol_stateUpdatesNameCompressedHostlistsButNodeAddrPairsStayPositional() {
    RecordingRunner runner = new RecordingRunner();
    SlurmControlPort scontrol = new SlurmControlPort(new ScontrolSlurmControl(runner));

    scontrol.update(new SlurmUpdate.MarkDown(IntStream.range(0, 8).mapToObj(i -> "gpu-" + i).toList(), "slipway: x"));
    scontrol.update(new SlurmUpdate.ReturnToService(List.of("gpu-0", "gpu-1", "gpu-5")));
    scontrol.update(new SlurmUpdate.PowerDown(List.of("gpu-2"), "slipway: gone"));
    Map<String, String> addresses = new LinkedHashMap<>();
    addresses.put("gpu-1", "10.0.0.5");
    addresses.put("gpu-0", "10.0.0.6");
    addresses.put("gpu-2", "10.0.0.7");
    scontrol.update(new SlurmUpdate.SetAddress(addresses));

    assertThat(runner.commands).containsExactly(
        List.of("scontrol", "update", "NodeName=gpu-[0-7]", "State=DOWN", "Reason=slipway: x"),
        List.of("scontrol", "update", "NodeName=gpu-[0-1,5]", "State=RESUME"),
        List.of("scontrol", "update", "NodeName=gpu-2", "State=POWER_DOWN_FORCE", "Reason=slipway: gone"),
        List.of("scontrol", "update", "NodeName=gpu-0,gpu-1,gpu-2", "NodeAddr=10.0.0.6,10.0.0.5,10.0.0.7"));
  }

  @Test
  void hostStates_propagatesSlurmFailuresForTheReconcilerToHandle() {
    slurm.setUnavailable(true);

    assertThatThrownBy(() -> port.hostStates(List.of("gpu-0"))).isInstanceOf(SlurmControlException.class)
        .hasMessageContaining("Unable to contact slurm controller");
  }
}
