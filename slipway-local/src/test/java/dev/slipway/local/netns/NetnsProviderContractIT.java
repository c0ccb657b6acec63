package dev.slipway.local.netns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.testkit.NodeProviderContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The provider contract against real network namespaces on this machine (root, iproute2 and
 * util-linux with time namespaces; skipped otherwise). Every test destroys its provider and then
 * checks that no namespace, veth or bridge of the test cluster is left; {@link #removeEverything}
 * is the safety net when a test failed half-way.
 */
class NetnsProviderContractIT extends NodeProviderContract {
  private static final String CLUSTER = "contract-it-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  private static Subnet subnet;
  private static Path root;
  private Path stateDir;

  @BeforeAll
  static void machine() throws Exception {
    NetnsHost.assumeUsable();
    subnet = NetnsHost.randomSubnet();
    root = Files.createTempDirectory("slipway-netns-contract");
  }

  @Override
  protected NodeProvider createProvider() {
    try {
      stateDir = Files.createTempDirectory(root, "cluster");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return NetnsProvider.builder(CLUSTER, stateDir, subnet)
        .runner(NetnsHost.RUNNER)
        .random(new Random(7))
        .removalGrace(Duration.ofSeconds(2))
        // A short boot delay keeps the pool resizing long enough for the "while resizing" cases.
        .pool(NetnsPoolSpec.of("gpu", 8).withBootDelay(Duration.ofMillis(300)))
        .startTask(new StartTaskSpec(List.of("sh", "-c", "echo ok"), Map.of()))
        .build();
  }

  @Override
  protected String poolId() {
    return "gpu";
  }

  @Override
  protected void awaitSettled(NodePool pool) {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (!isSettled(pool)) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("pool " + pool.id() + " did not settle in 60 s: " + pool.status() + " " + pool.nodes());
      }
      try {
        Thread.sleep(50); // polling real processes with a deadline, as the contract asks of real providers
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  protected void destroyProvider(NodeProvider p) {
    try {
      ((NetnsProvider) p).destroy();
      // Checked here, not in an @AfterEach of this class: JUnit runs those before the contract's own.
      assertThat(NetnsHost.leftovers(LocalNetwork.shortHash(CLUSTER))).as("namespaces, veths, bridge left").isEmpty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @AfterAll
  static void removeEverything() throws Exception {
    if (subnet == null) {
      return;
    }
    new LocalNetwork(CLUSTER, subnet, NetnsHost.RUNNER, java.time.InstantSource.system(), Pause.REAL).teardown(Duration.ofSeconds(1));
    assertThat(NetnsHost.leftovers(LocalNetwork.shortHash(CLUSTER))).isEmpty();
    NetnsProvider.deleteTree(root);
  }
}
