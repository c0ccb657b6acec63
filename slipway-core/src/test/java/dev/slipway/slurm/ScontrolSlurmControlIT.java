package dev.slipway.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
  private static PrivateMunged munged;
  private static PrivateSlurmctld slurmctld;
  private static ScontrolSlurmControl slurm;

  @BeforeAll
  static void startSlurm() throws Exception {
    assumeThat(Files.isExecutable(Path.of("/usr/sbin/slurmctld"))).as("slurmctld installed").isTrue();
    assumeThat(Files.isExecutable(Path.of("/usr/sbin/munged"))).as("munged installed").isTrue();
    assumeThat(System.getProperty("user.name")).as("running as root").isEqualTo("root");
    dir = Files.createTempDirectory("slipway-scontrol-it");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // munged wants its socket directory searchable by all
    munged = PrivateMunged.start(dir);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String host = new String(new ProcessBuilder("hostname", "-s").start().getInputStream().readAllBytes()).trim();
    Path conf = dir.resolve("slurm.conf");
    List<String> lines = PrivateSlurmctld.standardLines("slipwayit", host, port, munged.socket(), dir);
    lines.addAll(List.of(
        "NodeName=gpu-[0-3] CPUs=4 RealMemory=1000 Feature=gpu State=CLOUD",
        "NodeName=big-[0-1199] CPUs=1 RealMemory=100 State=CLOUD",
        "PartitionName=gpu Nodes=gpu-[0-3] Default=YES State=UP",
        "PartitionName=big Nodes=big-[0-1199] State=UP"));
    Files.writeString(conf, String.join("\n", lines) + "\n");
    Files.createDirectories(dir.resolve("state"));
    slurmctld = PrivateSlurmctld.start(conf, dir.resolve("slurmctld.pid"), dir.resolve("slurmctld.log"));
    slurmctld.awaitNodes(1204, dir.resolve("slurmctld.log"));
    slurm = new ScontrolSlurmControl(slurmctld.runner());
  }

  @AfterAll
  static void stopSlurm() throws IOException {
    try {
      if (slurmctld != null) {
        slurmctld.close();
      }
    } finally {
      if (munged != null) {
        munged.close();
      }
      if (dir != null) {
        try (Stream<Path> paths = Files.walk(dir)) {
          paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
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

  @Test
  void nodes_ofAFewHosts_readsThemByName_andEqualsTheWholeRead() {
    List<String> few = List.of("big-7", "gpu-2", "big-8", "big-1100");
    Map<String, SlurmNode> whole = new java.util.HashMap<>();
    slurm.nodes().forEach(n -> whole.put(n.name(), n));

    Map<String, SlurmNode> byName = slurm.nodes(few);

    assertThat(byName.keySet()).containsExactlyInAnyOrderElementsOf(few);
    few.forEach(h -> assertThat(byName.get(h)).as(h).isEqualTo(whole.get(h)));
  }

  @Test
  void nodes_withAHostSlurmDoesNotKnow_answersForTheOthers() {
    Map<String, SlurmNode> found = slurm.nodes(List.of("gpu-1", "nope-3"));

    assertThat(found.keySet()).containsExactly("gpu-1");
  }
}
