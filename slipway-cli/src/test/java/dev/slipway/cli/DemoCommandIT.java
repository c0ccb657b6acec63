package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code slipway demo} as a user runs it ({@code java -jar slipway.jar demo}), on a copy of
 * {@code examples/local/slurm.yaml} whose cluster id, subnet, daemon port and state directory are
 * made unique (so that runs never collide) and whose idle reclaim and suspend timeout are halved
 * (CI time); pools, partitions and the job mix are the example's. It must exit 0, print the summary,
 * and leave no namespace, bridge, process or directory behind. Needs root and the local backend's
 * packages (it does not let the demo install them); skips otherwise.
 */
class DemoCommandIT {
  private static final CommandRunner RUNNER = new ProcessCommandRunner();
  private static final Path JAR = Path.of("target", "slipway.jar").toAbsolutePath();
  private static final Path EXAMPLE = Path.of("..", "examples", "local", "slurm.yaml").toAbsolutePath().normalize();

  @TempDir Path tmp;

  @Test
  void demo_onTheLocalExample_exitsZero_printsTheSummary_andLeavesNothingBehind() throws Exception {
    assumeThat(System.getProperty("user.name")).as("local clusters need root (namespaces, mounts)").isEqualTo("root");
    assertThat(JAR).as("run through 'mvn verify', which builds the shaded jar first").isRegularFile();
    assumeThat(slipway(Duration.ofMinutes(1), "prereqs").exitCode()).as("slipway prereqs: the local backend's packages are installed")
        .isZero();
    // munged wants every directory above its socket searchable by all; JUnit makes tmp 0700.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    String id = "dm" + Long.toHexString(System.nanoTime() & 0xffffff);
    String subnet = "10.221." + ThreadLocalRandom.current().nextInt(256) + ".0/24";
    int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
    Path conf = tmp.resolve("conf");
    Path clusterDir = tmp.resolve("cluster");
    Files.createDirectories(conf);
    String example = Files.readString(EXAMPLE, StandardCharsets.UTF_8);
    String yaml = replaceOnce(example, "cluster_id: swdemo", "cluster_id: " + id);
    yaml = replaceOnce(yaml, "subnet: 10.231.7.0/24", "subnet: " + subnet + "\n    state_dir: " + clusterDir);
    yaml = replaceOnce(yaml, "daemon_port: 6820", "daemon_port: " + port);
    yaml = replaceOnce(yaml, "idle_reclaim_time: 00:00:30", "idle_reclaim_time: 00:00:15");
    yaml = replaceOnce(yaml, "suspend_timeout: 00:00:30", "suspend_timeout: 00:00:15");
    Files.writeString(conf.resolve("slurm.yaml"), yaml, StandardCharsets.UTF_8);
    LocalNetwork network = new LocalNetwork(id, Subnet.parse(subnet), RUNNER, InstantSource.system(), Pause.REAL);
    Instant started = Instant.now();
    try {
      CommandRunner.Result demo = slipway(Duration.ofMinutes(8), "demo", "-c", conf.toString(), "--timeout", "360");
      System.out.printf("DemoCommandIT: slipway demo took %d s%n", Duration.between(started, Instant.now()).toSeconds());
      assertThat(demo.exitCode()).as("slipway demo:\n" + demo.stdout() + demo.stderr()).isZero();
      String out = demo.stdout();
      assertThat(out).as(out).contains("every job ended and every host (but those excluded from reclaim: [cpu-0]) is powered down again",
          "\nsummary\n", "node-seconds (hosts not powered down):", "resume latency {");
      assertThat(out.lines().filter(l -> l.matches("\\s+job \\d+\\s+COMPLETED .*")).count()).as(out)
          .as("the summary lists the four jobs COMPLETED").isEqualTo(4);
      assertThat(out).as(out).containsPattern("host cpu-\\d powering up").containsPattern("host small-0 powered down");
    } finally {
      slipway(Duration.ofMinutes(2), "cluster", "destroy", "-c", conf.toString());
      network.teardown(Duration.ofSeconds(5));
    }
    assertThat(network.namespaces()).as("no namespace of the demo cluster is left").isEmpty();
    assertThat(RUNNER.run(List.of("ip", "-o", "link", "show"), Duration.ofSeconds(10)).stdout())
        .as("no bridge of the demo cluster is left").doesNotContain(network.bridgeName());
    assertThat(RUNNER.run(List.of("sh", "-c", "ps -eo args | grep -F '" + clusterDir + "' | grep -v grep"), Duration.ofSeconds(10)).stdout())
        .as("no process of the demo cluster is left").isEmpty();
    assertThat(clusterDir).doesNotExist();
  }

  private static String replaceOnce(String text, String from, String to) {
    assertThat(text).as("examples/local/slurm.yaml still has '" + from + "'").contains(from);
    return text.replace(from, to);
  }

  private static CommandRunner.Result slipway(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return RUNNER.run(command, timeout);
  }
}
