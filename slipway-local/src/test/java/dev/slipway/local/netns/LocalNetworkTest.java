package dev.slipway.local.netns;

import static dev.slipway.local.netns.RecordingRunner.fail;
import static dev.slipway.local.netns.RecordingRunner.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalNetworkTest {
  private final FakeClock clock = new FakeClock();
  private final Pause advance = d -> clock.advance(d);
  private final Subnet subnet = Subnet.parse("10.213.7.0/24");

  private LocalNetwork network(RecordingRunner runner) {
    return new LocalNetwork("prod-cluster", subnet, runner, clock, advance);
  }

  @Test
  void names_areDerivedFromTheClusterIdAndFitLinuxInterfaceNames() {
    LocalNetwork n = network(new RecordingRunner(c -> ok("")));

    assertThat(n.bridgeName()).matches("sw-[0-9a-f]{6}").hasSizeLessThanOrEqualTo(LocalNetwork.IFNAMSIZ);
    assertThat(n.vethName(subnet.lastHostOffset())).hasSizeLessThanOrEqualTo(LocalNetwork.IFNAMSIZ);
    assertThat(Subnet.parse("10.0.0.0/8").lastHostOffset()).isEqualTo((1 << 24) - 2);
    assertThat(new LocalNetwork("prod-cluster", Subnet.parse("10.0.0.0/8"), (c, t) -> ok(""), clock, advance)
        .vethName((1 << 24) - 2)).hasSizeLessThanOrEqualTo(LocalNetwork.IFNAMSIZ);
    assertThat(n.namespaceName("gpu-3")).isEqualTo(n.namespacePrefix() + "gpu-3");
    assertThat(network(new RecordingRunner(c -> ok(""))).bridgeName()).as("stable").isEqualTo(n.bridgeName());
    assertThat(new LocalNetwork("other", subnet, (c, t) -> ok(""), clock, advance).bridgeName()).isNotEqualTo(n.bridgeName());
    assertThatThrownBy(() -> n.namespaceName("../etc")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ensureBridge_whenMissing_createsItWithTheFirstHostAddress() {
    RecordingRunner runner = new RecordingRunner(c -> c.startsWith("ip link show") ? fail("Device does not exist") : ok(""));
    LocalNetwork n = network(runner);

    n.ensureBridge();

    String br = n.bridgeName();
    assertThat(runner.commands).containsExactly(
        "ip link show dev " + br,
        "ip link add name " + br + " type bridge",
        "ip addr replace 10.213.7.1/24 dev " + br,
        "ip link set dev " + br + " up");
    assertThat(runner.commands).noneMatch(c -> c.contains("ip_forward") || c.contains("iptables") || c.contains("route"));
  }

  @Test
  void ensureBridge_whenPresent_onlyMakesSureOfItsAddress() {
    RecordingRunner runner = new RecordingRunner(c -> ok(""));
    network(runner).ensureBridge();

    assertThat(runner.commands).noneMatch(c -> c.contains("type bridge"));
  }

  @Test
  void createNamespace_attachesAVethToTheBridgeWithoutADefaultRoute_inOneProcess() {
    List<List<String>> commands = new ArrayList<>();
    LocalNetwork n = new LocalNetwork("prod-cluster", subnet, (command, timeout) -> {
      commands.add(command);
      return ok("");
    }, clock, advance);

    n.createNamespace("ns1", 10);

    String veth = n.vethName(10);
    assertThat(commands).hasSize(1);
    List<String> c = commands.get(0);
    assertThat(c.subList(0, 2)).containsExactly("sh", "-c");
    assertThat(c.get(2)).contains("ip -batch -").contains("ip -n \"$1\" -batch -");
    assertThat(c.subList(3, c.size())).containsExactly("slipway-netns", "ns1",
        "netns add ns1\n"
            + "link add name " + veth + " type veth peer name eth0 netns ns1\n"
            + "link set dev " + veth + " master " + n.bridgeName() + " up",
        "addr add 10.213.7.10/24 dev eth0\n"
            + "link set dev eth0 up\n"
            + "link set dev lo up");
    assertThat(String.join(" ", c)).doesNotContain("route").doesNotContain("ip_forward");
  }

  @Test
  void createNamespace_whenAStepFails_removesWhatItMadeAndThrowsNamingIt() {
    String ns = network(new RecordingRunner(c -> ok(""))).namespaceName("gpu-1");
    RecordingRunner runner = new RecordingRunner(c -> {
      if (c.startsWith("sh -c")) {
        return fail("RTNETLINK answers: File exists\nCommand failed -:1");
      }
      if (c.equals("ip netns list")) {
        return ok(ns + " (id: 3)\n");
      }
      return c.startsWith("ip link show") ? fail("Device does not exist") : ok("");
    });
    LocalNetwork n = network(runner);

    assertThatThrownBy(() -> n.createNamespace(ns, 10)).isInstanceOf(NetworkException.class)
        .hasMessage("creating namespace " + ns + " (veth " + n.vethName(10) + ", eth0 10.213.7.10/24) with ip -batch exited 1: "
            + "RTNETLINK answers: File exists Command failed -:1");
    assertThat(runner.commands).contains("ip netns delete " + ns);
  }

  @Test
  void namespaces_withANamespaceDirectory_readTheDirectory_withoutRunningACommand(@TempDir Path dir) throws Exception {
    RecordingRunner runner = new RecordingRunner(c -> ok(""));
    LocalNetwork n = new LocalNetwork("prod-cluster", subnet, runner, clock, advance, Optional.of(dir.resolve("netns")));
    assertThat(n.namespaces()).as("no directory yet: no namespaces").isEmpty();
    Files.createDirectories(dir.resolve("netns"));
    Files.createFile(dir.resolve("netns").resolve(n.namespaceName("gpu-1")));
    Files.createFile(dir.resolve("netns").resolve(n.namespaceName("gpu-2")));
    Files.createFile(dir.resolve("netns").resolve("sw-000000-other-cluster-node"));

    assertThat(n.namespaces()).containsExactly(n.namespaceName("gpu-1"), n.namespaceName("gpu-2"));
    assertThat(runner.commands).isEmpty();
  }

  @Test
  void deleteNamespace_whenAlreadyGone_changesNothing() throws Exception {
    RecordingRunner runner = new RecordingRunner(c -> c.startsWith("ip link show") ? fail("Device does not exist") : ok(""));

    network(runner).deleteNamespace("sw-x-gpu-1", 10);

    assertThat(runner.commands).noneMatch(c -> c.contains("delete"));
  }

  @Test
  void deleteNamespace_whenTheVethOutlivesTheNamespace_deletesIt() throws Exception {
    LocalNetwork probe = network(new RecordingRunner(c -> ok("")));
    String ns = probe.namespaceName("gpu-1");
    RecordingRunner runner = new RecordingRunner(c -> c.equals("ip netns list") ? ok(ns + " (id: 0)\n") : ok(""));

    network(runner).deleteNamespace(ns, 10);

    assertThat(runner.commands).contains("ip netns delete " + ns, "ip link delete dev " + probe.vethName(10));
    assertThat(clock.instant()).as("waited for the kernel first").isAfterOrEqualTo(new FakeClock().instant().plusSeconds(2));
  }

  @Test
  void stopProcesses_sendsTermThenKillsOnlyThoseStillThereAfterTheGrace() throws Exception {
    int[] listings = {0};
    RecordingRunner runner = new RecordingRunner(c -> {
      if (c.startsWith("ip netns pids")) {
        return ok(listings[0]++ == 0 ? "101\n102\n" : "102\n");
      }
      return ok("");
    });

    assertThat(network(runner).stopProcesses("ns1", Duration.ofSeconds(1))).containsExactly(102L);

    assertThat(runner.commands).contains("kill -TERM 101 102", "kill -KILL 102");
    assertThat(runner.commands).noneMatch(c -> c.startsWith("pkill") || c.startsWith("killall"));
  }

  @Test
  void killProcesses_sendsKillAtOnce_withoutTerm_andAgainToProcessesThatAppearedMeanwhile() throws Exception {
    int[] listings = {0};
    RecordingRunner runner = new RecordingRunner(c -> {
      if (c.startsWith("ip netns pids")) {
        String[] answers = {"101\n102\n", "103\n", ""};
        return ok(answers[Math.min(listings[0]++, 2)]);
      }
      return ok("");
    });

    assertThat(network(runner).killProcesses("ns1")).containsExactly(101L, 102L, 103L);

    assertThat(runner.commands).contains("kill -KILL 101 102", "kill -KILL 103");
    assertThat(runner.commands).noneMatch(c -> c.startsWith("kill -TERM"));
  }

  @Test
  void stopProcesses_whenTheyExitOnTerm_sendsNoKill() throws Exception {
    int[] listings = {0};
    RecordingRunner runner = new RecordingRunner(c -> c.startsWith("ip netns pids") ? ok(listings[0]++ == 0 ? "101\n" : "") : ok(""));

    assertThat(network(runner).stopProcesses("ns1", Duration.ofSeconds(5))).isEmpty();
    assertThat(runner.commands).noneMatch(c -> c.startsWith("kill -KILL"));
  }

  @Test
  void teardown_removesOnlyThisClustersNamespacesVethsAndBridge() throws Exception {
    LocalNetwork probe = network(new RecordingRunner(c -> ok("")));
    String ours = probe.namespaceName("gpu-1");
    String veth = probe.vethName(10);
    boolean[] deleted = {false};
    RecordingRunner runner = new RecordingRunner(c -> {
      if (c.equals("ip netns list")) {
        return ok(ours + " (id: 1)\nsomeone-else (id: 2)\n");
      }
      if (c.equals("ip -o link show")) {
        return ok("1: lo: <LOOPBACK> mtu 65536\n7: " + veth + "@if2: <BROADCAST> mtu 1500\n8: vethother@if2: <BROADCAST>\n");
      }
      if (c.startsWith("ip link delete dev " + veth)) {
        deleted[0] = true;
      }
      if (c.equals("ip link show dev " + veth)) {
        return deleted[0] ? fail("Device does not exist") : ok("");
      }
      return ok("");
    });

    network(runner).teardown(Duration.ofSeconds(1));

    assertThat(runner.commands).contains("ip netns delete " + ours, "ip link delete dev " + veth, "ip link delete dev " + probe.bridgeName());
    assertThat(runner.commands).noneMatch(c -> c.contains("someone-else") || c.contains("vethother"));
  }
}
