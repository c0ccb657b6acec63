package dev.slipway.local.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.model.Secret;
import dev.slipway.slurm.CommandRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalAccountingTest {
  @TempDir Path cluster;
  private final FakeProcesses processes = new FakeProcesses();
  private final FakeTime time = new FakeTime();
  private static final String PASSWORD = "o'k\\$x#\"y";

  private LocalAccounting accounting() {
    AccountingSettings s = SlurmdbdConfTest.settings(PASSWORD);
    AccountingSettings settings = new AccountingSettings(s.clusterName(), cluster.resolve("etc/slurm.conf"), s.endpoint(),
        s.mungeSocket(), cluster.resolve("log"), Secret.of(PASSWORD), s.account(), Optional.of("alice"));
    return new LocalAccounting(settings, AccountingFiles.under(cluster), Ownership.of(System.getProperty("user.name")),
        processes, time.waiting(), new Executables(List.of()));
  }

  @Test
  void createDatabaseAndUser_sendsThePasswordOnlyInAPrivateFileThatIsDeletedAfterwards() throws Exception {
    Files.createDirectories(cluster.resolve("accounting"));
    String[] script = new String[1];
    processes.results = c -> {
      String source = c.stream().filter(a -> a.startsWith("--execute=SOURCE ")).findFirst().orElse(null);
      if (source != null) {
        try {
          Path file = Path.of(source.substring("--execute=SOURCE ".length()));
          assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
          script[0] = Files.readString(file);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      return new Result(0, "", "");
    };
    accounting().createDatabaseAndUser();
    assertThat(script[0]).contains("IDENTIFIED BY 'o\\'k\\\\$x#\"y'");
    assertThat(processes.commands).allSatisfy(c -> assertThat(String.join(" ", c)).doesNotContain("o'k"));
    assertThat(processes.commands.get(0)).startsWith("mariadb", "--defaults-file=" + AccountingFiles.under(cluster).clientOptions());
    assertThat(AccountingFiles.under(cluster).setupScript()).doesNotExist();
  }

  @Test
  void slurmdbd_startsWithTheClusterSlurmConfAndDatabaseSocket_inTheEnvironmentNotAsArguments() {
    AccountingFiles f = AccountingFiles.under(cluster);
    assertThat(accounting().slurmdbdCommand()).containsExactly("env", "SLURM_CONF=" + cluster.resolve("etc/slurm.conf"),
        "MYSQL_UNIX_PORT=" + f.socket(), "slurmdbd");
    assertThat(accounting().mariadbdCommand()).contains("--no-defaults", "--skip-networking", "--datadir=" + f.dataDir(),
        "--socket=" + f.socket(), "--pid-file=" + f.mariadbPidFile());
  }

  @Test
  void register_addsOnlyWhatIsMissing_withTheSanitizedClusterName() {
    boolean[] accountAdded = {false};
    processes.results = c -> {
      String line = String.join(" ", c);
      if (line.contains("show cluster")) return new Result(0, "my_cluster\n", "");
      if (line.contains("show account")) return new Result(0, accountAdded[0] ? "compute-account\n" : "", "");
      if (line.contains("add account")) {
        accountAdded[0] = true;
        return new Result(0, "", "");
      }
      if (line.contains("show association")) return new Result(0, "alice\n", "");
      return new Result(0, "", "");
    };
    accounting().register();
    List<String> adds = processes.commands.stream().map(c -> String.join(" ", c)).filter(l -> l.contains(" add ")).toList();
    assertThat(adds).containsExactly("env SLURM_CONF=" + cluster.resolve("etc/slurm.conf")
        + " sacctmgr -i add account compute-account Description=Compute accounts Organization=my_cluster");
  }

  @Test
  void register_whenSlurmdbdNeverAnswers_givesUpAfterABoundedTime_withSacctmgrsReason() {
    processes.results = c -> new Result(1, "", "sacctmgr: error: Problem talking to the database: Connection refused");
    assertThatThrownBy(() -> accounting().register()).isInstanceOf(ServiceException.class)
        .hasMessageContaining("could not register cluster my_cluster within 30 s").hasMessageContaining("Connection refused");
    assertThat(time.instant()).isBefore(java.time.Instant.parse("2026-01-01T00:00:31Z"));
  }

  @Test
  void stop_stopsSlurmdbdThenMariadb_byPid() throws Exception {
    AccountingFiles f = AccountingFiles.under(cluster);
    LocalMungeTest.writePid(f.slurmdbdPidFile(), 11);
    LocalMungeTest.writePid(f.mariadbPidFile(), 12);
    processes.alive.put(11L, "/usr/sbin/slurmdbd");
    processes.alive.put(12L, "/usr/sbin/mariadbd");
    LocalAccounting a = accounting();
    a.stop();
    assertThat(processes.signals).containsExactly("TERM 11", "TERM 12");
    assertThat(a.isRunning()).isFalse();
    a.stop();
    assertThat(processes.signals).as("a second stop has nothing to do").hasSize(2);
  }
}
