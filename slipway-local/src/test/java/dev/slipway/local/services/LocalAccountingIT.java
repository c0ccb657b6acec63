package dev.slipway.local.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigFiles;
import dev.slipway.config.ConfigLoader;
import dev.slipway.config.KnownVmSizes;
import dev.slipway.model.Secret;
import dev.slipway.slurm.CommandRunner.Result;
import dev.slipway.slurm.RenderedSlurmConf;
import dev.slipway.slurm.SlurmConfRenderer;
import dev.slipway.slurm.SlurmLayout;
import dev.slipway.slurm.SlurmLayout.AccountingEndpoint;
import dev.slipway.slurm.SlurmLayout.ControllerHost;
import dev.slipway.slurm.VmSizeCatalog;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The cluster's own munged, MariaDB and slurmdbd for real, with a real slurmctld rendered with
 * accounting on free ports: the cluster ends up registered, the password (quotes, backslash, $ and
 * #) survives SQL and slurmdbd.conf, start is idempotent and stop leaves no process. Everything is
 * stopped by PID in {@code finally}, even when an assertion fails.
 */
class LocalAccountingIT {
  private static final String PASSWORD = "o'k\\$x#\"y";
  private final OsProcesses os = new OsProcesses();
  private final Executables exe = Executables.standard();

  @Test
  void accounting_registersTheCluster_andSlurmctldReportsToIt() throws Exception {
    assumeTrue(isRoot(), "needs root: munged runs as munge, MariaDB as mysql, Slurm as root");
    for (String program : List.of("munged", "munge", "unmunge", "setpriv", "mariadbd", "mariadb-install-db", "mariadb",
        "slurmdbd", "slurmctld", "sacctmgr", "scontrol")) {
      assumeTrue(exe.find(program).isPresent(), "needs " + program + " (scripts/install-prereqs.sh installs the packages)");
    }
    assumeTrue(os.run(List.of("id", "munge")).ok() && os.run(List.of("id", "mysql")).ok(), "needs the munge and mysql users");

    Path dir = Files.createTempDirectory("slipway-accounting-it");
    // munge and mysql must pass through the cluster directory.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    LocalMunge munge = LocalMunge.forCluster(dir);
    LocalAccounting accounting = null;
    Process slurmctld = null;
    try {
      ClusterConfig config = config(dir);
      String hostname = os.run(List.of("hostname", "-s")).stdout().strip();
      SlurmLayout layout = SlurmLayout.forLocal(config, dir, List.of("127.0.0.1"))
          .withControllers(List.of(ControllerHost.of(hostname, "127.0.0.1")))
          .withSlurmctldPort(freePort())
          .withSlurmdPort(freePort())
          .withAccounting(new AccountingEndpoint("127.0.0.1", freePort()))
          .withMungeSocket(munge.files().socket());
      RenderedSlurmConf rendered = new SlurmConfRenderer(VmSizeCatalog.shipped()).render(config, layout);
      Path etc = Files.createDirectories(dir.resolve("etc"));
      for (var file : rendered.files().entrySet()) {
        Files.writeString(etc.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
      }
      Path slurmConf = etc.resolve(RenderedSlurmConf.SLURM_CONF);

      munge.start();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(munge.files().key()))).isEqualTo("r--------");
      assertThat(Files.getOwner(munge.files().key()).getName()).isEqualTo("munge");

      AccountingSettings base = AccountingSettings.of(config, layout, slurmConf, munge.files().socket(), new SecureRandom());
      AccountingSettings settings = new AccountingSettings(base.clusterName(), base.slurmConf(), base.endpoint(),
          base.mungeSocket(), base.logDir(), Secret.of(PASSWORD), base.account(), base.clusterUser());
      accounting = LocalAccounting.forCluster(dir, settings);
      accounting.start();

      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(settings.slurmdbdConf()))).isEqualTo("rw-------");
      assertThat(AccountingFiles.under(dir).setupScript()).doesNotExist();
      assertThat(sacctmgr(slurmConf, "-n", "-P", "show", "cluster", "format=cluster").stdout().lines())
          .contains("svc_it_acct");
      assertThat(sacctmgr(slurmConf, "-n", "-P", "show", "association", "where", "cluster=svc_it_acct", "format=account,user")
          .stdout().lines()).contains("compute-account|alice");

      // Idempotent: a second start keeps the daemons and registers nothing twice.
      long dbdPid = new Daemon("slurmdbd", AccountingFiles.under(dir).slurmdbdPidFile()).runningPid(os).orElseThrow();
      accounting.start();
      assertThat(new Daemon("slurmdbd", AccountingFiles.under(dir).slurmdbdPidFile()).runningPid(os)).contains(dbdPid);

      // slurmctld with accounting on: it registers with slurmdbd through the cluster's munged.
      for (Path d : List.of(layout.stateSaveLocation(), layout.logDir(), layout.pidDir())) {
        Files.createDirectories(d);
      }
      slurmctld = new ProcessBuilder(exe.path("slurmctld"), "-D", "-i", "-f", slurmConf.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("slurmctld.out").toFile()).start();
      Process ctld = slurmctld;
      boolean registered = Waiting.real().until(Duration.ofSeconds(60), () -> ctld.isAlive()
          && sacctmgr(slurmConf, "-n", "-P", "show", "cluster", "format=cluster,controlport").stdout().lines()
              .anyMatch(l -> l.startsWith("svc_it_acct|") && !l.endsWith("|0") && !l.endsWith("|")));
      assertThat(registered).as("slurmctld registered with slurmdbd; slurmctld log:%n%s", tail(dir.resolve("slurmctld.out"))).isTrue();

      stop(slurmctld);
      slurmctld = null;
      accounting.stop();
      munge.stop();
      assertThat(accounting.isRunning()).isFalse();
      assertThat(munge.isRunning()).isFalse();
    } finally {
      if (slurmctld != null) stop(slurmctld);
      try {
        if (accounting != null) accounting.stop();
      } finally {
        munge.stop();
        deleteTree(dir);
      }
    }
  }

  private Result sacctmgr(Path slurmConf, String... args) {
    List<String> command = new ArrayList<>(List.of("env", "SLURM_CONF=" + slurmConf, exe.path("sacctmgr")));
    command.addAll(List.of(args));
    return os.run(command, Duration.ofSeconds(30));
  }

  private static ClusterConfig config(Path dir) throws IOException {
    Path yaml = dir.resolve("slurm.yaml");
    Files.writeString(yaml, String.join("\n",
        "slurm:",
        "  cluster_id: svc-it-acct",
        "  controller: {ssh: {username: admin}, vm_size: standard_d2_v2, vm_count: 1}",
        "  login: {ssh: {username: alice}, vm_size: standard_d2_v2, vm_count: 1}",
        "  slurm_options:",
        "    idle_reclaim_time: 00:30:00",
        "    elastic_partitions:",
        "      debug:",
        "        default: true",
        "        batch_pools:",
        "          pool: {compute_node_type: dedicated, max_compute_nodes: 2, weight: 0}",
        "slipway: {backend: local, accounting: true}",
        ""));
    return new ConfigLoader(KnownVmSizes.none()).load(ConfigFiles.none().withSlurm(yaml)).config();
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static boolean isRoot() {
    try {
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no " + file + ")";
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
