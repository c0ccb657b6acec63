package dev.slipway.hooks;

import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The three power-save programs slurmctld runs, and what each records: ResumeProgram wants hosts
 * UP, SuspendProgram wants them DOWN, ResumeFailProgram reports hosts that did not come up in
 * ResumeTimeout (Slurm has already marked them DOWN and requeued their jobs), so their intent is
 * DOWN with the source RESUME_FAIL, which tells the engine to release the node and record why
 * rather than to treat it as an ordinary idle suspend.
 */
public enum HookKind {
  RESUME("resume", "ResumeProgram", Intent.UP, IntentSource.RESUME),
  SUSPEND("suspend", "SuspendProgram", Intent.DOWN, IntentSource.SUSPEND),
  RESUME_FAIL("resume-fail", "ResumeFailProgram", Intent.DOWN, IntentSource.RESUME_FAIL);

  private final String commandName;
  private final String slurmParameter;
  private final Intent intent;
  private final IntentSource source;

  HookKind(String commandName, String slurmParameter, Intent intent, IntentSource source) {
    this.commandName = commandName;
    this.slurmParameter = slurmParameter;
    this.intent = intent;
    this.source = source;
  }

  /** The word on the command line: {@code slipway hook resume|suspend|resume-fail}. */
  public String commandName() {
    return commandName;
  }

  /** The slurm.conf parameter that names the program: ResumeProgram, SuspendProgram, ResumeFailProgram. */
  public String slurmParameter() {
    return slurmParameter;
  }

  public Intent intent() {
    return intent;
  }

  public IntentSource source() {
    return source;
  }

  /** The history event kind: {@code slurm-resume}, {@code slurm-suspend}, {@code slurm-resume-fail}. */
  public String eventKind() {
    return "slurm-" + commandName;
  }

  /**
   * The start of a power-save log line about what a call recorded: "recorded nothing", or
   * "recorded 3 intents UP (seq 7-9) for job 12". The direct hook and the spool importer write the
   * same words, so the power-save log reads alike whichever path recorded an intent.
   */
  public String describeRecorded(List<HostIntent> recorded) {
    if (recorded.isEmpty()) {
      return "recorded nothing";
    }
    StringBuilder line = new StringBuilder("recorded ").append(recorded.size()).append(recorded.size() == 1 ? " intent " : " intents ")
        .append(intent).append(" (seq ").append(recorded.get(0).seq());
    if (recorded.size() > 1) {
      line.append('-').append(recorded.get(recorded.size() - 1).seq());
    }
    line.append(')');
    List<String> jobIds = recorded.stream().flatMap(i -> i.jobIds().stream()).distinct().toList();
    if (!jobIds.isEmpty()) {
      line.append(" for job").append(jobIds.size() == 1 ? " " : "s ").append(String.join(",", jobIds));
    }
    return line.toString();
  }

  public static Optional<HookKind> fromCommandName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(k -> k.commandName.equals(n)).findFirst();
  }
}
