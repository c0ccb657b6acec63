package dev.slipway.slurm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real slurmctld (Debian's 22.05) a test starts on a slurm.conf of its own and stops by PID: the
 * start-up (daemonize, wait until scontrol gets answers), the teardown, and a {@link CommandRunner}
 * whose commands see that slurm.conf. {@link #standardLines} are the settings every such test
 * cluster needs; callers add their nodes, partitions and whatever they test. Needs root and the
 * {@code slurmctld} and {@code slurm-client} packages (callers check, with an assumption).
 */
public final class PrivateSlurmctld implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path conf;
  private final Path pidFile;
  private Optional<Long> pid = Optional.empty();

  private PrivateSlurmctld(Path conf, Path pidFile) {
    this.conf = conf;
    this.pidFile = pidFile;
  }

  /**
   * The lines of a minimal cluster on this machine, with state, PID file and log in {@code dir}:
   * root as SlurmUser, the private munged's socket, hook programs that do nothing, and CLOUD nodes
   * visible to scontrol even while powered down.
   */
  public static List<String> standardLines(String clusterName, String controllerHost, int port, Path mungeSocket, Path dir) {
    return new ArrayList<>(List.of(
        "ClusterName=" + clusterName,
        "SlurmctldHost=" + controllerHost,
        "SlurmUser=root",
        "SlurmctldPort=" + port,
        "SlurmdPort=" + (port + 1),
        "AuthType=auth/munge",
        "AuthInfo=socket=" + mungeSocket,
        "CredType=cred/munge",
        "StateSaveLocation=" + dir.resolve("state"),
        "SlurmctldPidFile=" + dir.resolve("slurmctld.pid"),
        "SlurmctldLogFile=" + dir.resolve("slurmctld.log"),
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "MpiDefault=none",
        "JobCompType=jobcomp/none",
        "AccountingStorageType=accounting_storage/none",
        "SlurmctldParameters=cloud_reg_addrs,idle_on_node_suspend",
        "ResumeProgram=/bin/true",
        "SuspendProgram=/bin/true",
        "SuspendTime=600",
        "ResumeTimeout=600",
        "SuspendTimeout=30",
        "TreeWidth=65533",
        // Without it slurmctld hides powered-down CLOUD nodes from scontrol and sinfo altogether.
        "PrivateData=cloud"));
  }

  /** Sets {@code key} to {@code value} in {@code lines} (a test that needs another value than the standard one). */
  public static void replace(List<String> lines, String key, String value) {
    int i = lines.stream().map(l -> l.substring(0, Math.max(0, l.indexOf('=')))).toList().indexOf(key);
    if (i < 0) {
      throw new IllegalArgumentException("no " + key + " in " + lines);
    }
    lines.set(i, key + "=" + value);
  }

  /**
   * Starts {@code slurmctld -i} on {@code conf} (whose SlurmctldPidFile is {@code pidFile} and whose
   * StateSaveLocation must exist) and waits until it answers {@code scontrol ping}; stops it again
   * and fails with its log when it does not within a minute.
   */
  public static PrivateSlurmctld start(Path conf, Path pidFile, Path logFile) throws InterruptedException {
    PrivateSlurmctld s = new PrivateSlurmctld(conf, pidFile);
    try {
      CommandRunner.Result r = s.runner().run(List.of("/usr/sbin/slurmctld", "-i"), START_TIMEOUT);
      s.await("slurmctld on " + conf + " to answer (slurmctld exit " + r.exitCode() + " " + r.stderr().strip() + ")",
          () -> s.runner().run(List.of("scontrol", "ping"), Duration.ofSeconds(10)).stdout().contains("is UP"), logFile);
      return s;
    } catch (RuntimeException | AssertionError | InterruptedException e) {
      s.close();
      throw e;
    }
  }

  /** Waits until scontrol lists exactly {@code expected} nodes, CLOUD nodes included. */
  public void awaitNodes(int expected, Path logFile) throws InterruptedException {
    await("slurmctld to list its " + expected + " nodes", () -> {
      CommandRunner.Result r = runner().run(List.of("scontrol", "--future", "show", "node", "--oneliner"), Duration.ofSeconds(10));
      return r.ok() && r.stdout().lines().filter(l -> l.startsWith("NodeName=")).count() == expected;
    }, logFile);
  }

  /** Runs commands with SLURM_CONF naming this slurmctld's configuration. */
  public CommandRunner runner() {
    return new ProcessCommandRunner(Map.of("SLURM_CONF", conf.toString()));
  }

  public Path conf() {
    return conf;
  }

  /** Stops slurmctld by the PID it wrote (SIGTERM, SIGKILL after 10 s). */
  @Override
  public void close() {
    if (pid.isEmpty()) {
      pid = readPid(pidFile);
    }
    pid.ifPresent(PrivateSlurmctld::stop);
  }

  private interface Check {
    boolean ok();
  }

  private void await(String what, Check check, Path logFile) throws InterruptedException {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (true) {
      if (pid.isEmpty()) {
        pid = readPid(pidFile);
      }
      if (pid.isPresent() && check.ok()) {
        return;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + START_TIMEOUT.toSeconds() + " s waiting for " + what + "\n" + readQuietly(logFile));
      }
      Thread.sleep(200); // polling a real daemon's start-up, not waiting for simulated time
    }
  }

  static Optional<Long> readPid(Path pidFile) {
    try {
      String text = Files.readString(pidFile).strip();
      return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** SIGTERM to one process by PID, SIGKILL if it still runs 10 s later. */
  static void stop(long pid) {
    ProcessHandle.of(pid).ifPresent(h -> {
      h.destroy();
      h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> {
        h.destroyForcibly();
        return h;
      }).join();
    });
  }

  private static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "(no " + p + ")";
    }
  }
}
