package dev.slipway.local.netns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.spi.NodePool;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A restarted provider finds the nodes that exist, and removed nodes leave their logs behind. */
class NetnsProviderRestartIT {
  private final String cluster = "restart-it-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  private Subnet subnet;
  private Path dir;

  @BeforeEach
  void machine() throws Exception {
    NetnsHost.assumeUsable();
    subnet = NetnsHost.randomSubnet();
    dir = Files.createTempDirectory("slipway-netns-restart");
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (dir != null) {
      new LocalNetwork(cluster, subnet, NetnsHost.RUNNER, InstantSource.system(), Pause.REAL).teardown(Duration.ofSeconds(1));
      assertThat(NetnsHost.leftovers(LocalNetwork.shortHash(cluster))).isEmpty();
      NetnsProvider.deleteTree(dir);
    }
  }

  private NetnsProvider provider() {
    return NetnsProvider.builder(cluster, dir, subnet).runner(NetnsHost.RUNNER).removalGrace(Duration.ofSeconds(1))
        .pool(NetnsPoolSpec.of("cpu", 4))
        .startTask(new StartTaskSpec(List.of("sh", "-c", "echo started $SLIPWAY_NODE_ID; sleep 600 & echo ok"), Map.of()))
        .build();
  }

  private static List<ProviderNode> settle(NodePool pool) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(60);
    while (pool.isResizing() || pool.nodes().stream().anyMatch(n -> n.state() == ProviderNodeState.CREATING
        || n.state() == ProviderNodeState.STARTING || n.state() == ProviderNodeState.LEAVING)) {
      assertThat(Instant.now()).as("settled in time: " + pool.nodes()).isBefore(deadline);
      Thread.sleep(50); // polling real processes with a deadline
    }
    return pool.nodes();
  }

  @Test
  void start_keepsTheNamespacesOfInfrastructureAddresses_andDeletesOtherStrayNamespacesOfTheCluster() throws Exception {
    LocalNetwork network = new LocalNetwork(cluster, subnet, NetnsHost.RUNNER, InstantSource.system(), Pause.REAL);
    network.ensureBridge();
    AddressBook book = new AddressBook(dir.resolve("network").resolve("addresses"), subnet);
    int login = book.allocate(AddressRole.INFRASTRUCTURE, "c1-login-vm000");
    network.createNamespace(network.namespaceName("c1-login-vm000"), login);
    int stray = book.allocate(AddressRole.COMPUTE, "cpu-99");
    network.createNamespace(network.namespaceName("cpu-99"), stray);

    try (NetnsProvider p = provider()) {
      assertThat(network.namespaces()).as("a local cluster's login node is the provisioner's, not an orphan node")
          .contains(network.namespaceName("c1-login-vm000")).doesNotContain(network.namespaceName("cpu-99"));
    }
  }

  @Test
  void restart_adoptsTheNodesThatExistAndRemovalKeepsTheirLogs() throws Exception {
    NetnsProvider first = provider();
    first.pools().get(0).resize(new PoolTarget(2, 0));
    List<ProviderNode> before = settle(first.pools().get(0));
    first.close();

    NetnsProvider second = provider();
    NodePool pool = second.pools().get(0);
    assertThat(pool.nodes()).extracting(ProviderNode::id, ProviderNode::state, ProviderNode::address)
        .containsExactlyInAnyOrderElementsOf(before.stream().map(n -> org.assertj.core.groups.Tuple.tuple(n.id(), n.state(), n.address())).toList());
    assertThat(pool.targetSize()).isEqualTo(new PoolTarget(2, 0));

    String gone = before.get(0).id();
    String ns = second.network().namespaceName(gone);
    assertThat(second.network().pids(ns)).as("the start task's background process lives in the node").isNotEmpty();
    pool.remove(List.of(gone));
    settle(pool);

    assertThat(second.network().namespaces()).doesNotContain(ns);
    assertThat(Files.readString(dir.resolve("nodes/removed/" + gone + "/logs/start-task.log"))).contains("started " + gone);
    assertThat(dir.resolve("nodes/" + gone)).doesNotExist();

    pool.resize(new PoolTarget(2, 0));
    assertThat(settle(pool)).extracting(ProviderNode::id).as("node ids are never reused").doesNotContain(gone).hasSize(2);
    second.destroy();
  }
}
