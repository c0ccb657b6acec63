package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.azure.arm.ArmPlan;
import dev.slipway.azure.arm.ArmResource;
import dev.slipway.azure.arm.SshKeys;
import dev.slipway.azure.arm.VmRole;
import dev.slipway.azure.bootstrap.AzureLogLayout;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigLoader;
import dev.slipway.engine.ClusterTopology;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command lines {@code slipway cluster ssh} and {@code cluster logs} run on the azure backend,
 * with ARM's addresses and the store's bindings faked: keys, users, known_hosts, the jump through
 * the login node, the quoting of COMMAND, which log files, and the errors. The remote script
 * itself runs here under sh.
 */
class AzureClusterAccessTest {
  private static final Path AZURE = Path.of("..", "slipway-azure", "src", "test", "resources", "arm", "fixtures", "azure");

  @TempDir Path tmp;
  private Path home;
  private ClusterConfig config;
  private ArmPlan plan;
  private final Map<String, String> addresses = new HashMap<>();
  private final Map<String, HostBinding> bindings = new HashMap<>();
  private String host;

  @BeforeEach
  void loadTheAzureFixture() throws Exception {
    home = tmp.resolve("home");
    Path dir = Files.createDirectories(tmp.resolve("conf"));
    try (var files = Files.list(AZURE)) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName().toString()));
      }
    }
    Files.writeString(dir.resolve("slurm.yaml"), Files.readString(dir.resolve("slurm.yaml")) + "  local:\n    state_dir: " + home + "\n");
    config = new ConfigLoader(ConfigOptions.knownVmSizes()).loadDirectory(dir).config();
    plan = AzureClusters.plan(config, AzureClusters.settings(config, Optional.empty(), Optional.empty(), Optional.empty()));
    addresses.put("hpc-controller-vm000", "10.40.1.4");
    addresses.put("hpc-controller-vm001", "10.40.1.5");
    addresses.put("hpc-gateway-vm002", "20.1.2.3");
    host = ClusterTopology.fromConfig(config.slurm().options()).hosts().get(0);
  }

  private AzureClusterAccess access(boolean shared) {
    return new AzureClusterAccess(config, plan, vm -> Optional.ofNullable(addresses.get(vm.name())), h -> Optional.ofNullable(bindings.get(h)),
        home.resolve("ssh"), new AzureLogLayout("hpc", shared));
  }

  private Path loginKey() {
    // The login group configures no key: create generates one under the cluster's ssh directory.
    ArmResource login = plan.vms(VmRole.LOGIN).get(0);
    SshKeys.publicKey(login.vm().orElseThrow().sshKey(), "alice@hpc");
    return login.vm().orElseThrow().sshKey().privateKey().orElseThrow();
  }

  private void bind(String h, Optional<String> address) {
    bindings.put(h, new HostBinding(h, "cpupool", BindingPhase.REGISTERED, Optional.of("tvmps_1"), address, 1, Instant.EPOCH,
        Optional.empty(), 1));
  }

  private String knownHosts() {
    return "UserKnownHostsFile=" + home.resolve("ssh").resolve("known_hosts");
  }

  @Test
  void sshController_withoutCommand_isATtyToItsAddress_asItsAdminUser_trustingTheClustersKnownHosts() throws Exception {
    List<String> argv = access(false).shell(new ClusterAccess.Target(ClusterAccess.Role.controller, 1, Optional.empty()), List.of());

    // The controllers' key is configured as key data: no private key here, ssh uses the agent's.
    assertThat(argv).containsExactly("ssh", "-t", "-o", "StrictHostKeyChecking=accept-new", "-o", knownHosts(), "-o", "ConnectTimeout=10",
        "slurmadmin@10.40.1.5", "--");
    assertThat(home.resolve("ssh")).isDirectory();
  }

  @Test
  void sshLogin_withAGeneratedKey_usesOnlyThatKey_andQuotesACommandOfSeveralWords() throws Exception {
    Path key = loginKey();

    List<String> argv = access(false).shell(new ClusterAccess.Target(ClusterAccess.Role.login, 0, Optional.empty()),
        List.of("grep", "a b", "/var/log/it's.log"));

    assertThat(argv).containsExactly("ssh", "-i", key.toString(), "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=accept-new",
        "-o", knownHosts(), "-o", "ConnectTimeout=10", "alice@20.1.2.3", "--", "grep 'a b' '/var/log/it'\\''s.log'");
  }

  @Test
  void sshLogin_withOneCommandArgument_passesItAsTheRemoteShellLine() throws Exception {
    loginKey();
    List<String> argv = access(false).shell(new ClusterAccess.Target(ClusterAccess.Role.login, 0, Optional.empty()),
        List.of("tail -n 5 /var/log/syslog | grep slurm"));
    assertThat(argv).endsWith("alice@20.1.2.3", "--", "tail -n 5 /var/log/syslog | grep slurm").doesNotContain("-t");
  }

  @Test
  void ssh_whenTheGeneratedKeyIsNotOnThisMachine_saysCreateMakesIt_ratherThanLettingSshTryOtherKeys() {
    assertThatThrownBy(() -> access(false).shell(new ClusterAccess.Target(ClusterAccess.Role.login, 0, Optional.empty()), List.of()))
        .isInstanceOf(UsageException.class).hasMessageContaining("id_rsa_slipway_login does not exist")
        .hasMessageContaining("generated by 'slipway cluster create'");
  }

  @Test
  void ssh_toAnOffsetBeyondTheGroup_namesTheOffsetAndTheCount() {
    assertThatThrownBy(() -> access(false).shell(new ClusterAccess.Target(ClusterAccess.Role.controller, 2, Optional.empty()), List.of()))
        .isInstanceOf(UsageException.class).hasMessage("no controller at offset 2 (the cluster has 2)");
  }

  @Test
  void ssh_toAVmArmHasNoAddressFor_isUnreachable_namingTheVm() {
    addresses.remove("hpc-controller-vm000");
    assertThatThrownBy(() -> access(false).shell(new ClusterAccess.Target(ClusterAccess.Role.controller, 0, Optional.empty()), List.of()))
        .isInstanceOf(UnreachableException.class).hasMessageContaining("VM hpc-controller-vm000 has no address");
  }

  @Test
  void sshNode_jumpsThroughTheLoginNode_asTheClusterUser_toTheStoredAddress_underTheNodesOwnHostKeyAlias() throws Exception {
    Path key = loginKey();
    bind(host, Optional.of("10.40.8.9"));

    List<String> argv = access(false).shell(new ClusterAccess.Target(ClusterAccess.Role.node, 0, Optional.of(host)), List.of("hostname"));

    String jump = "ProxyCommand=ssh -i " + key + " -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o " + knownHosts()
        + " -o ConnectTimeout=10 -W %h:%p alice@20.1.2.3";
    assertThat(argv).containsExactly("ssh", "-i", key.toString(), "-o", "IdentitiesOnly=yes", "-o", jump, "-o", "HostKeyAlias=cpupool.tvmps_1",
        "-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=" + home.resolve("ssh").resolve("known_hosts_nodes"),
        "-o", "ConnectTimeout=10", "alice@10.40.8.9", "--", "hostname");
  }

  @Test
  void sshNode_whenTheHostIsNotBoundOrHasNoAddressOrIsNoComputeHost_saysWhichInOneLine() {
    loginKey();
    ClusterAccess a = access(false);
    assertThatThrownBy(() -> a.shell(new ClusterAccess.Target(ClusterAccess.Role.node, 0, Optional.of(host)), List.of()))
        .isInstanceOf(UnreachableException.class).hasMessageContaining("compute host " + host + " has no node");
    bind(host, Optional.empty());
    assertThatThrownBy(() -> a.shell(new ClusterAccess.Target(ClusterAccess.Role.node, 0, Optional.of(host)), List.of()))
        .isInstanceOf(UnreachableException.class).hasMessageContaining("has no address yet (its node tvmps_1 is registered)");
    assertThatThrownBy(() -> a.shell(new ClusterAccess.Target(ClusterAccess.Role.node, 0, Optional.of("elsewhere-3")), List.of()))
        .isInstanceOf(UsageException.class).hasMessageContaining("'elsewhere-3' is not a compute host of cluster hpc");
    assertThatThrownBy(() -> a.shell(new ClusterAccess.Target(ClusterAccess.Role.node, 0, Optional.empty()), List.of()))
        .isInstanceOf(UsageException.class).hasMessageContaining("needs --host HOST");
  }

  @Test
  void logs_ofTheCluster_tailEachControllersSlurmctldDaemonAndPowerLogs_fromTheShare() throws Exception {
    ClusterAccess.LogPlan logs = access(true).logs(Optional.empty(), false);

    assertThat(logs.notes()).isEmpty();
    assertThat(logs.commands()).extracting(ClusterAccess.LogCommand::label)
        .containsExactly("controller hpc-controller-vm000 (10.40.1.4)", "controller hpc-controller-vm001 (10.40.1.5)");
    List<String> primary = logs.commands().get(0).argv();
    assertThat(primary.subList(0, primary.size() - 1)).endsWith("slurmadmin@10.40.1.4", "--").doesNotContain("-t");
    assertThat(primary.get(primary.size() - 1)).contains("for p in /var/log/slurm/slurmctld.log /azfile-slurm/hpc/slurm/logs/daemon-hpc-controller-vm000.log"
        + " /azfile-slurm/hpc/slurm/logs/power-hpc-controller-vm000.log;", "for p in /var/log/slurm/slurmdbd.log;", "tail -v -n 200 --")
        .doesNotContain("-F");
    assertThat(logs.commands().get(1).argv().get(primary.size() - 1)).contains("daemon-hpc-controller-vm001.log", "power-hpc-controller-vm001.log")
        .doesNotContain("slurmdbd");
  }

  @Test
  void logs_withoutAShare_readTheControllersOwnSlipwayLogs_andFollowWaitsForMissingFiles() throws Exception {
    List<String> argv = access(false).logs(Optional.of("hpc-controller-vm001"), true).commands().get(0).argv();
    assertThat(argv).contains("slurmadmin@10.40.1.5");
    assertThat(argv.get(argv.size() - 1)).contains("/var/log/slipway/daemon.log /var/log/slipway/power.log", "tail -v -n 200 -F --");
  }

  @Test
  void logs_leaveOutAControllerWithoutAddress_withANote_andFailOnlyWhenNoneHasOne() throws Exception {
    addresses.remove("hpc-controller-vm001");
    ClusterAccess.LogPlan logs = access(true).logs(Optional.empty(), false);
    assertThat(logs.commands()).hasSize(1);
    assertThat(logs.notes()).containsExactly("controller hpc-controller-vm001 has no address (it does not exist); its logs are left out");

    addresses.remove("hpc-controller-vm000");
    assertThatThrownBy(() -> access(true).logs(Optional.empty(), false)).isInstanceOf(UnreachableException.class)
        .hasMessageContaining("no controller of cluster hpc has an address");
  }

  @Test
  void logsOfAComputeHost_onTheShare_areReadThroughAController_evenWhenTheNodeIsGone() throws Exception {
    addresses.remove("hpc-controller-vm000");
    ClusterAccess.LogCommand c = access(true).logs(Optional.of(host), false).commands().get(0);
    assertThat(c.label()).isEqualTo("compute host " + host + " (via hpc-controller-vm001)");
    assertThat(c.argv()).contains("slurmadmin@10.40.1.5");
    assertThat(c.argv().get(c.argv().size() - 1)).contains("for p in /azfile-slurm/hpc/slurm/logs/slurmd-" + host + ".log;");
  }

  @Test
  void logsOfAComputeHost_withoutAShare_comeFromTheNode_orAreAClearErrorOnceItIsGone() throws Exception {
    Path key = loginKey();
    assertThatThrownBy(() -> access(false).logs(Optional.of(host), false)).isInstanceOf(UnreachableException.class)
        .hasMessageContaining("has no node").hasMessageContaining("no Azure Files log share");

    bind(host, Optional.of("10.40.8.9"));
    List<String> argv = access(false).logs(Optional.of(host), false).commands().get(0).argv();
    assertThat(argv).contains("-i", key.toString(), "alice@10.40.8.9", "HostKeyAlias=cpupool.tvmps_1");
    assertThat(argv.get(argv.size() - 1)).contains("/var/log/slurm/slurmd-" + host + ".log");
  }

  @Test
  void logsOfALoginNode_areItsFirstBootSetup_andOfAnUnknownHost_listWhatThereIs() throws Exception {
    loginKey();
    List<String> argv = access(false).logs(Optional.of("hpc-gateway-vm002"), false).commands().get(0).argv();
    assertThat(argv).contains("alice@20.1.2.3");
    assertThat(argv.get(argv.size() - 1)).contains(AzureClusterAccess.CLOUD_INIT_LOG);

    assertThatThrownBy(() -> access(false).logs(Optional.of("nosuch-1"), false)).isInstanceOf(UsageException.class)
        .hasMessageContaining("no host nosuch-1 in cluster hpc").hasMessageContaining("hpc-controller-vm000, hpc-controller-vm001")
        .hasMessageContaining("hpc-gateway-vm002").hasMessageContaining("cpupool (");
  }

  @Test
  void tailScript_underSh_printsTheFilesThatExist_namesTheMissingOnes_andFailsWhenThereIsNothing() throws Exception {
    Path a = Files.writeString(tmp.resolve("a b.log"), "line of a\n");
    Path opt = Files.writeString(tmp.resolve("opt.log"), "optional line\n");
    Path missing = tmp.resolve("missing.log");
    CommandRunner sh = new ProcessCommandRunner();

    CommandRunner.Result r = sh.run(List.of("sh", "-c", AzureClusterAccess.tailScript(List.of(a.toString(), missing.toString()),
        List.of(opt.toString(), tmp.resolve("nodbd.log").toString()), false)), Duration.ofSeconds(20));

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout()).contains("==> " + a + " <==\nline of a", "==> " + opt + " <==\noptional line").doesNotContain("nodbd");
    assertThat(r.stderr()).contains("has no " + missing + " yet").doesNotContain("nodbd");

    CommandRunner.Result none = sh.run(List.of("sh", "-c", AzureClusterAccess.tailScript(List.of(missing.toString()), List.of(), false)),
        Duration.ofSeconds(20));
    assertThat(none.exitCode()).isEqualTo(1);
  }
}
