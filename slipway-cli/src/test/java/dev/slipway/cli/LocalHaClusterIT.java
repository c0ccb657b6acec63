package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.tls.DaemonIdentity;
import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.spi.HostBinding;
import dev.slipway.store.sqlite.SqliteStateStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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

  /** How long slurmctld may take to write a change to StateSaveLocation (Slurm 22.05, state_save.c), plus a second. */
  private static final long STATE_SAVE_LAG_SECONDS = 6;

  @BeforeAll
  static void requireMachine() {
    LocalTestCluster.requireMachine(List.of("slurmctld", "slurmd", "munged", "sshd", "scontrol", "sbatch", "srun", "nsenter", "unshare",
        "ip", "ssh-keygen", "curl"), "slurmctld slurmd slurm-client munge openssh-server openssh-client iproute2 util-linux curl");
  }

  @Test
  void killingThePrimarySlurmctldAndTheLeadingDaemon_midRun_theBackupsTakeOver_andEveryJobCompletes() throws Exception {
    Instant started = Instant.now();
    LocalTestCluster cluster = LocalTestCluster.configure(getClass().getSimpleName(), "ha", 224, names -> """
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
        """);
    String id = cluster.id();
    Path clusterDir = cluster.clusterDir();
    LocalNetwork network = cluster.network();
    List<String> controllers = List.of(id + "-controller-vm000", id + "-controller-vm001");
    Map<String, String> nodeOfHost = new HashMap<>();
    try {
      cluster.create();
      assertThat(Files.readString(cluster.slurmConf())).contains("\nSlurmctldTimeout=5\n")
          .containsPattern("\nAuthInfo=socket=\\S+,cred_expire=30\n");
      List<String> daemons = new ArrayList<>();
      for (int i = 0; i < controllers.size(); i++) {
        daemons.add("https://" + network.subnet().address(2 + i) + ":" + cluster.port());
      }
      // Both daemons serve the one key 'cluster create' made; a client trusts it by its pin alone.
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
          .sslContext(DaemonIdentity.pinnedClientContext(DaemonIdentity.readPin(clusterDir.resolve("secrets")))).build();
      int leader = Integer.parseInt(awaitSampling(cluster, nodeOfHost, Duration.ofSeconds(60), () -> {
        for (int i = 0; i < daemons.size(); i++) {
          if (health(http, daemons.get(i)).startsWith("ok leader")) {
            return Integer.toString(i);
          }
        }
        return null;
      }, "a daemon to lead"));
      int standby = 1 - leader;
      // cluster create starts both daemons but does not wait for their JVMs: the second may still be starting.
      awaitSampling(cluster, nodeOfHost, Duration.ofSeconds(60), () -> health(http, daemons.get(standby)).startsWith("ok standby") ? "standby" : null,
          "the other daemon to stand by");

      List<String> jobs = new ArrayList<>();
      jobs.add(sbatch(cluster, "-N2", "srun sleep 20"));
      jobs.add(sbatch(cluster, "-N1", "sleep 20"));
      jobs.add(sbatch(cluster, "-N1", "sleep 20"));
      // Mid-run, but not while a slurmd registers: Slurm 22.05 does not ping POWERING_UP nodes, so a
      // registration lost in the takeover window costs a resume timeout (see local-backend.md).
      awaitSampling(cluster, nodeOfHost, Duration.ofMinutes(2),
          () -> jobs.stream().allMatch(j -> jobState(cluster, j).equals("RUNNING")) ? "running" : null, "the jobs to run");
      // Mid-run also means after slurmctld saved the start: it writes StateSaveLocation up to ~5 s
      // after a change, and a backup that recovers an older state launches the batch scripts again
      // ("Duplicate jobid", hosts DRAIN; seen when the kill came within a second of the start).
      Instant allRunning = Instant.now();
      awaitSampling(cluster, nodeOfHost, Duration.ofSeconds(30),
          () -> Instant.now().isAfter(allRunning.plusSeconds(STATE_SAVE_LAG_SECONDS)) ? "saved" : null, "slurmctld to save the running jobs");

      long primaryCtld = pid(clusterDir.resolve("infra").resolve(controllers.get(0)).resolve("run").resolve("slurmctld.pid"));
      long leaderDaemon = pid(clusterDir.resolve("daemon").resolve("slipway-daemon-" + controllers.get(leader) + ".pid"));
      Instant killed = Instant.now();
      assertThat(LocalTestCluster.RUNNER.run(List.of("kill", "-9", Long.toString(primaryCtld), Long.toString(leaderDaemon)),
          Duration.ofSeconds(10)).ok()).isTrue();

      awaitSampling(cluster, nodeOfHost, Duration.ofSeconds(60), () -> {
        String ping = cluster.slurm("scontrol", "ping");
        return ping.contains("Slurmctld(primary) at " + controllers.get(0) + " is DOWN")
            && ping.contains("Slurmctld(backup) at " + controllers.get(1) + " is UP")
            && cluster.slurm(Duration.ofSeconds(40), "scontrol", "show", "job").ok() ? "backup" : null;
      }, "the backup slurmctld to answer with the primary down");
      Duration ctldTakeover = Duration.between(killed, Instant.now());
      awaitSampling(cluster, nodeOfHost, Duration.ofSeconds(30), () -> Files.readString(clusterDir.resolve("infra").resolve(controllers.get(1))
          .resolve("log").resolve("slurmctld.log")).contains("taking over") ? "log" : null, "the backup's log to say it took over");
      awaitSampling(cluster, nodeOfHost, Duration.ofSeconds(40), () -> health(http, daemons.get(standby)).startsWith("ok leader") ? "leader" : null,
          "the standby daemon to lead");
      Duration daemonTakeover = Duration.between(killed, Instant.now());

      // After the kill: five nodes, so at least one more is resumed by the backup and joins the new leader.
      jobs.add(sbatch(cluster, "-N5", "srun hostname"));
      for (String job : jobs) {
        String state = awaitSampling(cluster, nodeOfHost, Duration.ofMinutes(3), () -> {
          String st = jobState(cluster, job);
          return LocalTestCluster.ENDED.contains(st) ? st : null;
        }, "job " + job + " to end");
        assertThat(state).as("job " + job + "; daemon logs:\n" + cluster.daemonLogs()).isEqualTo("COMPLETED");
      }
      sampleBindings(clusterDir, nodeOfHost, network, id);
      assertThat(nodeOfHost).as("hosts that were bound during the run").hasSizeGreaterThanOrEqualTo(4);
      System.out.printf("LocalHaClusterIT: slurmctld takeover %d s, daemon takeover %d s, whole test %d s%n", ctldTakeover.toSeconds(),
          daemonTakeover.toSeconds(), Duration.between(started, Instant.now()).toSeconds());
      CommandRunner.Result destroyed = cluster.destroy();
      assertThat(destroyed.exitCode()).as("cluster destroy: " + destroyed.stderr()).isZero();
      cluster.assertNothingLeft();
    } finally {
      cluster.close();
    }
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

  private static String health(HttpClient http, String base) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).timeout(Duration.ofSeconds(3)).GET().build(),
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

  private static String sbatch(LocalTestCluster cluster, String nodes, String wrap) {
    return cluster.sbatch(Optional.empty(), nodes, "-o", "/dev/null", "--wrap", wrap);
  }

  private static String jobState(LocalTestCluster cluster, String job) {
    String state = cluster.jobField(job, "JobState");
    return state.isEmpty() ? "UNKNOWN" : state;
  }

  /** Waits as the fixture does, sampling the store's bindings before each poll. */
  private static String awaitSampling(LocalTestCluster cluster, Map<String, String> nodeOfHost, Duration timeout,
      LocalTestCluster.Probe probe, String what) throws InterruptedException {
    return cluster.awaitValue(timeout, () -> {
      sampleBindings(cluster.clusterDir(), nodeOfHost, cluster.network(), cluster.id());
      return probe.get();
    }, what);
  }
}
