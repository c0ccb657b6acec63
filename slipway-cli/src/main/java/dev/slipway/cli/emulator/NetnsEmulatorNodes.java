package dev.slipway.cli.emulator;

import dev.slipway.cli.ClusterHome;
import dev.slipway.config.ClusterConfig;
import dev.slipway.local.netns.AddressBook;
import dev.slipway.local.netns.HostClock;
import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.NodeLauncher;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

/**
 * A {@link NetnsNodeBackend} wired to a local cluster's network, as {@code slipway emulator batch
 * --backend netns -c DIR} runs it: the cluster id and subnet come from the configuration, the
 * address book is the cluster's own ({@code <home>/network/addresses}, shared with the local
 * provisioner, whose controllers and login nodes keep their addresses), node files go to
 * {@code <home>/emulator/nodes}. The bridge is created when missing and, only then, deleted on
 * {@link #close()}; a running local cluster's bridge is left as it was.
 */
public final class NetnsEmulatorNodes implements AutoCloseable {
  private static final int THREADS = 4;

  private final NetnsNodeBackend backend;
  private final Path nodesDir;
  private final boolean madeBridge;
  private final Duration grace;

  private NetnsEmulatorNodes(NetnsNodeBackend backend, Path nodesDir, boolean madeBridge, Duration grace) {
    this.backend = backend;
    this.nodesDir = nodesDir;
    this.madeBridge = madeBridge;
    this.grace = grace;
  }

  public static NetnsEmulatorNodes open(ClusterConfig config, String accountName, InstantSource clock, Duration removalGrace) {
    ClusterHome home = ClusterHome.of(config);
    Subnet subnet = Subnet.parse(config.slipway().local().subnet());
    CommandRunner runner = new ProcessCommandRunner();
    LocalNetwork network = new LocalNetwork(config.slurm().clusterId(), subnet, runner, clock, Pause.REAL);
    boolean existed = runner.run(List.of("ip", "link", "show", "dev", network.bridgeName()), Duration.ofSeconds(10)).ok();
    network.ensureBridge();
    AddressBook addresses = new AddressBook(home.dir().resolve("network").resolve("addresses"), subnet);
    Path nodesDir = home.dir().resolve("emulator").resolve("nodes");
    NodeLauncher launcher = new NodeLauncher(HostClock.proc(clock), Pause.REAL, NodeLauncher.PROCESS_BUILDER);
    NetnsNodeBackend backend = new NetnsNodeBackend(accountName, network, addresses, launcher, nodesDir, clock, removalGrace, THREADS);
    return new NetnsEmulatorNodes(backend, nodesDir, !existed, removalGrace);
  }

  public NetnsNodeBackend backend() {
    return backend;
  }

  public Path nodesDir() {
    return nodesDir;
  }

  /** Removes every emulated node; deletes the bridge too when this object created it. */
  @Override
  public void close() {
    backend.close();
    if (madeBridge) {
      try {
        backend.network().teardown(grace);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
