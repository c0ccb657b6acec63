package dev.slipway.local.netns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * slipway-node-slurmd for real (root, util-linux with time namespaces): a recorder stands in for
 * slurmd and writes what it sees.
 */
class NodeSlurmdIT {
  /** What the recorder writes by default: slurmd's uptime, then the wall clock (their difference is the boot instant). */
  private static final String UPTIME_AND_NOW = "cut -d' ' -f1 /proc/uptime; date +%s.%N";

  @TempDir Path tmp;

  /**
   * Runs slipway-node-slurmd for {@code host} with a recorder in place of slurmd, whose shell
   * {@code record} commands' output it returns line by line; {@code env} adds to the script's inputs.
   */
  private List<String> runNodeSlurmd(String host, String record, Map<String, String> env) throws Exception {
    Path script = NodeSlurmd.install(tmp.resolve("bin"));
    Path seen = tmp.resolve("seen");
    Path recorder = tmp.resolve("fake-slurmd");
    Files.writeString(recorder, "#!/bin/sh\n{ " + record + "; } > \"" + seen + "\"\n");
    recorder.toFile().setExecutable(true);
    Map<String, String> inputs = new java.util.HashMap<>(env);
    inputs.put("SLIPWAY_SLURMD_PROGRAM", recorder.toString());
    inputs.put("SLIPWAY_SLURMD_SPOOL", tmp.resolve("spool").toString());
    CommandRunner.Result r = new ProcessCommandRunner(inputs)
        .run(List.of("sh", script.toString(), "-N", host, "--conf-server", "10.0.0.2:6817"), Duration.ofSeconds(30));
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    return Files.readAllLines(seen);
  }

  @BeforeAll
  static void requireMachine() {
    NetnsHost.assumeUsable();
  }

  @Test
  void startsSlurmdAsTheHost_withAFreshBootClock_itsSpoolDir_andTheClusterMungeSocketAtTheDefaultPath() throws Exception {
    Path socket = tmp.resolve("cluster-munge.socket");
    Files.writeString(socket, "cluster munge marker\n");
    double joined = System.currentTimeMillis() / 1000.0;
    List<String> lines = runNodeSlurmd("gpu-3",
        "hostname; cut -d' ' -f1 /proc/uptime; cat /run/munge/munge.socket.2; echo \"$@\"; date +%s.%N",
        Map.of("SLIPWAY_MUNGE_SOCKET", socket.toString()));

    assertThat(lines.get(0)).isEqualTo("gpu-3");
    assertThat(Double.parseDouble(lines.get(1))).as("uptime seen by slurmd").isLessThan(2.0);
    assertThat(lines.get(2)).isEqualTo("cluster munge marker");
    assertThat(lines.get(3)).isEqualTo("-N gpu-3 --conf-server 10.0.0.2:6817");
    // slurmctld accepts the registration only if the boot instant is after the resume's second;
    // the resume happened before the join, so the boot clock must start after the join's next second.
    double bootInstant = Double.parseDouble(lines.get(4)) - Double.parseDouble(lines.get(1));
    assertThat(bootInstant).as("boot instant of slurmd's clock").isGreaterThanOrEqualTo(Math.floor(joined) + 1);
    assertThat(tmp.resolve("spool").resolve("gpu-3")).isDirectory();
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).as("nothing is mounted in the host's namespace")
        .doesNotContain(socket.toString()).doesNotContain("slipway-munge").doesNotContain("slipway-run");
  }

  @Test
  void givenTheResumeInstant_anchorsSlurmdsBootClockAfterTheResumesNextSecond_notAfterTheJoins() throws Exception {
    double joined = System.currentTimeMillis() / 1000.0;
    double resumed = joined - 3.5;
    List<String> lines = runNodeSlurmd("gpu-4", UPTIME_AND_NOW,
        Map.of("SLIPWAY_RESUME_REQUESTED_AT", String.format(java.util.Locale.ROOT, "%.9f", resumed)));

    double bootInstant = Double.parseDouble(lines.get(1)) - Double.parseDouble(lines.get(0));
    // At or after the resume's next second (what slurmctld needs), and at most about a second
    // later: well before the join's next second, which is where it was anchored without the hint.
    assertThat(bootInstant).as("boot instant of slurmd's clock").isGreaterThanOrEqualTo(Math.floor(resumed) + 1)
        .isLessThan(Math.floor(resumed) + 2.2).isLessThan(Math.floor(joined));
  }

  @Test
  void givenAMalformedResumeInstant_anchorsAtTheJoinAsWithout() throws Exception {
    double joined = System.currentTimeMillis() / 1000.0;
    List<String> lines = runNodeSlurmd("gpu-5", UPTIME_AND_NOW, Map.of("SLIPWAY_RESUME_REQUESTED_AT", "12.3.4"));

    double bootInstant = Double.parseDouble(lines.get(1)) - Double.parseDouble(lines.get(0));
    assertThat(bootInstant).isGreaterThanOrEqualTo(Math.floor(joined) + 1);
  }
}
