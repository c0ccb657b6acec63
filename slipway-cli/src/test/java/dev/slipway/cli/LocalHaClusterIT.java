package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import dev.slipway.spi.HostBinding;
import dev.slipway.store.sqlite.SqliteStateStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * High availability of a local cluster, through the shaded jar: a controller pair ({@code vm_count:
 * 2}) runs primary and backup slurmctld and one {@code slipway daemon} each. Jobs that need elastic
 * nodes are submitted; while they run, the primary slurmctld and the leading daemon are killed with
 * SIGKILL. The backup slurmctld takes control, the standby daemon takes the lease, a job submitted
 * after the kill still gets a freshly resumed node (hooks wake the surviving daemon, the node joins
 * it), every job completes, and the store never binds one node to two hosts. {@code cluster
 * destroy} runs whatever happens. Needs root and the local backend's packages; skips otherwise.
 */
class LocalHaClusterIT {
  private static final CommandRunner RUNNER = new ProcessCommandRunner();
  private static final Path JAR = Path.of("target", "slipway.jar").toAbsolutePath();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** How long slurmctld may take to write a change to StateSaveLocation (Slurm 22.05, state_save.c), plus a second. */
  private static final long STATE_SAVE_LAG_SECONDS = 6;

  @TempDir Path tmp;

  @BeforeAll
  static void requireMachine() {
    assumeThat(System.getProperty("user.name")).as("local clusters need root (namespaces, mounts)").isEqualTo("root");
    for (String tool : List.of("slurmctld", "slurmd", "munged", "sshd", "scontrol", "sbatch", "srun", "nsenter", "unshare", "ip",
        "ssh-keygen", "curl")) {
      assumeThat(RUNNER.run(List.of("sh", "-c", "command -v " + tool + " || test -x /usr/sbin/" + tool), Duration.ofSeconds(10)).ok())
          .as("the HA cluster test needs " + tool
              + " (Debian: slurmctld slurmd slurm-client munge openssh-server openssh-client iproute2 util-linux curl)")
          .isTrue();
    }
  }

  @Test
  void killingThePrimarySlurmctldAndTheLeadingDaemon_midRun_theBackupsTakeOver_andEveryJobCompletes() throws Exception {
    assertThat(JAR).as("run through 'mvn verify', which builds the shaded jar first").isRegularFile();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Instant started = Instant.now();
    String id = "ha" + Long.toHexString(System.nanoTime() & 0xffffff);
    String subnet = "10.224." + ThreadLocalRandom.current().nextInt(256) + ".0/24";
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
            vm_count: 2
          login:
            ssh:
              username: root
            vm_size: standard_d2s_v3
            vm_count: 1
          slurm_options:
            idle_reclaim_time: 00:05:00
            elastic_partitions:
              debug:
                batch_pools:
                  hapool:
                    compute_node_type: dedicated
                    max_compute_nodes: 6
                    weight: 10
                default: true
                max_runtime_limit: 01:00:00
        slipway:
          backend: local
          accounting: false
          resume_timeout: 00:01:30
          suspend_timeout: 00:00:30
          slurmctld_timeout: 00:00:05
          daemon_port: %d
          local:
            subnet: %s
            state_dir: %s
        """.formatted(id, port, subnet, clusterDir), StandardCharsets.UTF_8);
    LocalNetwork network = new LocalNetwork(id, Subnet.parse(subnet), RUNNER, InstantSource.system(), Pause.REAL);
    String login = network.namespaceName(id + "-login-vm000");
    Path slurmConf = clusterDir.resolve("etc").resolve("slurm.conf");
    List<String> controllers = List.of(id + "-controller-vm000", id + "-controller-vm001");
    Map<String, String> nodeOfHost = new HashMap<>();
    try {
      CommandRunner.Result created = slipway(Duration.ofMinutes(4), "cluster", "create", "-c", conf.toString());
      assertThat(created.exitCode()).as("cluster create: " + created.stdout() + created.stderr()).isZero();
      assertThat(Files.readString(slurmConf)).contains("\nSlurmctldTimeout=5\n").containsPattern("\nAuthInfo=socket=\\S+,cred_expire=30\n");
      List<String> daemons = new ArrayList<>();
      for (int i = 0; i < controllers.size(); i++) {
        daemons.add("http://" + network.subnet().address(2 + i) + ":" + port);
      }
      int leader = Integer.parseInt(awaitValue(Duration.ofSeconds(60), () -> {
        for (int i = 0; i < daemons.size(); i++) {
          if (health(daemons.get(i)).startsWith("ok leader")) {
            return Integer.toString(i);
          }
        }
        return null;
      }, "a daemon to lead", clusterDir, nodeOfHost, network, id));
      int standby = 1 - leader;
      // cluster create starts both daemons but does not wait for their JVMs: the second may still be starting.
      awaitValue(Duration.ofSeconds(60), () -> health(daemons.get(standby)).startsWith("ok standby") ? "standby" : null,
          "the other daemon to stand by", clusterDir, nodeOfHost, network, id);

      List<String> jobs = new ArrayList<>();
      jobs.add(sbatch(login, slurmConf, "-N2", "srun sleep 20"));
      jobs.add(sbatch(login, slurmConf, "-N1", "sleep 20"));
      jobs.add(sbatch(login, slurmConf, "-N1", "sleep 20"));
      // Mid-run, but not while a slurmd registers: Slurm 22.05 does not ping POWERING_UP nodes, so a
      // registration lost in the takeover window costs a resume timeout (see local-backend.md).
      awaitValue(Duration.ofMinutes(2), () -> jobs.stream().allMatch(j -> jobState(login, slurmConf, j).equals("RUNNING")) ? "running" : null,
          "the jobs to run", clusterDir, nodeOfHost, network, id);
      // Mid-run also means after slurmctld saved the start: it writes StateSaveLocation up to ~5 s
      // after a change, and a backup that recovers an older state launches the batch scripts again
      // ("Duplicate jobid", hosts DRAIN; seen when the kill came within a second of the start).
      Instant allRunning = Instant.now();
      awaitValue(Duration.ofSeconds(30), () -> Instant.now().isAfter(allRunning.plusSeconds(STATE_SAVE_LAG_SECONDS)) ? "saved" : null,
          "slurmctld to save the running jobs", clusterDir, nodeOfHost, network, id);

      long primaryCtld = pid(clusterDir.resolve("infra").resolve(controllers.get(0)).resolve("run").resolve("slurmctld.pid"));
      long leaderDaemon = pid(clusterDir.resolve("daemon").resolve("slipway-daemon-" + controllers.get(leader) + ".pid"));
      Instant killed = Instant.now();
      assertThat(RUNNER.run(List.of("kill", "-9", Long.toString(primaryCtld), Long.toString(leaderDaemon)), Duration.ofSeconds(10)).ok()).isTrue();

      awaitValue(Duration.ofSeconds(60), () -> {
        String ping = slurm(login, slurmConf, "scontrol", "ping").stdout();
        return ping.contains("Slurmctld(primary) at " + controllers.get(0) + " is DOWN")
            && ping.contains("Slurmctld(backup) at " + controllers.get(1) + " is UP")
            && slurm(login, slurmConf, "scontrol", "show", "job").ok() ? "backup" : null;
      }, "the backup slurmctld to answer with the primary down", clusterDir, nodeOfHost, network, id);
      Duration ctldTakeover = Duration.between(killed, Instant.now());
      awaitValue(Duration.ofSeconds(30), () -> Files.readString(clusterDir.resolve("infra").resolve(controllers.get(1)).resolve("log")
          .resolve("slurmctld.log")).contains("taking over") ? "log" : null, "the backup's log to say it took over", clusterDir, nodeOfHost, network, id);
      awaitValue(Duration.ofSeconds(40), () -> health(daemons.get(standby)).startsWith("ok leader") ? "leader" : null,
          "the standby daemon to lead", clusterDir, nodeOfHost, network, id);
      Duration daemonTakeover = Duration.between(killed, Instant.now());

      // After the kill: five nodes, so at least one more is resumed by the backup and joins the new leader.
      jobs.add(sbatch(login, slurmConf, "-N5", "srun hostname"));
      for (String job : jobs) {
        String state = awaitValue(Duration.ofMinutes(3), () -> {
          String st = jobState(login, slurmConf, job);
          return List.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL").contains(st) ? st : null;
        }, "job " + job + " to end", clusterDir, nodeOfHost, network, id);
        assertThat(state).as("job " + job + "; daemon logs:\n" + daemonLogs(clusterDir)).isEqualTo("COMPLETED");
      }
      sampleBindings(clusterDir, nodeOfHost, network, id);
      assertThat(nodeOfHost).as("hosts that were bound during the run").hasSizeGreaterThanOrEqualTo(4);
      System.out.printf("LocalHaClusterIT: slurmctld takeover %d s, daemon takeover %d s, whole test %d s%n", ctldTakeover.toSeconds(),
          daemonTakeover.toSeconds(), Duration.between(started, Instant.now()).toSeconds());
    } finally {
      keepLogs(clusterDir);
      CommandRunner.Result destroyed = slipway(Duration.ofMinutes(2), "cluster", "destroy", "-c", conf.toString());
      network.teardown(Duration.ofSeconds(5));
      assertThat(destroyed.exitCode()).as("cluster destroy: " + destroyed.stderr()).isZero();
    }
    assertThat(network.namespaces()).as("no namespace of the cluster is left").isEmpty();
    assertThat(RUNNER.run(List.of("sh", "-c", "ps -eo args | grep -F '" + clusterDir + "' | grep -v grep"), Duration.ofSeconds(10)).stdout())
        .as("no process of the cluster is left").isEmpty();
  }

  /**
   * One sample of "no host bound twice": in the store, no node is bound to two hosts (a host has
   * one binding row by construction); on the machine, no host runs slurmd in two node namespaces.
   * Records every host that was bound.
   */
  private static void sampleBindings(Path clusterDir, Map<String, String> nodeOfHost, LocalNetwork network, String id) {
    Path db = clusterDir.resolve("state").resolve("slipway.db");
    if (Files.exists(db)) {
      try (SqliteStateStore store = SqliteStateStore.open(db)) {
        Map<String, String> hostOfNode = new HashMap<>();
        for (HostBinding b : store.bindings().values()) {
          b.nodeId().ifPresent(node -> {
            String other = hostOfNode.put(node, b.host());
            assertThat(other).as("node " + node + " is bound to " + other + " and " + b.host()).isNull();
            nodeOfHost.put(b.host(), node);
          });
        }
      }
    }
    String infra = network.namespacePrefix() + id + "-";
    Map<String, String> nsOfHost = new HashMap<>();
    for (String ns : network.namespaces()) {
      if (ns.startsWith(infra)) {
        continue;
      }
      for (long pid : network.pids(ns)) {
        List<String> args;
        try {
          args = List.of(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).split("\0"));
        } catch (java.io.IOException gone) {
          continue;
        }
        int n = args.indexOf("-N");
        if (!args.isEmpty() && args.get(0).endsWith("slurmd") && n >= 0 && n + 1 < args.size()) {
          String other = nsOfHost.put(args.get(n + 1), ns);
          assertThat(other == null || other.equals(ns)).as("host " + args.get(n + 1) + " runs slurmd in " + other + " and " + ns).isTrue();
        }
      }
    }
  }

  private static String health(String base) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).timeout(Duration.ofSeconds(3)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return r.body().strip();
    } catch (java.io.IOException e) {
      return "unreachable";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private static long pid(Path pidFile) throws java.io.IOException {
    return Long.parseLong(Files.readString(pidFile).strip());
  }

  private static CommandRunner.Result slurm(String login, Path slurmConf, String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + login, "env", "SLURM_CONF=" + slurmConf));
    c.addAll(List.of(command));
    return RUNNER.run(c, Duration.ofSeconds(40));
  }

  private static String sbatch(String login, Path slurmConf, String nodes, String wrap) {
    CommandRunner.Result r = slurm(login, slurmConf, "sbatch", nodes, "-o", "/dev/null", "--wrap", wrap);
    assertThat(r.exitCode()).as("sbatch: " + r.stderr()).isZero();
    Matcher m = Pattern.compile("Submitted batch job (\\d+)").matcher(r.stdout());
    assertThat(m.find()).as(r.stdout()).isTrue();
    return m.group(1);
  }

  private static String jobState(String login, Path slurmConf, String job) {
    Matcher s = Pattern.compile("JobState=(\\S+)").matcher(slurm(login, slurmConf, "scontrol", "show", "job", job).stdout());
    return s.find() ? s.group(1) : "UNKNOWN";
  }

  private static CommandRunner.Result slipway(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return RUNNER.run(command, timeout);
  }

  /** Polls {@code probe} once a second, sampling the store's bindings each time, until it answers. */
  private static String awaitValue(Duration timeout, Probe probe, String what, Path clusterDir, Map<String, String> nodeOfHost,
      LocalNetwork network, String id) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      sampleBindings(clusterDir, nodeOfHost, network, id);
      String v = probe.get();
      if (v != null) {
        return v;
      }
      Thread.sleep(1000);
    }
    return fail("timed out after " + timeout.toSeconds() + " s waiting for " + what + "; daemon logs:\n" + daemonLogs(clusterDir));
  }

  private interface Probe {
    String get() throws Exception;
  }

  /** Copies the cluster's logs (daemons, slurmctlds) to target/ before destroy removes them. */
  private static void keepLogs(Path clusterDir) {
    Path kept = Path.of("target", "LocalHaClusterIT-logs").toAbsolutePath();
    RUNNER.run(List.of("sh", "-c", "rm -rf \"$1\" && mkdir -p \"$1\" && cp -r \"$2/log\" \"$1/cluster\"; for d in \"$2\"/infra/*/; do "
        + "cp -r \"$d/log\" \"$1/$(basename \"$d\")\"; done; true", "sh", kept.toString(), clusterDir.toString()), Duration.ofSeconds(30));
  }

  private static String daemonLogs(Path clusterDir) {
    try (Stream<Path> logs = Files.list(clusterDir.resolve("log"))) {
      return logs.filter(f -> f.getFileName().toString().startsWith("daemon-")).sorted().map(f -> f.getFileName() + ":\n" + tail(f))
          .reduce("", (a, b) -> a + b + "\n");
    } catch (java.io.IOException e) {
      return "(no daemon logs)";
    }
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (java.io.IOException e) {
      return "(no " + file + ")";
    }
  }
}
