package dev.slipway.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ScontrolSlurmControl against a real slurmctld (Debian's 22.05), started for this class with its
 * own munged, on a free port, in a temporary directory; both daemons are killed by PID afterwards.
 * Needs root (slurmctld runs with SlurmUser=root) and the slurmctld and munge packages; skipped
 * otherwise. No slurmd runs: the CLOUD nodes stay powered down, which is all the updates need.
 */
class ScontrolSlurmControlIT {
  private static Path dir;
  private static Path conf;
  private static Long mungedPid;
  private static Long slurmctldPid;
  private static ScontrolSlurmControl slurm;

  /** Runs commands with SLURM_CONF pointing at the test's configuration. */
  private static final class ProcessRunner implements CommandRunner {
    @Override
    public Result run(List<String> command, Duration timeout) {
      try {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("SLURM_CONF", conf.toString());
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          return new Result(124, "", "timed out: " + command);
        }
        Result result = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return result;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  @BeforeAll
  static void startSlurm() throws Exception {
    assumeThat(Files.isExecutable(Path.of("/usr/sbin/slurmctld"))).as("slurmctld installed").isTrue();
    assumeThat(Files.isExecutable(Path.of("/usr/sbin/munged"))).as("munged installed").isTrue();
    assumeThat(System.getProperty("user.name")).as("running as root").isEqualTo("root");
    dir = Files.createTempDirectory("slipway-scontrol-it");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // munged wants its socket directory searchable by all
    Path key = dir.resolve("munge.key");
    byte[] bytes = new byte[1024];
    new SecureRandom().nextBytes(bytes);
    Files.write(key, bytes);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
    Path socket = dir.resolve("munge.sock");
    exec(List.of("/usr/sbin/munged", "--socket=" + socket, "--key-file=" + key, "--pid-file=" + dir.resolve("munged.pid"),
        "--log-file=" + dir.resolve("munged.log"), "--seed-file=" + dir.resolve("munged.seed")));
    mungedPid = Long.parseLong(Files.readString(dir.resolve("munged.pid")).trim());
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String host = new String(new ProcessBuilder("hostname", "-s").start().getInputStream().readAllBytes()).trim();
    conf = dir.resolve("slurm.conf");
    Files.writeString(conf, String.join("\n",
        "ClusterName=slipwayit",
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
        "PrivateData=cloud",
        "NodeName=gpu-[0-3] CPUs=4 RealMemory=1000 Feature=gpu State=CLOUD",
        "NodeName=big-[0-1199] CPUs=1 RealMemory=100 State=CLOUD",
        "PartitionName=gpu Nodes=gpu-[0-3] Default=YES State=UP",
        "PartitionName=big Nodes=big-[0-1199] State=UP",
        ""));
    Files.createDirectories(dir.resolve("state"));
    ProcessBuilder ctld = new ProcessBuilder("/usr/sbin/slurmctld", "-i");
    ctld.environment().put("SLURM_CONF", conf.toString());
    ctld.redirectErrorStream(true).redirectOutput(dir.resolve("slurmctld.out").toFile());
    assertThat(ctld.start().waitFor(30, TimeUnit.SECONDS)).isTrue();
    slurm = new ScontrolSlurmControl(new ProcessRunner());
    Instant deadline = Instant.now().plusSeconds(30);
    while (true) {
      if (Files.exists(dir.resolve("slurmctld.pid")) && slurmctldPid == null) {
        slurmctldPid = Long.parseLong(Files.readString(dir.resolve("slurmctld.pid")).trim());
      }
      String seen;
      try {
        int n = slurm.nodes().size();
        if (n == 1204) {
          break;
        }
        seen = n + " nodes";
      } catch (SlurmControlException notYet) {
        seen = notYet.getMessage();
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("slurmctld did not list its 1204 nodes in 30 s (last: " + seen + ")\n"
            + readQuietly(dir.resolve("slurmctld.log")));
      }
      Thread.sleep(200); // polling a real daemon's start-up, not waiting for simulated time
    }
  }

  @AfterAll
  static void stopSlurm() throws IOException {
    if (slurmctldPid == null && dir != null && Files.exists(dir.resolve("slurmctld.pid"))) {
      slurmctldPid = Long.parseLong(Files.readString(dir.resolve("slurmctld.pid")).trim());
    }
    for (Long pid : new Long[] {slurmctldPid, mungedPid}) {
      if (pid != null) {
        ProcessHandle.of(pid).ifPresent(h -> {
          h.destroy();
          h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> {
            h.destroyForcibly();
            return h;
          }).join();
        });
      }
    }
    if (dir != null) {
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
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

  private static SlurmNode node(String name) {
    return slurm.nodes(List.of(name)).get(name);
  }

  @Test
  void nodes_readsPoweredDownCloudNodesWithPartitionsAndFeatures() {
    SlurmNode gpu0 = node("gpu-0");
    assertThat(gpu0.state()).isEqualTo(SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN));
    assertThat(gpu0.partitions()).containsExactly("gpu");
    assertThat(gpu0.features()).containsExactly("gpu");
  }

  @Test
  void downWithReason_thenResume_roundTripsThroughSlurm() {
    slurm.update(NodeUpdate.state(List.of("gpu-1", "gpu-2"), NodeStateChange.DOWN, "capacity fallback: CAPACITY AllocationFailed"));
    SlurmNode down = node("gpu-1");
    assertThat(down.state()).isEqualTo(SlurmNodeState.of(NodeBaseState.DOWN, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN));
    assertThat(down.reason()).contains("capacity fallback: CAPACITY AllocationFailed");

    slurm.update(NodeUpdate.state(List.of("gpu-1", "gpu-2"), NodeStateChange.RESUME));
    // slurmctld marks a resumed DOWN node NOT_RESPONDING (so that it is pinged); a powered-down
    // node keeps the flag until it powers up and registers. sinfo shows it as plain idle~.
    assertThat(node("gpu-2").state()).isEqualTo(
        SlurmNodeState.of(NodeBaseState.IDLE, NodeFlag.CLOUD, NodeFlag.POWERED_DOWN, NodeFlag.NOT_RESPONDING));
    assertThat(node("gpu-2").reason()).isEmpty();
  }

  @Test
  void drainAndUndrain_andReasonOnlyUpdates() {
    slurm.update(NodeUpdate.state(List.of("gpu-3"), NodeStateChange.DRAIN, "preempted"));
    assertThat(node("gpu-3").state().isDrain()).isTrue();
    slurm.update(new NodeUpdate(List.of("gpu-3"), java.util.Optional.empty(), java.util.Optional.of("still preempted")));
    assertThat(node("gpu-3").reason()).contains("still preempted");
    slurm.update(NodeUpdate.state(List.of("gpu-3"), NodeStateChange.UNDRAIN));
    assertThat(node("gpu-3").state().isDrain()).isFalse();
  }

  @Test
  void setAddresses_setsNodeAddrOfEachHost() {
    slurm.setAddresses(Map.of("big-7", "10.9.0.7", "big-8", "10.9.0.8"));
    assertThat(node("big-7").address()).contains("10.9.0.7");
    assertThat(node("big-8").address()).contains("10.9.0.8");
  }

  @Test
  void update_ofMoreThan500Hosts_reachesEveryHost() {
    List<String> hosts = IntStream.range(100, 1200).mapToObj(i -> "big-" + i).toList();
    slurm.update(NodeUpdate.state(hosts, NodeStateChange.DOWN, "chunked"));
    List<SlurmNode> nodes = new ArrayList<>(slurm.nodes(hosts).values());
    assertThat(nodes).hasSize(1100).allSatisfy(n -> assertThat(n.state().isDown()).isTrue());
    slurm.update(NodeUpdate.state(hosts, NodeStateChange.RESUME));
    assertThat(slurm.nodes(hosts).values()).allSatisfy(n -> assertThat(n.state().isDown()).isFalse());
  }

  @Test
  void update_ofAnUnknownHost_failsWithSlurmsMessage() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> slurm.update(NodeUpdate.state(List.of("nope-1"), NodeStateChange.RESUME)))
        .isInstanceOf(SlurmControlException.class).hasMessageContaining("nope-1");
  }
}
