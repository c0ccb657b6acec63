package dev.slipway.cli.daemon;

import dev.slipway.tls.DaemonIdentity;
import dev.slipway.node.NodeJoinScript;
import dev.slipway.sim.StartTask;
import dev.slipway.spi.ProviderNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start task of the daemon's in-process {@code sim} nodes: the real {@code slipway-node-join}
 * script, run with {@code sh} as a child process, so that the sim backend exercises the
 * production join path end to end. Each node gets its own directory, the pool's token file,
 * {@code SLIPWAY_MUNGE=shared} (the host's munged) and, as source address, its simulated address
 * moved onto the loopback network ({@link #loopback}), which the provider reports too.
 *
 * <p>The script runs asynchronously: the simulator calls start tasks while it holds its own lock,
 * and the script's join request needs that lock to list the pool's nodes, so waiting for it here
 * would deadlock. The node is therefore ready as soon as the script started; a script that fails
 * leaves the host unjoined, which the engine's resume timeout handles as on a real pool.
 */
public final class SimNodeLauncher implements StartTask, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SimNodeLauncher.class);

  private final Path nodesDir;
  private final Path secretsDir;
  private final String clusterId;
  private final Supplier<List<String>> joinUrls;
  private final String slurmd;
  private final List<Process> running = new ArrayList<>();

  /** {@code slurmd}: the program the script starts as slurmd (e.g. a recorder in tests, {@code true} for none). */
  public SimNodeLauncher(Path nodesDir, Path secretsDir, String clusterId, Supplier<List<String>> joinUrls, String slurmd) {
    this.nodesDir = Objects.requireNonNull(nodesDir, "nodesDir");
    this.secretsDir = Objects.requireNonNull(secretsDir, "secretsDir");
    this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
    this.joinUrls = Objects.requireNonNull(joinUrls, "joinUrls");
    this.slurmd = Objects.requireNonNull(slurmd, "slurmd");
  }

  /** {@code 10.a.b.c} (the simulator's node addresses) becomes {@code 127.a.b.c}; others are kept. */
  public static String loopback(String address) {
    return address.startsWith("10.") ? "127." + address.substring(3) : address;
  }

  @Override
  public synchronized boolean run(ProviderNode node) {
    try {
      Path dir = nodesDir.resolve(node.id());
      Files.createDirectories(dir);
      Path script = nodesDir.resolve(NodeJoinScript.FILE_NAME);
      if (!Files.exists(script)) {
        Files.writeString(script, NodeJoinScript.text());
      }
      ProcessBuilder pb = new ProcessBuilder("sh", script.toString());
      Map<String, String> env = pb.environment();
      env.put("SLIPWAY_JOIN_URLS", String.join(" ", joinUrls.get()));
      env.put("SLIPWAY_CLUSTER_ID", clusterId);
      env.put("SLIPWAY_POOL_ID", node.poolId());
      env.put("SLIPWAY_NODE_ID", node.id());
      // The daemon made its key in the same secrets directory before it started any node.
      env.put("SLIPWAY_JOIN_PIN", DaemonIdentity.readPin(secretsDir));
      env.put("SLIPWAY_JOIN_TOKEN_FILE", JoinSecrets.joinTokenFile(secretsDir, node.poolId()).toString());
      env.put("SLIPWAY_NODE_DIR", dir.toString());
      env.put("SLIPWAY_MUNGE", "shared");
      env.put("SLIPWAY_SLURMD", slurmd);
      env.put("SLIPWAY_JOIN_DEADLINE", "60");
      node.address().map(SimNodeLauncher::loopback).ifPresent(a -> env.put("SLIPWAY_JOIN_INTERFACE", a));
      pb.redirectErrorStream(true).redirectOutput(dir.resolve("join.log").toFile());
      running.removeIf(p -> !p.isAlive());
      running.add(pb.start());
      log.info("sim node {} of pool {} started slipway-node-join (log {})", node.id(), node.poolId(), dir.resolve("join.log"));
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the join script of sim node " + node.id(), e);
    }
  }

  /** Kills scripts still running (their process trees included). */
  @Override
  public synchronized void close() {
    for (Process p : running) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    running.clear();
  }
}
