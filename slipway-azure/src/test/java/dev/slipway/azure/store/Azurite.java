package dev.slipway.azure.store;

import dev.slipway.model.Secret;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs Azurite (from the repository's {@code node_modules}, installed by {@code npm ci} at the
 * repository root) for one test class, on free loopback ports and with nothing written to disk.
 * Register it with {@code @RegisterExtension static final Azurite AZURITE = new Azurite();}.
 * The class is skipped, with a message that says what to run, when Azurite is not installed.
 * Azurite is killed by PID (its children first) after the class, also when the tests fail, and
 * by a shutdown hook if the JVM goes away first.
 */
public final class Azurite implements BeforeAllCallback, AfterAllCallback {
  /** Azurite's fixed development account; public, documented, and only valid on Azurite. */
  private static final String ACCOUNT = "devstoreaccount1";
  private static final String DEV_KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);

  private Process process;
  private Thread shutdownHook;
  private int blobPort;
  private int queuePort;
  private int tablePort;
  private Path log;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Optional<Path> root = repositoryRoot();
    Assumptions.assumeTrue(root.isPresent(),
        "Azurite is not installed: run 'npm ci' at the repository root (node_modules/azurite missing)");
    Path bin = root.get().resolve("node_modules/.bin/azurite");
    int[] ports = freePorts(3);
    blobPort = ports[0];
    queuePort = ports[1];
    tablePort = ports[2];
    Path target = Path.of("target");
    Files.createDirectories(target);
    log = Files.createTempFile(target, "azurite-", ".log");
    List<String> command = List.of(bin.toString(), "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--inMemoryPersistence",
        "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
        "--blobPort", Integer.toString(blobPort), "--queuePort", Integer.toString(queuePort), "--tablePort", Integer.toString(tablePort));
    process = new ProcessBuilder(command).directory(root.get().toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    shutdownHook = new Thread(this::kill, "azurite-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    try {
      awaitPorts();
    } catch (Exception | AssertionError e) {
      kill();
      throw e;
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    kill();
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook runs kill() again, which is harmless.
      }
    }
  }

  /** An account-key connection string for this Azurite (the well-known development key). */
  public Secret connectionString() {
    String base = "http://127.0.0.1:";
    return Secret.of("DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + DEV_KEY
        + ";BlobEndpoint=" + base + blobPort + "/" + ACCOUNT + ";QueueEndpoint=" + base + queuePort + "/" + ACCOUNT
        + ";TableEndpoint=" + base + tablePort + "/" + ACCOUNT + ";");
  }

  public int tablePort() {
    return tablePort;
  }

  private void awaitPorts() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    for (int port : new int[] {blobPort, queuePort, tablePort}) {
      while (!listening(port)) {
        if (!process.isAlive()) {
          throw new AssertionError("Azurite exited with " + process.exitValue() + " before listening; log: "
              + Files.readString(log).strip());
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("Azurite did not listen on 127.0.0.1:" + port + " within " + START_DEADLINE.toSeconds() + " s");
        }
        // Waiting for another process to open a port: there is no event to wait on.
        process.waitFor(100, TimeUnit.MILLISECONDS);
      }
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private synchronized void kill() {
    if (process == null) {
      return;
    }
    // Children first (an npm or shell wrapper would otherwise leave node running), each by PID.
    List<ProcessHandle> children = new ArrayList<>(process.descendants().toList());
    java.util.Collections.reverse(children);
    for (ProcessHandle child : children) {
      child.destroy();
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        children.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    process = null;
  }

  private static int[] freePorts(int n) throws IOException {
    // Held open together so that the n ports differ; closed just before Azurite binds them.
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  private static Optional<Path> repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isExecutable(dir.resolve("node_modules/.bin/azurite")) && Files.isDirectory(dir.resolve("node_modules/azurite"))) {
        return Optional.of(dir);
      }
    }
    return Optional.empty();
  }
}
