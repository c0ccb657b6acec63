package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole local cluster with elastic nodes, driven through the shaded jar as a user would:
 * {@code cluster create} (hooks and daemon included), {@code sbatch -N2} on the login node powers
 * up two netns hosts, the job runs on them, and after idle_reclaim_time Slurm suspends them and
 * the daemon removes their nodes; {@code cluster destroy} leaves no namespace, link or process.
 * Needs root and the local backend's packages; skips with the reason otherwise. Runs in
 * {@code verify} (failsafe), after the jar is built.
 */
class LocalElasticClusterIT {
  private static final CommandRunner RUNNER = new ProcessCommandRunner();
  private static final Path JAR = Path.of("target", "slipway.jar").toAbsolutePath();

  @TempDir Path tmp;

  @BeforeAll
  static void requireMachine() {
    assumeThat(System.getProperty("user.name")).as("local clusters need root (namespaces, mounts)").isEqualTo("root");
    for (String tool : List.of("slurmctld", "slurmd", "munged", "sshd", "scontrol", "sinfo", "sbatch", "srun", "nsenter", "unshare",
        "ip", "ssh-keygen", "curl")) {
      assumeThat(RUNNER.run(List.of("sh", "-c", "command -v " + tool + " || test -x /usr/sbin/" + tool), Duration.ofSeconds(10)).ok())
          .as("the elastic cluster test needs " + tool
              + " (Debian: slurmctld slurmd slurm-client munge openssh-server openssh-client iproute2 util-linux curl)")
          .isTrue();
    }
  }

  @Test
  void sbatchOnTheLoginNode_powersUpTwoHosts_runsTheJob_andTheHostsAreReturnedAfterIdleReclaim() throws Exception {
    assertThat(JAR).as("run through 'mvn verify', which builds the shaded jar first").isRegularFile();
    // munged wants every directory above its socket searchable by all; JUnit makes tmp 0700.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    String id = "el" + Long.toHexString(System.nanoTime() & 0xffffff);
    String subnet = "10.215." + ThreadLocalRandom.current().nextInt(256) + ".0/24";
    int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
    Path conf = tmp.resolve("conf");
    Path clusterDir = tmp.resolve("cluster");
    Files.createDirectories(conf);
    Files.writeString(conf.resolve("slurm.yaml"), """
        slurm:
          cluster_id: %s
          controller:
            ssh:
              username: root
            vm_size: standard_d2s_v3
            vm_count: 1
          login:
            ssh:
              username: root
            vm_size: standard_d2s_v3
            vm_count: 1
          slurm_options:
            idle_reclaim_time: 00:00:20
            elastic_partitions:
              debug:
                batch_pools:
                  nspool:
                    compute_node_type: dedicated
                    max_compute_nodes: 4
                    weight: 10
                default: true
                max_runtime_limit: 01:00:00
        slipway:
          backend: local
          accounting: false
          resume_timeout: 00:02:00
          suspend_timeout: 00:00:30
          daemon_port: %d
          local:
            subnet: %s
            state_dir: %s
        """.formatted(id, port, subnet, clusterDir), StandardCharsets.UTF_8);
    LocalNetwork network = new LocalNetwork(id, Subnet.parse(subnet), RUNNER, InstantSource.system(), Pause.REAL);
    String login = network.namespaceName(id + "-login-vm000");
    Path slurmConf = clusterDir.resolve("etc").resolve("slurm.conf");
    try {
      CommandRunner.Result created = slipway(Duration.ofMinutes(4), "cluster", "create", "-c", conf.toString());
      assertThat(created.exitCode()).as("cluster create: " + created.stdout() + created.stderr()).isZero();
      assertThat(created.stdout()).contains("install the power-save hooks", "start slipway daemon");

      CommandRunner.Result submitted = RUNNER.run(List.of("nsenter", "--net=/run/netns/" + login, "env", "SLURM_CONF=" + slurmConf,
          "sbatch", "-N2", "-o", tmp.resolve("job-%j.out").toString(), "--wrap", "srun hostname"), Duration.ofSeconds(30));
      assertThat(submitted.exitCode()).as("sbatch: " + submitted.stderr()).isZero();
      Matcher m = Pattern.compile("Submitted batch job (\\d+)").matcher(submitted.stdout());
      assertThat(m.find()).as(submitted.stdout()).isTrue();
      String job = m.group(1);

      String state = awaitValue(Duration.ofMinutes(3), () -> {
        String out = RUNNER.run(List.of("nsenter", "--net=/run/netns/" + login, "env", "SLURM_CONF=" + slurmConf,
            "scontrol", "show", "job", job), Duration.ofSeconds(30)).stdout();
        Matcher s = Pattern.compile("JobState=(\\S+)").matcher(out);
        String st = s.find() ? s.group(1) : "UNKNOWN";
        return List.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY").contains(st) ? st : null;
      }, "job " + job + " to end", clusterDir);
      assertThat(state).as("job " + job + " state; daemon log:\n" + daemonLogs(clusterDir))
          .isEqualTo("COMPLETED");
      List<String> hosts = Arrays.stream(Files.readString(tmp.resolve("job-" + job + ".out")).split("\n"))
          .map(String::strip).filter(l -> !l.isEmpty()).sorted().toList();
      assertThat(hosts).as("srun hostname prints the Slurm hosts of the pool").hasSize(2).allMatch(h -> h.matches("nspool-[0-3]"));
      assertThat(hosts.stream().distinct().count()).isEqualTo(2);

      awaitValue(Duration.ofMinutes(3), () -> {
        String sinfo = RUNNER.run(List.of("nsenter", "--net=/run/netns/" + login, "env", "SLURM_CONF=" + slurmConf,
            "sinfo", "-h", "-N", "-o", "%N %t"), Duration.ofSeconds(30)).stdout();
        boolean allDown = !sinfo.isBlank() && sinfo.lines().allMatch(l -> l.endsWith(" idle~"));
        return allDown && computeNodes(clusterDir).isEmpty() && nodeNamespaces(network, id).isEmpty() ? "down" : null;
      }, "the hosts to be powered down (idle~) and their nodes removed", clusterDir);

      CommandRunner.Result destroyed = slipway(Duration.ofMinutes(2), "cluster", "destroy", "-c", conf.toString());
      assertThat(destroyed.exitCode()).as("cluster destroy: " + destroyed.stderr()).isZero();
      assertThat(network.namespaces()).as("no namespace of the cluster is left").isEmpty();
      assertThat(RUNNER.run(List.of("ip", "-o", "link", "show"), Duration.ofSeconds(10)).stdout())
          .as("no link of the cluster is left").doesNotContain(network.bridgeName());
      assertThat(RUNNER.run(List.of("sh", "-c", "ps -eo args | grep -F '" + clusterDir + "' | grep -v grep"), Duration.ofSeconds(10)).stdout())
          .as("no process of the cluster (daemon, slurmctld, slurmd, munged, sshd) is left").isEmpty();
      assertThat(clusterDir).doesNotExist();
    } finally {
      slipway(Duration.ofMinutes(2), "cluster", "destroy", "-c", conf.toString());
      network.teardown(Duration.ofSeconds(5));
    }
  }

  private static List<String> computeNodes(Path clusterDir) {
    Path nodes = clusterDir.resolve("nodes");
    if (!Files.isDirectory(nodes)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(nodes)) {
      return s.filter(d -> Files.isRegularFile(d.resolve("node.properties"))).map(d -> d.getFileName().toString()).toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<String> nodeNamespaces(LocalNetwork network, String id) {
    String infra = network.namespacePrefix() + id.toLowerCase(Locale.ROOT) + "-";
    return network.namespaces().stream().filter(ns -> !ns.startsWith(infra)).toList();
  }

  private static CommandRunner.Result slipway(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return RUNNER.run(command, timeout);
  }

  /** Polls {@code probe} once a second until it answers, or fails with the daemon's log after {@code timeout}. */
  private static String awaitValue(Duration timeout, Supplier<String> probe, String what, Path clusterDir) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      String v = probe.get();
      if (v != null) {
        return v;
      }
      Thread.sleep(1000);
    }
    return fail("timed out after " + timeout.toSeconds() + " s waiting for " + what + "; daemon log:\n"
        + daemonLogs(clusterDir));
  }

  /** The last lines of every controller's daemon log. */
  private static String daemonLogs(Path clusterDir) {
    try (Stream<Path> logs = Files.list(clusterDir.resolve("log"))) {
      return logs.filter(f -> f.getFileName().toString().startsWith("daemon-")).sorted()
          .map(f -> f.getFileName() + ":\n" + tail(f)).reduce("", (a, b) -> a + b + "\n");
    } catch (java.io.IOException e) {
      return "(no daemon logs in " + clusterDir.resolve("log") + ")";
    }
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (java.io.IOException e) {
      return "(no " + file + ")";
    }
  }
}
