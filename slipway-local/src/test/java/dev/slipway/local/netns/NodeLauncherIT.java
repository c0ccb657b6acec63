package dev.slipway.local.netns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real process launched as a node: its host name, address, reachability and boot clock, seen
 * from inside. Traffic stays between the test's namespace and its bridge.
 */
class NodeLauncherIT {
  private static final String CLUSTER = "launcher-it-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  private static final int OFFSET = 10;
  private static Subnet subnet;
  private static LocalNetwork network;
  private static Path dir;
  private static String namespace;

  @BeforeAll
  static void node() throws Exception {
    NetnsHost.assumeUsable();
    subnet = NetnsHost.randomSubnet();
    dir = Files.createTempDirectory("slipway-launcher-it");
    network = new LocalNetwork(CLUSTER, subnet, NetnsHost.RUNNER, InstantSource.system(), Pause.REAL);
    network.ensureBridge();
    namespace = network.namespaceName("gpu-1");
    network.createNamespace(namespace, OFFSET);
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (network != null) {
      network.teardown(Duration.ofSeconds(1));
      assertThat(NetnsHost.leftovers(LocalNetwork.shortHash(CLUSTER))).as("namespaces, veths, bridge left").isEmpty();
    }
    if (dir != null) {
      NetnsProvider.deleteTree(dir);
    }
  }

  private static String runAsNode(String script) throws Exception {
    NodeLauncher launcher = new NodeLauncher(HostClock.proc(InstantSource.system()), Pause.REAL, NodeLauncher.PROCESS_BUILDER);
    Path nodeDir = Files.createTempDirectory(dir, "node");
    NodeLauncher.Launch launch = new NodeLauncher.Launch(namespace, "gpu-1", nodeDir, List.of("bash", "-c", script), Map.of("GREETING", "hi"));
    NodeLauncher.StartedProcess p = launcher.launch(launch, Instant.now());
    int exit = p.exit().get(30, TimeUnit.SECONDS);
    String log = Files.readString(launch.logFile());
    assertThat(exit).as("exit code; log:\n" + log).isZero();
    assertThat(Files.readString(launch.statusFile()).strip()).isEqualTo("0");
    assertThat(Files.readAllLines(launch.pidFile())).containsExactly(Long.toString(p.pid()));
    return log;
  }

  @Test
  void launch_runsTheCommandUnderTheNodesHostNameAndAddress() throws Exception {
    String log = runAsNode("hostname; echo \"env=$GREETING\"; ip -o -4 addr show dev eth0");

    assertThat(log).contains("gpu-1\n").contains("env=hi").contains("inet " + subnet.cidrOf(OFFSET));
    String ourHost = InetAddress.getLocalHost().getHostName();
    assertThat(ourHost).as("the host's own name is untouched").isNotEqualTo("gpu-1");
  }

  @Test
  void launch_givesTheNodeAFreshBootClock() throws Exception {
    String log = runAsNode("cut -d' ' -f1 /proc/uptime");

    double uptime = Double.parseDouble(log.strip());
    assertThat(uptime).as("node uptime in seconds").isGreaterThan(0).isLessThan(5);
    double hostUptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
    assertThat(hostUptime).as("the host's clock is untouched").isGreaterThan(uptime);
  }

  @Test
  void launch_reachesTheBridgeButNothingElse() throws Exception {
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress(network.bridgeAddress(), 0));
      CompletableFuture<String> greeting = CompletableFuture.supplyAsync(() -> {
        try (Socket s = server.accept()) {
          return s.getInetAddress().getHostAddress();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      String log = runAsNode("ip route; "
          + "(exec 3<>/dev/tcp/" + network.bridgeAddress() + "/" + server.getLocalPort() + ") && echo bridge=reached; "
          + "(exec 3<>/dev/tcp/10.214.0.1/22) 2>&1 | tail -1; ip route get 1.1.1.1 2>&1 | tail -1; true");

      assertThat(greeting.get(10, TimeUnit.SECONDS)).as("the bridge saw the node's address").isEqualTo(subnet.address(OFFSET));
      assertThat(log).contains("bridge=reached");
      assertThat(log).doesNotContain("default");
      assertThat(log.lines().filter(l -> l.contains("Network is unreachable")).count()).as("log:\n" + log).isEqualTo(2);
    }
  }
}
