package dev.slipway.local.services;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** Records every command and signal; scripted results; processes that exit after a number of polls. */
final class FakeProcesses implements HostProcesses {
  final List<List<String>> commands = new ArrayList<>();
  final List<String> signals = new ArrayList<>();
  /** Live processes: pid -> executable. */
  final Map<Long, String> alive = new HashMap<>();
  /** Polls of executable() a process survives after SIGTERM (then it exits); absent: exits at once. */
  final Map<Long, Integer> termPolls = new HashMap<>();
  Function<List<String>, Result> results = c -> new Result(0, "", "");
  long nextPid = 1000;

  @Override
  public Result run(List<String> command, Duration timeout) {
    commands.add(List.copyOf(command));
    return results.apply(command);
  }

  @Override
  public long spawn(List<String> command, Path output) {
    commands.add(List.copyOf(command));
    long pid = nextPid++;
    alive.put(pid, command.get(0));
    return pid;
  }

  @Override
  public Optional<String> executable(long pid) {
    Integer left = termPolls.get(pid);
    if (left != null && left >= 0) {
      if (left == 0) {
        alive.remove(pid);
        termPolls.remove(pid);
      } else {
        termPolls.put(pid, left - 1);
      }
    }
    return Optional.ofNullable(alive.get(pid));
  }

  @Override
  public void terminate(long pid) {
    signals.add("TERM " + pid);
    termPolls.putIfAbsent(pid, 0);
  }

  @Override
  public void kill(long pid) {
    signals.add("KILL " + pid);
    alive.remove(pid);
  }
}
