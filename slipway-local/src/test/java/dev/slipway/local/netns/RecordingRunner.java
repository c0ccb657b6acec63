package dev.slipway.local.netns;

import dev.slipway.slurm.CommandRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Records every command and answers from a function of the command line (success by default). */
final class RecordingRunner implements CommandRunner {
  final List<String> commands = new ArrayList<>();
  private final Function<String, Result> answers;

  RecordingRunner(Function<String, Result> answers) {
    this.answers = answers;
  }

  static Result ok(String stdout) {
    return new Result(0, stdout, "");
  }

  static Result fail(String stderr) {
    return new Result(1, "", stderr);
  }

  @Override
  public synchronized Result run(List<String> command, Duration timeout) {
    String line = String.join(" ", command);
    commands.add(line);
    return answers.apply(line);
  }
}
