package dev.slipway.local.netns;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a command "as a node": inside the node's network namespace, in a new UTS namespace whose
 * host name is the node's name, and in a new time namespace whose CLOCK_BOOTTIME starts just after
 * the node was requested, so the node looks freshly booted.
 *
 * <p>The command line is
 * {@code nsenter --net=/run/netns/NS unshare --uts --time --fork --boottime -M -- sh -c WRAPPER}:
 * <ul>
 *   <li>{@code nsenter --net} switches only the network namespace. {@code ip netns exec} would
 *       also remount /sys in a new mount namespace, which hides /sys/fs/cgroup and breaks Slurm's
 *       proctrack/cgroup.
 *   <li>No mount namespace and no PID namespace: /proc/uptime already answers per time namespace,
 *       and the provider must see the node's processes by their real PIDs to stop them.
 *   <li>The wrapper sets the host name, runs the command and writes its exit code to a status
 *       file, so a restarted daemon still learns how a start task ended that it did not start.
 *   <li>stdin is /dev/null and stdout/stderr go to the node's log file: a daemonizing child (slurmd)
 *       must find fds 0-2 open, or its log file lands on fd 0 and is lost.
 *   <li>The environment is exactly PATH plus what the caller gives: a node must not inherit the
 *       daemon's environment.
 * </ul>
 *
 * <p><b>Boot time arithmetic.</b> slurmctld ignores a POWERING_UP node's registration while
 * {@code boot_time < boot_req_time}. {@code boot_req_time} (R) is the whole second at which it
 * processed the resume; {@code boot_time = now - up_time} where {@code now} is slurmctld's
 * {@code time()} (whole seconds, rounded down) at the registration and {@code up_time} is the
 * node's {@code sysinfo()} uptime, which the kernel rounds <em>up</em> to whole seconds (an
 * {@code up_time} of 0 is ignored altogether). Every namespace shares the host's boot clock, so
 * without a time namespace every node looks booted long before R.
 *
 * <p>Let b be the wall-clock instant at which the node's boot clock reads zero, and t > b the
 * registration. Then {@code boot_time = floor(t) - ceil(t - b) > (t - 1) - (t - b + 1) = b - 2},
 * and being an integer, {@code boot_time >= R} holds whenever {@code b >= R + 1}. The node is
 * requested after the resume (the provider grows a pool only after a resume intent), so for its
 * request instant C we know {@code R <= floor(C)}, and {@code b >= floor(C) + 1} suffices. A time
 * near zero "at creation" does not: with C in R's own second and t half a second later the formula
 * gives R - 1 and slurmctld keeps waiting.
 *
 * <p>{@code unshare --boottime} takes a whole number of seconds, so b can only be the host's boot
 * instant plus an integer M: {@code M = ceil(floor(C) + 1 + margin - hostBoot)}, which puts b in
 * {@code [floor(C) + 1 + margin, floor(C) + 2 + margin)}; the margin covers /proc/uptime's
 * truncation to hundredths. The offset is {@code -M}. The kernel refuses an offset that would make
 * the namespace's clock negative, so the launch waits until b has passed: at most about two seconds
 * after C, usually already over once the pool's boot delay has run.
 *
 * <p>A process started later for a host requested after C (slurmd started by a join that happened
 * long after the node booted) needs its own fresh time namespace; {@link #command} with a later
 * {@code requestedAt} gives it one, nested inside the node's.
 */
public final class NodeLauncher {
  /** Slack for /proc/uptime's truncation to hundredths and the time between the two readings. */
  static final Duration MARGIN = Duration.ofMillis(50);

  private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  private static final String WRAPPER = "h=$1; s=$2; shift 2; hostname \"$h\" || exit 125; \"$@\"; rc=$?; "
      + "echo \"$rc\" > \"$s.tmp\" && mv \"$s.tmp\" \"$s\"; exit $rc";

  private final HostClock clock;
  private final Pause pause;
  private final Spawner spawner;

  /** Starts a prepared command line; the real one is {@link #PROCESS_BUILDER}. */
  @FunctionalInterface
  public interface Spawner {
    StartedProcess spawn(List<String> command, Map<String, String> environment, Path log) throws IOException;
  }

  /** A process the launcher started: its PID and its exit code once it ends. */
  public record StartedProcess(long pid, CompletableFuture<Integer> exit) {}

  /** What to run as which node. */
  public record Launch(String namespace, String hostname, Path nodeDir, List<String> command, Map<String, String> environment) {
    public Launch {
      command = List.copyOf(command);
      environment = Map.copyOf(environment);
      if (command.isEmpty()) {
        throw new IllegalArgumentException("empty command for node " + hostname);
      }
    }

    public Path logFile() {
      return nodeDir.resolve("logs").resolve("start-task.log");
    }

    public Path statusFile() {
      return nodeDir.resolve("start-task.exit");
    }

    public Path pidFile() {
      return nodeDir.resolve("pids");
    }
  }

  /** The command line together with the boot instant it gives the node. */
  public record Plan(List<String> command, long bootOffsetSeconds, Instant bootInstant) {}

  public static final Spawner PROCESS_BUILDER = (command, environment, log) -> {
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().putAll(environment);
    Process p = pb.start();
    return new StartedProcess(p.pid(), p.onExit().thenApply(Process::exitValue));
  };

  public NodeLauncher(HostClock clock, Pause pause, Spawner spawner) {
    this.clock = clock;
    this.pause = pause;
    this.spawner = spawner;
  }

  /**
   * The command line that runs {@code launch} with a boot clock starting after
   * {@code requestedAt}, computed from one host clock reading.
   */
  public Plan command(Launch launch, Instant requestedAt, HostClock.Reading reading) {
    long hostBootNanos = toNanos(reading.hostBoot());
    long wantedNanos = (requestedAt.getEpochSecond() + 1) * 1_000_000_000L + MARGIN.toNanos();
    long m = Math.max(0, ceilDiv(wantedNanos - hostBootNanos, 1_000_000_000L));
    return plan(launch, m, reading.hostBoot().plusSeconds(m));
  }

  private static Plan plan(Launch launch, long m, Instant boot) {
    List<String> command = new ArrayList<>(List.of(
        "nsenter", "--net=/run/netns/" + launch.namespace(),
        "unshare", "--uts", "--time", "--fork", "--boottime", Long.toString(-m), "--",
        "sh", "-c", WRAPPER, "slipway-node", launch.hostname(), launch.statusFile().toString()));
    command.addAll(launch.command());
    return new Plan(command, -m, boot);
  }

  /**
   * The command line that runs {@code launch} with a boot clock that started in the last second
   * before {@code reading}: the node looks freshly booted and nothing has to wait, but slurmctld
   * would not accept a slurmd started directly in it for a resume in that second.
   */
  public Plan commandBootedJustNow(Launch launch, HostClock.Reading reading) {
    long m = Math.floorDiv(reading.uptime().toNanos(), 1_000_000_000L);
    return plan(launch, m, reading.hostBoot().plusSeconds(m));
  }

  /**
   * Starts {@code launch} as a node requested at {@code requestedAt}; waits first until the node's
   * boot instant has passed (see the class comment). Creates the node's log directory, appends the
   * started PID to its pid file, and returns the process.
   */
  public StartedProcess launch(Launch launch, Instant requestedAt) throws IOException, InterruptedException {
    Plan plan = command(launch, requestedAt, clock.read());
    Duration wait = Duration.between(clock.read().now(), plan.bootInstant()).plus(MARGIN);
    if (!wait.isNegative()) {
      pause.pause(wait);
    }
    return start(launch, plan);
  }

  /**
   * Starts {@code launch} at once, with a boot clock that started within the last second
   * ({@link #commandBootedJustNow}). For start tasks that give slurmd its own time namespace
   * anchored at the join (slipway-node-slurmd): their boot clock is cosmetic, and waiting for a
   * boot instant after the request would only delay the join by one to two seconds.
   */
  public StartedProcess launchNow(Launch launch) throws IOException {
    return start(launch, commandBootedJustNow(launch, clock.read()));
  }

  private StartedProcess start(Launch launch, Plan plan) throws IOException {
    Files.createDirectories(launch.logFile().getParent());
    Files.deleteIfExists(launch.statusFile());
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", PATH);
    env.put("HOME", "/root");
    env.putAll(launch.environment());
    StartedProcess started = spawner.spawn(plan.command(), env, launch.logFile());
    try {
      Files.writeString(launch.pidFile(), started.pid() + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("started PID " + started.pid() + " but cannot record it in " + launch.pidFile(), e);
    }
    return started;
  }

  private static long toNanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  private static long ceilDiv(long x, long y) {
    return -Math.floorDiv(-x, y);
  }
}
