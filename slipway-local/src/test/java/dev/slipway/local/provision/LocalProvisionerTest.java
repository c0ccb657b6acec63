package dev.slipway.local.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigLoader;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.spi.EngineEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The step plan of the local provisioner, on a recording runner that plays the machine. */
class LocalProvisionerTest {
  @TempDir Path tmp;

  /** Plays ip, the daemons (they "write" their pid files) and scontrol; records every command. */
  final class FakeMachine implements CommandRunner {
    final List<String> commands = new ArrayList<>();
    final Set<String> namespaces = new HashSet<>();
    final Map<Long, String> processes = new HashMap<>();
    final AtomicLong nextPid = new AtomicLong(1000);
    Optional<String> failOn = Optional.empty();
    boolean bridge;

    @Override
    public synchronized Result run(List<String> command, Duration timeout) {
      String line = String.join(" ", command);
      commands.add(line);
      if (failOn.isPresent() && line.contains(failOn.get())) {
        return new Result(1, "", "boom");
      }
      try {
        return answer(command, line);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    private Result answer(List<String> command, String line) throws Exception {
      if (line.startsWith("ip link show dev sw-")) {
        return new Result(bridge ? 0 : 1, "", "");
      }
      if (line.startsWith("ip link add") && line.contains("type bridge")) {
        bridge = true;
      }
      if (line.startsWith("ip link delete dev sw-")) {
        bridge = false;
      }
      if (line.startsWith("ip link show dev v")) {
        return new Result(1, "", "");
      }
      if (line.startsWith("ip netns add ")) {
        namespaces.add(command.get(3));
      }
      if (command.size() > 4 && command.get(0).equals("sh") && command.get(3).equals("slipway-netns")) {
        namespaces.add(command.get(4)); // LocalNetwork.createCommand: one sh feeding ip -batch
      }
      if (line.startsWith("ip netns delete ")) {
        namespaces.remove(command.get(3));
      }
      if (line.equals("ip netns list")) {
        return new Result(0, String.join("\n", namespaces), "");
      }
      if (line.startsWith("ip netns pids")) {
        return new Result(0, "", "");
      }
      if (command.get(0).equals("ssh-keygen")) {
        Path key = Path.of(command.get(command.size() - 1));
        Files.writeString(key, "private");
        Files.writeString(Path.of(key + ".pub"), "ssh-ed25519 AAAAfake " + key.getFileName());
      }
      if (command.get(0).equals("munged")) {
        writePid(command.stream().filter(w -> w.startsWith("--pid-file=")).findFirst().orElseThrow().substring(11), "munged");
      }
      if (command.get(0).equals("nsenter") && line.contains("exec 'slurmctld'")) {
        String ctl = line.replaceAll("(?s).*hostname '([^']*)'.*", "$1");
        writePid(tmp.resolve("cluster/infra/" + ctl + "/run/slurmctld.pid").toString(), "slurmctld");
      }
      if (command.get(0).equals("nsenter") && line.contains("exec '/usr/sbin/sshd'")) {
        String login = line.replaceAll("(?s).*hostname '([^']*)'.*", "$1");
        writePid(tmp.resolve("cluster/infra/" + login + "/run/sshd.pid").toString(), "sshd");
      }
      if (command.get(0).equals("setsid")) { // the slipway daemon: the shell writes its pid, then execs java
        writePid(command.get(6), "java");
      }
      if (line.endsWith("scontrol ping")) {
        return new Result(0, "Slurmctld(primary) at t1-controller-vm000 is UP\nSlurmctld(backup) at t1-controller-vm001 is UP\n", "");
      }
      if (command.get(0).equals("kill")) {
        processes.remove(Long.parseLong(command.get(2)));
      }
      return new Result(0, "", "");
    }

    private void writePid(String file, String comm) throws Exception {
      long pid = nextPid.getAndIncrement();
      processes.put(pid, comm);
      Files.writeString(Path.of(file), pid + "\n");
    }

    int indexOf(String fragment) {
      for (int i = 0; i < commands.size(); i++) {
        if (commands.get(i).contains(fragment)) {
          return i;
        }
      }
      throw new AssertionError("no command contains " + fragment + " in " + commands);
    }
  }

  final FakeMachine machine = new FakeMachine();
  final List<EngineEvent> events = new ArrayList<>();

  /** Records what the provisioner asks of Slipway's own half. */
  static final class RecordingControlPlane implements ControlPlane {
    final List<String> calls = new ArrayList<>();

    @Override
    public void installHooks(Path libexec, List<String> wakeUrls) {
      calls.add("hooks " + libexec + " " + wakeUrls);
    }

    @Override
    public List<String> daemonCommand(String id, String listenAddress, int port, List<String> confServers, List<String> joinUrls) {
      calls.add("daemon " + id + " " + listenAddress + " " + port + " " + confServers + " " + joinUrls);
      return List.of("slipway-test-daemon", listenAddress);
    }
  }

  @Test
  void create_withAControlPlane_installsHooksBeforeSlurmctld_startsADaemonPerControllerLast_andSuspendStopsThemFirst() throws Exception {
    RecordingControlPlane plane = new RecordingControlPlane();
    LocalProvisioner p = provisioner(plane);
    p.create(events::add);

    String urls = "[https://10.214.5.2:6820, https://10.214.5.3:6820]";
    assertThat(plane.calls).containsExactly(
        "hooks " + tmp.resolve("cluster/libexec") + " [https://10.214.5.2:6820/v1/wake, https://10.214.5.3:6820/v1/wake]",
        "daemon t1-controller-vm000 10.214.5.2 6820 [10.214.5.2:6817, 10.214.5.3:6817] " + urls,
        "daemon t1-controller-vm001 10.214.5.3 6820 [10.214.5.2:6817, 10.214.5.3:6817] " + urls);
    assertThat(p.daemonUrls()).hasToString(urls);
    int daemon = machine.indexOf("setsid -f sh -c");
    assertThat(machine.indexOf("hostname 't1-controller-vm000'")).isLessThan(daemon);
    assertThat(machine.indexOf("hostname 't1-controller-vm001'")).isLessThan(daemon);
    List<String> launches = machine.commands.stream().filter(c -> c.startsWith("setsid -f sh -c")).toList();
    assertThat(launches).hasSize(2);
    assertThat(launches.get(0)).contains("nsenter --net=\"/run/netns/$ns\"").contains(" " + p.namespaceOf("t1-controller-vm000") + " ")
        .endsWith("slipway-test-daemon 10.214.5.2");
    assertThat(launches.get(1)).contains(" " + p.namespaceOf("t1-controller-vm001") + " ").endsWith("slipway-test-daemon 10.214.5.3");
    List<Long> pids = new ArrayList<>();
    for (String ctl : List.of("t1-controller-vm000", "t1-controller-vm001")) {
      Path pidFile = tmp.resolve("cluster/daemon/slipway-daemon-" + ctl + ".pid");
      long pid = Long.parseLong(Files.readString(pidFile).strip());
      assertThat(machine.processes).containsEntry(pid, "java");
      pids.add(pid);
    }

    int before = machine.commands.size();
    p.suspend(events::add);
    List<String> stops = machine.commands.subList(before, machine.commands.size()).stream().filter(c -> c.startsWith("kill -TERM")).toList();
    assertThat(stops.subList(0, 2)).containsExactly("kill -TERM " + pids.get(1), "kill -TERM " + pids.get(0));
    assertThat(machine.processes).doesNotContainKeys(pids.get(0), pids.get(1));

    p.start(events::add);
    assertThat(plane.calls).hasSize(5).last().asString().startsWith("daemon t1-controller-vm001");
  }

  LocalProvisioner provisioner() throws Exception {
    return provisioner(ControlPlane.NONE);
  }

  LocalProvisioner provisioner(ControlPlane plane) throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path conf = Files.createDirectories(tmp.resolve("conf"));
    Files.writeString(conf.resolve("slurm.yaml"), """
        slurm:
          cluster_id: t1
          controller:
            ssh: {username: root}
            vm_size: standard_d2s_v3
            vm_count: 2
          login:
            ssh: {username: root}
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
                  nspool: {compute_node_type: dedicated, max_compute_nodes: 4, weight: 10}
                default: true
                max_runtime_limit: 01:00:00
        slipway:
          backend: local
          accounting: false
          local:
            subnet: 10.214.5.0/24
            state_dir: %s
        """.formatted(tmp.resolve("mnt"), tmp.resolve("cluster")), StandardCharsets.UTF_8);
    ClusterConfig config = new ConfigLoader(name -> true).loadDirectory(conf).config();
    // Each reading of the clock moves it on, so waits end without sleeping.
    AtomicLong millis = new AtomicLong();
    InstantSource clock = () -> Instant.ofEpochMilli(millis.addAndGet(50));
    return new LocalProvisioner(config, tmp.resolve("cluster"), machine, clock, d -> {}, pid -> Optional.ofNullable(machine.processes.get(pid)),
        new SecureRandom(), Duration.ofSeconds(5), plane);
  }

  @Test
  void create_startsMungeThenControllersPrimaryFirstThenSshd_eachInItsOwnNamespaces() throws Exception {
    LocalProvisioner p = provisioner();
    p.create(events::add);

    int munged = machine.indexOf("munged --key-file=");
    int primary = machine.indexOf("hostname 't1-controller-vm000'");
    int backup = machine.indexOf("hostname 't1-controller-vm001'");
    int sshd = machine.indexOf("exec '/usr/sbin/sshd'");
    assertThat(munged).isLessThan(primary);
    assertThat(primary).isLessThan(backup);
    assertThat(backup).isLessThan(sshd);
    String ctl = machine.commands.get(primary);
    assertThat(ctl).startsWith("nsenter --net=/run/netns/" + p.namespaceOf("t1-controller-vm000")
        + " unshare --uts --mount --propagation private --fork -- sh -c");
    assertThat(ctl).contains("mount --bind '" + tmp.resolve("cluster/infra/t1-controller-vm000/run") + "' '" + tmp.resolve("cluster/run") + "'");
    assertThat(ctl).contains("mount --bind '" + tmp.resolve("cluster/shared/shared") + "' '" + tmp.resolve("mnt") + "'");
    assertThat(p.phase()).isEqualTo("running");
    assertThat(events).filteredOn(e -> e.kind().equals("provision.step")).extracting(e -> e.attributes().get("step"))
        .containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12");
  }

  @Test
  void create_writesA1024ByteMungeKeyReadableOnlyByItsOwner_andNeverMentionsItsBytes() throws Exception {
    LocalProvisioner p = provisioner();
    p.create(events::add);
    Path key = p.paths().mungeKey();
    assertThat(Files.size(key)).isEqualTo(1024);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("r--------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p.paths().secrets()))).isEqualTo("rwx------");
    String hex = java.util.HexFormat.of().formatHex(Files.readAllBytes(key)).substring(0, 16);
    assertThat(events).noneMatch(e -> e.message().contains(hex));
  }

  @Test
  void create_makesTheDaemonsTlsKeyBesideTheMungeKey() throws Exception {
    LocalProvisioner p = provisioner();
    p.create(events::add);
    Path secrets = p.paths().secrets();
    String pin = dev.slipway.tls.DaemonIdentity.readPin(secrets);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets.resolve("daemon-tls.key")))).isEqualTo("r--------");
    assertThat(dev.slipway.tls.DaemonIdentity.load(secrets).certificate().getSubjectX500Principal().getName()).isEqualTo("CN=slipway-t1");
    assertThat(events).anyMatch(e -> e.kind().equals("daemon.key.created") && e.message().contains(pin));
    String keyBody = Files.readAllLines(secrets.resolve("daemon-tls.key")).get(1);
    assertThat(events).noneMatch(e -> e.message().contains(keyBody));
  }

  @Test
  void create_keepsADaemonKeyThatExists() throws Exception {
    LocalProvisioner p = provisioner();
    String pin = dev.slipway.tls.DaemonIdentity.loadOrCreate(p.paths().secrets(), "t1", new java.security.SecureRandom(),
        java.time.InstantSource.system()).pin();

    p.create(events::add);

    assertThat(dev.slipway.tls.DaemonIdentity.readPin(p.paths().secrets())).isEqualTo(pin);
    assertThat(events).anyMatch(e -> e.kind().equals("daemon.key.kept"));
  }

  @Test
  void create_rendersSlurmConfWithTheControllersAddressesAndTheClustersMungeSocket() throws Exception {
    LocalProvisioner p = provisioner();
    p.create(events::add);
    String conf = Files.readString(p.paths().slurmConf());
    assertThat(conf).contains("SlurmctldHost=t1-controller-vm000(10.214.5.2)").contains("SlurmctldHost=t1-controller-vm001(10.214.5.3)")
        .contains("AuthInfo=socket=" + p.paths().mungeSocket());
    String sshd = Files.readString(p.paths().infra("t1-login-vm000").resolve("ssh/sshd_config"));
    assertThat(sshd).contains("ListenAddress 10.214.5.4\n").contains("AuthorizedKeysFile " + p.paths().authorizedKeys() + "/%u");
    assertThat(Files.readString(p.paths().knownHosts())).startsWith("10.214.5.4 ssh-ed25519 AAAAfake");
  }

  @Test
  void create_whenTheBackupControllerFailsToStart_removesEverythingItMade() throws Exception {
    LocalProvisioner p = provisioner();
    machine.failOn = Optional.of("hostname 't1-controller-vm001'");
    assertThatThrownBy(() -> p.create(events::add)).isInstanceOf(ProvisionException.class).hasMessageContaining("exit code 1");

    assertThat(machine.namespaces).isEmpty();
    assertThat(machine.bridge).isFalse();
    assertThat(machine.processes).isEmpty();
    assertThat(tmp.resolve("cluster")).doesNotExist();
    assertThat(tmp.resolve("mnt")).doesNotExist();
    assertThat(p.phase()).isEqualTo("absent");
  }

  @Test
  void suspend_stopsSshdThenBackupThenPrimaryThenMunge_andStartBringsThemBack() throws Exception {
    LocalProvisioner p = provisioner();
    p.create(events::add);
    Map<Long, String> before = new HashMap<>(machine.processes);
    machine.commands.clear();
    p.suspend(events::add);
    assertThat(machine.processes).isEmpty();
    List<String> killed = machine.commands.stream().filter(c -> c.startsWith("kill -TERM")).map(c -> before.get(Long.parseLong(c.substring(11)))).toList();
    assertThat(killed).containsExactly("sshd", "slurmctld", "slurmctld", "munged");
    assertThat(p.phase()).isEqualTo("suspended");
    assertThat(p.paths().mungeKey()).exists();

    p.start(events::add);
    assertThat(machine.processes.values()).containsExactlyInAnyOrder("munged", "slurmctld", "slurmctld", "sshd");
    assertThat(p.phase()).isEqualTo("running");
  }

  @Test
  void destroy_removesNamespacesBridgeAndDirectories_andIsSafeToRepeat() throws Exception {
    LocalProvisioner p = provisioner();
    p.create(events::add);
    assertThat(machine.namespaces).hasSize(3);
    p.destroy(events::add);
    assertThat(machine.namespaces).isEmpty();
    assertThat(machine.bridge).isFalse();
    assertThat(machine.processes).isEmpty();
    assertThat(tmp.resolve("cluster")).doesNotExist();
    p.destroy(events::add);
    assertThat(p.phase()).isEqualTo("absent");
  }
}
