package dev.slipway.local.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigLoader;
import dev.slipway.slurm.ProcessCommandRunner;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.spi.ClusterStatus;
import dev.slipway.spi.EngineEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real local cluster: one controller (or an HA pair), one login node with sshd, one partition
 * with a netns pool, no accounting. Needs root, iproute2, util-linux, slurmctld, slurm-client,
 * munge and openssh-server; skips with the reason otherwise.
 */
class LocalClusterIT {
  static final CommandRunner RUNNER = new ProcessCommandRunner();

  @TempDir Path tmp;
  private LocalProvisioner provisioner;
  private final List<EngineEvent> events = new ArrayList<>();
  private final List<Long> pids = new ArrayList<>();

  @BeforeAll
  static void requireMachine() {
    assumeThat(System.getProperty("user.name")).as("local clusters need root (namespaces, mounts)").isEqualTo("root");
    for (String tool : List.of("slurmctld", "munged", "sshd", "scontrol", "sinfo", "nsenter", "unshare", "ip", "ssh-keygen", "ssh")) {
      assumeThat(RUNNER.run(List.of("sh", "-c", "command -v " + tool + " || test -x /usr/sbin/" + tool), Duration.ofSeconds(10)).ok())
          .as("local cluster test needs " + tool + " (Debian: slurmctld slurm-client munge openssh-server openssh-client iproute2 util-linux)")
          .isTrue();
    }
  }

  private LocalProvisioner cluster(String id, int controllers) throws Exception {
    return cluster(id, controllers, false);
  }

  private LocalProvisioner cluster(String id, int controllers, boolean accounting) throws Exception {
    // munged wants every directory above its socket searchable by all; JUnit makes tmp 0700.
    Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path conf = tmp.resolve("conf");
    Files.createDirectories(conf);
    String yaml = """
        slurm:
          cluster_id: %s
          controller:
            ssh:
              username: root
            vm_size: standard_d2s_v3
            vm_count: %d
          login:
            ssh:
              username: root
            vm_size: standard_d2s_v3
            vm_count: 1
          shared_data_volumes:
            shared:
              host_mount_path: %s
              store_slurmctld_state: true
          slurm_options:
            idle_reclaim_time: 00:01:00
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
          accounting: %s
          local:
            subnet: 10.214.%d.0/24
            state_dir: %s
        """.formatted(id, controllers, tmp.resolve("mnt-shared"), accounting, ThreadLocalRandom.current().nextInt(256), tmp.resolve("cluster"));
    Files.writeString(conf.resolve("slurm.yaml"), yaml, StandardCharsets.UTF_8);
    ClusterConfig config = new ConfigLoader(name -> true).loadDirectory(conf).config();
    provisioner = LocalProvisioner.onThisMachine(config, tmp.resolve("cluster"), RUNNER);
    return provisioner;
  }

  @AfterEach
  void destroyWhatever() throws Exception {
    if (provisioner != null) {
      provisioner.destroy(events::add);
    }
    for (long pid : pids) {
      RUNNER.run(List.of("kill", "-KILL", Long.toString(pid)), Duration.ofSeconds(5));
    }
  }

  private String login(String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + provisioner.namespaceOf(loginName()), "env",
        "SLURM_CONF=" + provisioner.paths().slurmConf()));
    c.addAll(List.of(command));
    CommandRunner.Result r = RUNNER.run(c, Duration.ofSeconds(30));
    assertThat(r.exitCode()).as(String.join(" ", command) + ": " + r.stderr()).isZero();
    return r.stdout();
  }

  private String loginName() {
    return provisioner.status().logins().get(0).name();
  }

  @Test
  void withAccounting_sacctAnswersOnTheLoginNode_acrossSuspendAndStart_andDestroyStopsTheDatabase() throws Exception {
    for (String tool : List.of("slurmdbd", "mariadbd", "sacctmgr")) {
      assumeThat(RUNNER.run(List.of("sh", "-c", "command -v " + tool + " || test -x /usr/sbin/" + tool), Duration.ofSeconds(10)).ok())
          .as("accounting needs " + tool + " (Debian: slurmdbd mariadb-server slurm-client)").isTrue();
    }
    LocalProvisioner p = cluster("lcdb" + Long.toHexString(System.nanoTime() & 0xffffff), 1, true);
    p.create(events::add);
    assertThat(login("scontrol", "show", "config")).containsPattern("AccountingStorageType\\s*=\\s*accounting_storage/slurmdbd");
    String clusterName = login("sacctmgr", "-n", "-P", "show", "cluster", "format=cluster");
    assertThat(clusterName.strip()).isEqualTo(p.status().clusterId().toLowerCase(java.util.Locale.ROOT));
    p.suspend(events::add);
    p.start(events::add);
    assertThat(login("sacctmgr", "-n", "-P", "show", "cluster", "format=cluster")).isEqualTo(clusterName);
    p.destroy(events::add);
    assertThat(RUNNER.run(List.of("sh", "-c", "ps -eo args | grep -F '" + tmp + "' | grep -v grep"), Duration.ofSeconds(10)).stdout())
        .as("no process of the cluster (MariaDB, slurmdbd) is left").isEmpty();
  }

  @Test
  void haPair_bothControllersAnswer_andTheBackupTakesOverWhenThePrimaryStops() throws Exception {
    LocalProvisioner p = cluster("lcha" + Long.toHexString(System.nanoTime() & 0xffffff), 2);
    p.create(events::add);
    ClusterStatus status = p.status();
    assertThat(status.controllers()).extracting(ClusterStatus.Machine::state).containsExactly("primary UP", "backup UP");
    status.controllers().forEach(m -> pids.add(m.pid().orElseThrow()));
    // Each controller has its own pid file and log behind the same paths.
    for (ClusterStatus.Machine m : status.controllers()) {
      assertThat(ProvisionContext.readPid(p.paths().infraRun(m.name()).resolve("slurmctld.pid"))).contains(m.pid().orElseThrow());
      assertThat(p.paths().infraLog(m.name()).resolve("slurmctld.log")).exists();
    }
    long primary = status.controllers().get(0).pid().orElseThrow();
    RUNNER.run(List.of("kill", "-KILL", Long.toString(primary)), Duration.ofSeconds(5));
    // slurm.conf keeps Slurm's default SlurmctldTimeout (120 s): the backup takes over after that.
    java.time.Instant deadline = java.time.Instant.now().plusSeconds(200);
    CommandRunner.Result sinfo;
    do {
      Thread.sleep(2000);
      sinfo = RUNNER.run(List.of("nsenter", "--net=/run/netns/" + p.namespaceOf(loginName()), "env",
          "SLURM_CONF=" + p.paths().slurmConf(), "sinfo", "-h", "-o", "%P"), Duration.ofSeconds(20));
    } while (!sinfo.ok() && java.time.Instant.now().isBefore(deadline));
    assertThat(sinfo.stdout()).isEqualTo("debug*\n");
    assertThat(login("scontrol", "ping")).contains("Slurmctld(primary) at " + status.controllers().get(0).name() + " is DOWN")
        .contains("Slurmctld(backup) at " + status.controllers().get(1).name() + " is UP");
  }

  @Test
  void create_suspend_start_destroy_leavesNothingBehind() throws Exception {
    String id = "lcit" + Long.toHexString(System.nanoTime() & 0xffffff);
    LocalProvisioner p = cluster(id, 1);
    p.create(events::add);

    ClusterStatus status = p.status();
    assertThat(status.phase()).isEqualTo("running");
    assertThat(status.controllers()).singleElement().satisfies(m -> assertThat(m.state()).isEqualTo("primary UP"));
    assertThat(status.logins()).singleElement().satisfies(m -> assertThat(m.state()).isEqualTo("running"));
    assertThat(status.partitions()).singleElement().satisfies(part -> assertThat(part.pools()).singleElement()
        .satisfies(pool -> assertThat(pool.poweredDown()).isEqualTo(4)));
    status.controllers().forEach(m -> pids.add(m.pid().orElseThrow()));
    status.logins().forEach(m -> pids.add(m.pid().orElseThrow()));

    assertThat(login("scontrol", "ping")).contains("is UP");
    assertThat(login("sinfo", "-h", "-o", "%P %D")).contains("debug* 4");
    // sshd listens on the login node's address only, and the shared volume is visible there.
    String sshd = login("sh", "-c", "cat /proc/net/tcp");
    assertThat(sshd).contains(":0016");
    Path mountPath = tmp.resolve("mnt-shared");
    Files.writeString(p.paths().shared("shared").resolve("hello"), "hi");
    long sshdPid = status.logins().get(0).pid().orElseThrow();
    CommandRunner.Result seen = RUNNER.run(List.of("nsenter", "-t", Long.toString(sshdPid), "-m", "cat", mountPath.resolve("hello").toString()),
        Duration.ofSeconds(10));
    assertThat(seen.stdout()).isEqualTo("hi");
    assertThat(Files.exists(mountPath.resolve("hello"))).as("the host's own mount path stays untouched").isFalse();

    // The cluster user's key logs in to the login node's real sshd, which knows SLURM_CONF.
    CommandRunner.Result ssh = RUNNER.run(List.of("ssh", "-i", p.userPrivateKey().toString(), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
        "-o", "UserKnownHostsFile=" + p.paths().knownHosts(), "-o", "StrictHostKeyChecking=yes",
        "root@" + status.logins().get(0).address(), "hostname; sinfo -h -o %P"), Duration.ofSeconds(30));
    assertThat(ssh.exitCode()).as(ssh.stderr()).isZero();
    assertThat(ssh.stdout()).isEqualTo(status.logins().get(0).name() + "\ndebug*\n");

    p.suspend(events::add);
    ClusterStatus suspended = p.status();
    assertThat(suspended.phase()).isEqualTo("suspended");
    assertThat(suspended.controllers()).allSatisfy(m -> assertThat(m.state()).isEqualTo("stopped"));
    for (long pid : pids) {
      assertThat(Procfs.REAL.alive(pid)).as("pid " + pid + " after suspend").isFalse();
    }

    p.start(events::add);
    assertThat(p.status().controllers()).allSatisfy(m -> assertThat(m.state()).isEqualTo("primary UP"));
    p.status().controllers().forEach(m -> pids.add(m.pid().orElseThrow()));
    p.status().logins().forEach(m -> pids.add(m.pid().orElseThrow()));
    String bridge = p.bridgeName();

    p.destroy(events::add);
    assertThat(p.status().phase()).isEqualTo("absent");
    for (long pid : pids) {
      assertThat(Procfs.REAL.alive(pid)).as("pid " + pid + " after destroy").isFalse();
    }
    assertThat(RUNNER.run(List.of("ip", "netns", "list"), Duration.ofSeconds(10)).stdout()).doesNotContain(bridge);
    assertThat(RUNNER.run(List.of("ip", "-o", "link", "show"), Duration.ofSeconds(10)).stdout()).doesNotContain(bridge);
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(tmp.toString());
    assertThat(tmp.resolve("cluster")).doesNotExist();
    assertThat(mountPath).doesNotExist();
  }
}
