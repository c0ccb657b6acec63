package dev.slipway.slurm;

import static dev.slipway.slurm.NodeBaseState.*;
import static dev.slipway.slurm.NodeFlag.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The state parsers on hand-written values, for the states the captured output in
 * src/test/resources/slurm-output could not produce (COMPLETING, PLANNED, MAINTENANCE,
 * REBOOT_REQUESTED, INVALID_REG, ERROR, UNKNOWN, DYNAMIC_*, mixed with planned...). The captured
 * states are tested in {@link ScontrolSlurmControlTest}.
 */
class SlurmNodeStateTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      // complete form, hand-written after Slurm 22.05's node_state_string_complete
      "IDLE+COMPLETING|IDLE|COMPLETING",
      "ALLOCATED+COMPLETING+DRAIN|ALLOCATED|COMPLETING DRAIN",
      "MIXED+PLANNED|MIXED|PLANNED",
      "IDLE+PLANNED|IDLE|PLANNED",
      "IDLE+MAINTENANCE+RESERVED|IDLE|MAINTENANCE RESERVED",
      "ALLOCATED+REBOOT_REQUESTED|ALLOCATED|REBOOT_REQUESTED",
      "DOWN+DRAIN+INVALID_REG|DOWN|DRAIN INVALID_REG",
      "ERROR|ERROR|",
      "UNKNOWN+NOT_RESPONDING|UNKNOWN|NOT_RESPONDING",
      "FUTURE+DYNAMIC_FUTURE|FUTURE|DYNAMIC_FUTURE",
      "IDLE+DYNAMIC_NORM|IDLE|DYNAMIC_NORM",
      "ALLOCATED+FAIL|ALLOCATED|FAIL",
      "IDLE+CLOUD+POWER_UP|IDLE|CLOUD POWER_UP",
      "MIXED+CLOUD+POWERING_DOWN|MIXED|CLOUD POWERING_DOWN",
      // older or alternative spellings
      "DRAINED|IDLE|DRAIN",
      "DRAINING|ALLOCATED|DRAIN",
      "MIX|MIXED|",
      "ALLOC+CLOUD|ALLOCATED|CLOUD",
      "idle+cloud+powered_down|IDLE|CLOUD POWERED_DOWN",
  })
  void parse_readsBaseAndEveryFlag(String text, NodeBaseState base, String flags) {
    SlurmNodeState state = SlurmNodeState.parse(text);
    assertThat(state.base()).isEqualTo(base);
    assertThat(state.flags()).isEqualTo(flagSet(flags));
    assertThat(state.otherFlags()).isEmpty();
  }

  @Test
  void parse_keepsFlagsItDoesNotKnow() {
    SlurmNodeState state = SlurmNodeState.parse("IDLE+CLOUD+BLOCKED+EXTERNAL");
    assertThat(state.flags()).containsExactly(CLOUD);
    assertThat(state.otherFlags()).containsExactlyInAnyOrder("BLOCKED", "EXTERNAL");
    assertThat(state.toString()).isEqualTo("IDLE+CLOUD+BLOCKED+EXTERNAL");
  }

  @Test
  void parse_refusesAnUnknownBaseState() {
    assertThatThrownBy(() -> SlurmNodeState.parse("SLEEPING+CLOUD"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SLEEPING");
    assertThatThrownBy(() -> SlurmNodeState.parse(" ")).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      // hand-written compact forms (the captured ones are checked against scontrol in ScontrolSlurmControlTest)
      "idle|IDLE|",
      "idle~|IDLE|POWERED_DOWN",
      "idle%|IDLE|POWERING_DOWN",
      "idle!|IDLE|POWER_DOWN",
      "idle#|IDLE|POWERING_UP",
      "idle*|IDLE|NOT_RESPONDING",
      "idle@|IDLE|REBOOT_REQUESTED",
      "idle$|IDLE|MAINTENANCE",
      "alloc#|ALLOCATED|POWERING_UP",
      "alloc@|ALLOCATED|REBOOT_REQUESTED",
      "allocated+|ALLOCATED|COMPLETING",
      "mix|MIXED|",
      "mix-|MIXED|PLANNED",
      "mixed#|MIXED|POWERING_UP",
      "down~|DOWN|POWERED_DOWN",
      "down*|DOWN|NOT_RESPONDING",
      "drain|IDLE|DRAIN",
      "drained|IDLE|DRAIN",
      "drain*|IDLE|DRAIN NOT_RESPONDING",
      "drain~|IDLE|DRAIN POWERED_DOWN",
      "drng|ALLOCATED|DRAIN",
      "draining@|ALLOCATED|DRAIN REBOOT_REQUESTED",
      "comp|IDLE|COMPLETING",
      "comp*|IDLE|COMPLETING NOT_RESPONDING",
      "completing|IDLE|COMPLETING",
      "fail|IDLE|FAIL",
      "failg|ALLOCATED|FAIL",
      "failing*|ALLOCATED|FAIL NOT_RESPONDING",
      "futr|FUTURE|",
      "future|FUTURE|",
      "maint|IDLE|MAINTENANCE",
      "plnd|IDLE|PLANNED",
      "planned|IDLE|PLANNED",
      "boot^|DOWN|REBOOT_ISSUED",
      "resv|IDLE|RESERVED",
      "reserved|IDLE|RESERVED",
      "unk|UNKNOWN|",
      "unk*|UNKNOWN|NOT_RESPONDING",
      "unknown|UNKNOWN|",
      "err|ERROR|",
      "inval|IDLE|INVALID_REG",
      "powered_down|IDLE|POWERED_DOWN",
      "powering_up|IDLE|POWERING_UP",
      "powering_down|IDLE|POWERING_DOWN",
      "IDLE~|IDLE|POWERED_DOWN",
  })
  void parseCompact_readsSinfoStates(String text, NodeBaseState base, String flags) {
    SlurmNodeState state = SlurmNodeState.parseCompact(text);
    assertThat(state.base()).isEqualTo(base);
    assertThat(state.flags()).isEqualTo(flagSet(flags));
  }

  @Test
  void parseCompact_refusesAWordItDoesNotKnow() {
    assertThatThrownBy(() -> SlurmNodeState.parseCompact("sleepy~"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sleepy~");
  }

  @Test
  void predicates_describeThePowerSaveCycle() {
    assertThat(SlurmNodeState.parse("IDLE+CLOUD+POWERED_DOWN").isPoweredDownOrPoweringDown()).isTrue();
    assertThat(SlurmNodeState.parse("IDLE+CLOUD+POWERING_DOWN").isPoweredDownOrPoweringDown()).isTrue();
    assertThat(SlurmNodeState.parse("ALLOCATED+CLOUD+POWERING_UP").isPoweringUp()).isTrue();
    assertThat(SlurmNodeState.parse("ALLOCATED+CLOUD+POWERING_UP").isUp()).isFalse();
    assertThat(SlurmNodeState.parse("MIXED+CLOUD").isUp()).isTrue();
    assertThat(SlurmNodeState.parse("IDLE+NOT_RESPONDING").isUp()).isFalse();
    assertThat(SlurmNodeState.parse("DOWN+CLOUD+POWERED_DOWN").isDown()).isTrue();
    assertThat(SlurmNodeState.parse("IDLE+DRAIN").isDrain()).isTrue();
  }

  @Test
  void of_printsTheCompleteForm() {
    assertThat(SlurmNodeState.of(IDLE, POWERED_DOWN, CLOUD).toString()).isEqualTo("IDLE+CLOUD+POWERED_DOWN");
    assertThat(SlurmNodeState.parse(SlurmNodeState.of(DOWN, CLOUD, NOT_RESPONDING).toString()))
        .isEqualTo(SlurmNodeState.of(DOWN, CLOUD, NOT_RESPONDING));
  }

  private static Set<NodeFlag> flagSet(String names) {
    Set<NodeFlag> set = EnumSet.noneOf(NodeFlag.class);
    if (names != null) {
      for (String n : names.trim().split("\\s+")) {
        if (!n.isEmpty()) {
          set.add(NodeFlag.valueOf(n));
        }
      }
    }
    return set;
  }
}
