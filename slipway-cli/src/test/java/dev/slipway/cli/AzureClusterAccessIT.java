package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.azure.arm.ArmPlan;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigLoader;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import dev.slipway.slurm.SlurmLayout;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/**
 * {@code slipway cluster logs} and {@code cluster ssh controller} of an azure cluster, end to end
 * with the real ssh client: a real sshd in a network namespace (10.223.x.0/24) stands in for the
 * primary controller VM, in a private mount namespace whose tmpfs at {@code /azfile-slurm} and
 * {@code /var/log/slurm} hold the logs where {@code AzureLogLayout} puts them. Only ARM's answer
 * (the controller's address) is faked; the key is a configured key pair and first contact is
 * recorded in the cluster's known_hosts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AzureClusterAccessIT {
  private static final CommandRunner RUNNER = new ProcessCommandRunner();
  private static final Path AZURE = Path.of("..", "slipway-azure", "src", "test", "resources", "arm", "fixtures", "azure");
  private static final Path SHARE = Path.of("/azfile-slurm");

  private Path tmp;
  private final int net = ThreadLocalRandom.current().nextInt(1, 255);
  private final String id = "azl" + ThreadLocalRandom.current().nextInt(1000, 10000);
  private final String netns = "slipway-" + id;
  private final String hostVeth = id + "h";
  private final String address = "10.223." + net + ".2";
  private boolean madeShareDir;
  private Process sshd;
  private ClusterConfig config;
  private String marker;

  @BeforeAll
  void startAControllerStandIn() throws Exception {
    assumeThat(System.getProperty("user.name")).as("namespaces and mounts need root").isEqualTo("root");
    for (String tool : List.of("ssh", "sshd", "ssh-keygen", "ip", "unshare")) {
      assumeThat(RUNNER.run(List.of("sh", "-c", "command -v " + tool + " || test -x /usr/sbin/" + tool), Duration.ofSeconds(10)).ok())
          .as(tool + " is installed").isTrue();
    }
    tmp = Files.createTempDirectory("slipway-azlogs-");
    marker = "marker-" + id + "-" + Instant.now().toEpochMilli();
    try {
      Path key = tmp.resolve("admin_key");
      Path hostKey = tmp.resolve("host_key");
      run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "admin@" + id, "-f", key.toString());
      run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey.toString());
      Files.copy(Path.of(key + ".pub"), tmp.resolve("authorized_keys"));
      config = writeConfig(key);

      run("ip", "netns", "add", netns);
      run("ip", "link", "add", hostVeth, "type", "veth", "peer", "name", id + "n");
      run("ip", "link", "set", id + "n", "netns", netns);
      run("ip", "addr", "add", "10.223." + net + ".1/24", "dev", hostVeth);
      run("ip", "link", "set", hostVeth, "up");
      run("ip", "netns", "exec", netns, "ip", "addr", "add", address + "/24", "dev", id + "n");
      run("ip", "netns", "exec", netns, "ip", "link", "set", id + "n", "up");
      run("ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up");

      Files.writeString(tmp.resolve("sshd_config"), String.join("\n", "ListenAddress " + address, "HostKey " + hostKey,
          "PidFile " + tmp.resolve("sshd.pid"), "AuthorizedKeysFile " + tmp.resolve("authorized_keys"), "StrictModes no",
          "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password", "UsePAM no",
          "LogLevel VERBOSE", ""));
      if (!Files.isDirectory(SHARE)) {
        Files.createDirectory(SHARE);
        madeShareDir = true;
      }
      String ctl = SlurmLayout.controllerNames(id, 2).get(0);
      var layout = AzureClusters.logLayout(config);
      String logs = layout.sharedDir();
      // Private mounts: the share, the controller's own log directory and sshd's /run exist only for this sshd.
      String script = String.join("\n", "set -e", "mount -t tmpfs tmpfs /run", "mkdir -m 0755 /run/sshd",
          "mount -t tmpfs tmpfs " + SHARE, "mount -t tmpfs tmpfs /var/log/slurm", "mkdir -p " + logs,
          "echo 'slurmctld: " + marker + " ctld' > " + layout.slurmctldLog(),
          "echo 'daemon: " + marker + " daemon' > " + layout.daemonLog(ctl),
          "echo 'power: " + marker + " power' > " + layout.powerLog(ctl),
          "exec /usr/sbin/sshd -D -e -f " + tmp.resolve("sshd_config"));
      sshd = new ProcessBuilder("ip", "netns", "exec", netns, "unshare", "-m", "--propagation", "private", "sh", "-c", script)
          .redirectErrorStream(true).redirectOutput(tmp.resolve("sshd.log").toFile()).start();
      awaitPort();
    } catch (Exception | AssertionError e) {
      tearDown();
      throw e;
    }
  }

  private ClusterConfig writeConfig(Path key) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("conf"));
    try (var files = Files.list(AZURE)) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName().toString()));
      }
    }
    String slurm = Files.readString(dir.resolve("slurm.yaml")).replace("cluster_id: hpc", "cluster_id: " + id)
        .replaceFirst("username: slurmadmin\n\\s+ssh_public_key_data: [^\n]*\n",
            "username: root\n      ssh_public_key: " + key + ".pub\n      ssh_private_key: " + key + "\n")
        + "  local:\n    state_dir: " + tmp.resolve("home") + "\n";
    Files.writeString(dir.resolve("slurm.yaml"), slurm);
    // An account key gives the cluster its Azure Files log share: daemon and power logs live there.
    Files.writeString(dir.resolve("credentials.yaml"), Files.readString(dir.resolve("credentials.yaml"))
        .replace("      account: hpcstate\n", "      account: hpcstate\n      account_key: bm90LWEtcmVhbC1rZXk=\n"));
    ClusterConfig c = new ConfigLoader(ConfigOptions.knownVmSizes()).loadDirectory(dir).config();
    assertThat(c.slurm().controller().ssh().username()).isEqualTo("root");
    assertThat(AzureClusters.logLayout(c).shared()).isTrue();
    return c;
  }

  private void awaitPort() throws Exception {
    Instant deadline = Instant.now().plusSeconds(30);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(address, 22), 500);
        return;
      } catch (java.io.IOException e) {
        if (!sshd.isAlive() || Instant.now().isAfter(deadline)) {
          throw new AssertionError("sshd did not listen on " + address + ":22: " + Files.readString(tmp.resolve("sshd.log")), e);
        }
        Thread.onSpinWait();
        sshd.waitFor(100, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    }
  }

  @AfterAll
  void tearDown() throws Exception {
    if (sshd != null) {
      sshd.destroy();
      if (!sshd.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        sshd.destroyForcibly().waitFor();
      }
    }
    RUNNER.run(List.of("ip", "link", "del", hostVeth), Duration.ofSeconds(10));
    RUNNER.run(List.of("ip", "netns", "del", netns), Duration.ofSeconds(10));
    if (madeShareDir) {
      try {
        Files.deleteIfExists(SHARE);
      } catch (java.nio.file.DirectoryNotEmptyException e) {
        // Another test's files: theirs to remove.
      }
    }
    if (tmp != null) {
      try (Stream<Path> walk = Files.walk(tmp)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void run(String... argv) {
    CommandRunner.Result r = RUNNER.run(List.of(argv), Duration.ofSeconds(30));
    assertThat(r.ok()).as(String.join(" ", argv) + ": " + r.stderr()).isTrue();
  }

  /** The CLI in process, with ARM's address of the primary controller faked and each command's output in a file. */
  private record Cli(int code, String out, String err) {}

  private Cli cli(String... args) throws Exception {
    Path stdout = Files.createTempFile(tmp, "out", ".txt");
    Path stderr = Files.createTempFile(tmp, "err", ".txt");
    ClusterAccess.Opener opener = c -> {
      ArmPlan plan = AzureClusters.plan(c, AzureClusters.settings(c, Optional.empty(), Optional.empty(), Optional.empty()));
      Map<String, String> arm = Map.of(plan.vms().get(0).name(), address);
      return new AzureClusterAccess(c, plan, vm -> Optional.ofNullable(arm.get(vm.name())), h -> Optional.empty(),
          ClusterHome.of(c).dir().resolve("ssh"), AzureClusters.logLayout(c));
    };
    ClusterAccess.Launcher launcher = argv -> new ProcessBuilder(argv).redirectInput(new File("/dev/null"))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile())).redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
        .start();
    CommandLine.IFactory factory = new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> cls) throws Exception {
        K made = CommandLine.defaultFactory().create(cls);
        if (made instanceof ClusterCommand.Ssh s) {
          s.access = opener;
          s.launcher = launcher;
        } else if (made instanceof ClusterCommand.Logs l) {
          l.access = opener;
          l.launcher = launcher;
        }
        return made;
      }
    };
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(factory);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    // The configuration right after the verb: what follows "--" is the remote command.
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(2, List.of("-c", config.sources().slurm().getParent().toString()));
    int code = cl.execute(all.toArray(String[]::new));
    return new Cli(code, out + Files.readString(stdout), err + Files.readString(stderr));
  }

  @Test
  void logs_printTheControllersSlurmctldLogFromItsDisk_andTheDaemonAndPowerLogsFromTheShare() throws Exception {
    Cli r = cli("cluster", "logs");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("==> /var/log/slurm/slurmctld.log <==", "slurmctld: " + marker + " ctld",
        "daemon: " + marker + " daemon", "power: " + marker + " power", "/azfile-slurm/" + id + "/slurm/logs/daemon-" + id + "-controller-vm000.log");
    // The backup controller does not exist in this stand-in: left out, and said so.
    assertThat(r.err()).contains("note: controller " + id + "-controller-vm001 has no address");
    // First contact recorded in the cluster's own known_hosts (hashed or not, as ssh_config says).
    assertThat(RUNNER.run(List.of("ssh-keygen", "-F", address, "-f", tmp.resolve("home/ssh/known_hosts").toString()), Duration.ofSeconds(10))
        .ok()).isTrue();
  }

  @Test
  void sshController_runsTheCommandThere_withEachArgumentArrivingAsOneWord() throws Exception {
    Cli hi = cli("cluster", "ssh", "controller", "--", "echo hi from $(hostname -I)");
    assertThat(hi.code()).as(hi.err()).isZero();
    assertThat(hi.out()).contains("hi from " + address);

    Cli words = cli("cluster", "ssh", "controller", "--", "printf", "[%s]", "a b", "it's");
    assertThat(words.code()).as(words.err()).isZero();
    assertThat(words.out()).contains("[a b][it's]");
  }

  @Test
  void logsOfAComputeHost_onTheShare_sayWhichFileIsMissing_whenTheNodeWroteNone() throws Exception {
    String host = dev.slipway.engine.ClusterTopology.fromConfig(config.slurm().options()).hosts().get(0);
    Cli r = cli("cluster", "logs", "--host", host);
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("has no /azfile-slurm/" + id + "/slurm/logs/slurmd-" + host + ".log yet");
  }
}
