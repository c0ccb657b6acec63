package dev.slipway.testkit;

import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.slurm.CommandRunner;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real slurmctld (Debian's 22.05) with its own munged, on free ports, in a temporary directory,
 * as ScontrolSlurmControlIT in slipway-core starts one. No slurmd runs, so CLOUD nodes stay
 * powered down. {@link #start} skips the calling test class (a JUnit assumption) when slurmctld,
 * munged or root are missing; {@link #close} kills both daemons by PID and deletes the directory,
 * and {@link #start} does the same itself when it fails half way.
 */
final class LocalSlurmctld implements AutoCloseable {
  private final Path dir;
  private Path conf;
  private Optional<Long> mungedPid = Optional.empty();
  private Optional<Long> slurmctldPid = Optional.empty();

  private LocalSlurmctld(Path dir) {
    this.dir = dir;
  }

  /**
   * Starts slurmctld with {@code nodeLines} (NodeName= and PartitionName= lines) and waits until
   * scontrol lists {@code expectedNodes} nodes.
   */
  static LocalSlurmctld start(List<String> nodeLines, int expectedNodes) throws Exception {
    assumeThat(Files.isExecutable(Path.of("/usr/sbin/slurmctld"))).as("slurmctld installed (apt package slurmctld)").isTrue();
    assumeThat(Files.isExecutable(Path.of("/usr/sbin/munged"))).as("munged installed (apt package munge)").isTrue();
    assumeThat(Files.isExecutable(Path.of("/usr/bin/scontrol"))).as("scontrol installed (apt package slurm-client)").isTrue();
    assumeThat(System.getProperty("user.name")).as("running as root (SlurmUser=root)").isEqualTo("root");
    LocalSlurmctld s = new LocalSlurmctld(Files.createTempDirectory("slipway-contract-it"));
    try {
      s.startDaemons(nodeLines, expectedNodes);
      return s;
    } catch (Exception | AssertionError e) {
      s.close();
      throw e;
    }
  }

  private void startDaemons(List<String> nodeLines, int expectedNodes) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // munged wants its socket directory searchable by all
    Path key = dir.resolve("munge.key");
    byte[] bytes = new byte[1024];
    new SecureRandom().nextBytes(bytes);
    Files.write(key, bytes);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
    Path socket = dir.resolve("munge.sock");
    exec(List.of("/usr/sbin/munged", "--socket=" + socket, "--key-file=" + key, "--pid-file=" + dir.resolve("munged.pid"),
        "--log-file=" + dir.resolve("munged.log"), "--seed-file=" + dir.resolve("munged.seed")));
    mungedPid = Optional.of(Long.parseLong(Files.readString(dir.resolve("munged.pid")).trim()));
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    String host = new String(new ProcessBuilder("hostname", "-s").start().getInputStream().readAllBytes()).trim();
    conf = dir.resolve("slurm.conf");
    List<String> lines = new ArrayList<>(List.of(
        "ClusterName=slipwaycontract",
        "SlurmctldHost=" + host,
        "SlurmUser=root",
        "SlurmctldPort=" + port,
        "SlurmdPort=" + (port + 1),
        "AuthType=auth/munge",
        "AuthInfo=socket=" + socket,
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
    lines.addAll(nodeLines);
    Files.writeString(conf, String.join("\n", lines) + "\n");
    Files.createDirectories(dir.resolve("state"));
    ProcessBuilder ctld = new ProcessBuilder("/usr/sbin/slurmctld", "-i");
    ctld.environment().put("SLURM_CONF", conf.toString());
    ctld.redirectErrorStream(true).redirectOutput(dir.resolve("slurmctld.out").toFile());
    Process daemonizing = ctld.start();
    boolean exited = daemonizing.waitFor(30, TimeUnit.SECONDS);
    Instant deadline = Instant.now().plusSeconds(30);
    String seen = "nothing yet";
    while (true) {
      if (slurmctldPid.isEmpty() && Files.exists(dir.resolve("slurmctld.pid"))) {
        String pid = Files.readString(dir.resolve("slurmctld.pid")).trim();
        if (!pid.isEmpty()) {
          slurmctldPid = Optional.of(Long.parseLong(pid));
        }
      }
      if (exited) {
        CommandRunner.Result r = runner().run(List.of("scontrol", "--future", "show", "node", "--oneliner"), Duration.ofSeconds(10));
        long listed = r.stdout().lines().filter(l -> l.startsWith("NodeName=")).count();
        if (r.ok() && listed == expectedNodes && slurmctldPid.isPresent()) {
          return;
        }
        seen = r.ok() ? listed + " nodes" : r.stderr().strip();
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("slurmctld did not list its " + expectedNodes + " nodes in 30 s (last: " + seen + ")\n"
            + readQuietly(dir.resolve("slurmctld.log")) + readQuietly(dir.resolve("slurmctld.out")));
      }
      Thread.sleep(200); // polling a real daemon's start-up, not waiting for simulated time
    }
  }

  /** Runs commands with SLURM_CONF pointing at this slurmctld's configuration. */
  CommandRunner runner() {
    return (command, timeout) -> {
      try {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("SLURM_CONF", conf.toString());
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        try {
          Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
          if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            return new CommandRunner.Result(124, "", "timed out: " + command);
          }
          return new CommandRunner.Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
          Files.deleteIfExists(out);
          Files.deleteIfExists(err);
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    };
  }

  @Override
  public void close() throws IOException {
    if (slurmctldPid.isEmpty() && Files.exists(dir.resolve("slurmctld.pid"))) {
      String pid = Files.readString(dir.resolve("slurmctld.pid")).trim();
      if (!pid.isEmpty()) {
        slurmctldPid = Optional.of(Long.parseLong(pid));
      }
    }
    for (Optional<Long> pid : List.of(slurmctldPid, mungedPid)) {
      pid.flatMap(ProcessHandle::of).ifPresent(h -> {
        h.destroy();
        h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> {
          h.destroyForcibly();
          return h;
        }).join();
      });
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static void exec(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException(command.get(0) + " failed: " + out);
    }
  }

  private static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "(no " + p + ")";
    }
  }
}
