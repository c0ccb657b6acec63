package dev.slipway.local.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalMungeTest {
  @TempDir Path cluster;
  private final FakeProcesses processes = new FakeProcesses();
  private final FakeTime time = new FakeTime();
  private final Ownership me = Ownership.of(System.getProperty("user.name"));

  private LocalMunge munge() {
    return new LocalMunge(MungeFiles.under(cluster), me, processes, time.waiting(), new Executables(List.of()), new SecureRandom());
  }

  @Test
  void ensureKey_writes1024RandomBytesReadableOnlyByTheOwner_inAPrivateDirectory() throws Exception {
    LocalMunge m = munge();
    m.ensureKey();
    Path key = m.files().key();
    assertThat(Files.size(key)).isEqualTo(1024);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("r--------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent()))).isEqualTo("rwx------");
    assertThat(Files.getOwner(key).getName()).isEqualTo(me.user());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(m.files().dir()))).isEqualTo("rwxr-xr-x");
  }

  @Test
  void ensureKey_keepsAnExistingKey_becauseNodesHoldCopies() throws Exception {
    LocalMunge m = munge();
    m.ensureKey();
    byte[] first = Files.readAllBytes(m.files().key());
    m.ensureKey();
    assertThat(Files.readAllBytes(m.files().key())).isEqualTo(first);
  }

  @Test
  void start_runsMungedAsTheMungeUserWithEveryFileUnderTheClusterDir_thenVerifies() throws Exception {
    LocalMunge m = munge();
    MungeFiles f = m.files();
    processes.results = c -> {
      if (c.get(0).equals("setpriv")) {
        writePid(f.pidFile(), 4242);
        processes.alive.put(4242L, "/usr/sbin/munged");
      }
      return new dev.slipway.slurm.CommandRunner.Result(0, "", "");
    };
    m.start();
    assertThat(processes.commands.get(0)).containsExactly("setpriv", "--reuid=" + me.user(), "--regid=" + me.user(), "--init-groups",
        "munged", "--socket=" + f.socket(), "--key-file=" + f.key(), "--pid-file=" + f.pidFile(),
        "--log-file=" + f.logFile(), "--seed-file=" + f.seedFile());
    assertThat(processes.commands.get(1)).startsWith("munge", "--no-input", "--socket=" + f.socket());
    assertThat(processes.commands.get(2)).startsWith("unmunge", "--socket=" + f.socket());
    assertThat(String.join(" ", processes.commands.stream().flatMap(List::stream).toList()))
        .doesNotContain(new String(Files.readAllBytes(f.key()), java.nio.charset.StandardCharsets.ISO_8859_1));
    m.start();
    assertThat(processes.commands.stream().filter(c -> c.get(0).equals("setpriv"))).as("second start keeps the running munged").hasSize(1);
  }

  @Test
  void start_whenUnmungeFails_saysSo() throws Exception {
    LocalMunge m = munge();
    writePid(m.files().pidFile(), 7);
    processes.alive.put(7L, "/usr/sbin/munged");
    processes.results = c -> c.get(0).equals("unmunge") ? new dev.slipway.slurm.CommandRunner.Result(1, "", "Invalid credential")
        : new dev.slipway.slurm.CommandRunner.Result(0, "", "");
    assertThatThrownBy(m::start).isInstanceOf(ServiceException.class).hasMessageContaining("unmunge rejected").hasMessageContaining("Invalid credential");
  }

  @Test
  void stop_terminatesByPid_andWaitsUntilTheProcessHasExited() throws Exception {
    LocalMunge m = munge();
    Files.createDirectories(m.files().dir());
    writePid(m.files().pidFile(), 55);
    processes.alive.put(55L, "/usr/sbin/munged");
    processes.termPolls.put(55L, 5);
    m.stop();
    assertThat(processes.signals).containsExactly("TERM 55");
    assertThat(processes.alive).doesNotContainKey(55L);
    assertThat(time.sleeps).isPositive();
    assertThat(m.files().pidFile()).doesNotExist();
  }

  @Test
  void stop_ofAProcessThatIgnoresSigterm_killsIt() throws Exception {
    LocalMunge m = munge();
    Files.createDirectories(m.files().dir());
    writePid(m.files().pidFile(), 56);
    processes.alive.put(56L, "/usr/sbin/munged");
    processes.termPolls.put(56L, Integer.MAX_VALUE);
    m.stop();
    assertThat(processes.signals).containsExactly("TERM 56", "KILL 56");
  }

  @Test
  void stop_withAStalePidFileNamingAnotherProgram_signalsNothing() throws Exception {
    LocalMunge m = munge();
    Files.createDirectories(m.files().dir());
    writePid(m.files().pidFile(), 57);
    processes.alive.put(57L, "/usr/bin/bash");
    m.stop();
    assertThat(processes.signals).isEmpty();
    assertThat(processes.alive).containsKey(57L);
  }

  static void writePid(Path file, long pid) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, pid + "\n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
