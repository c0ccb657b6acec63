package dev.slipway.cli;

import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.azure.batch.emulator.EmulatedNodeBackend;
import dev.slipway.cli.emulator.NetnsEmulatorNodes;
import dev.slipway.azure.batch.emulator.TimedNodeBackend;
import dev.slipway.model.Secret;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code slipway emulator batch}: runs the Azure Batch emulator standalone on 127.0.0.1, so that
 * the azure-batch provider (or any Batch client) can be pointed at it without Azure. Prints the
 * account URL, name and key, then serves until interrupted.
 */
@Command(name = "emulator", description = "Run local emulators of cloud services.",
    subcommands = {EmulatorCommand.Batch.class})
public final class EmulatorCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "an emulator is required: batch");
  }

  /** The Batch data-plane emulator. */
  @Command(name = "batch", mixinStandardHelpOptions = true,
      description = "Emulate the Azure Batch pool and node API (2025-06-01.21.0) on 127.0.0.1.")
  public static final class Batch implements Callable<Integer> {
    enum Auth { sharedkey, bearer, none }

    enum NodeBackend { timed, netns }

    @Option(names = "--port", defaultValue = "0", description = "Port on 127.0.0.1 (default: 0, any free port).")
    int port;

    @Option(names = "--account", defaultValue = "slipwayemu", description = "Batch account name (default: ${DEFAULT-VALUE}).")
    String account;

    @Option(names = "--auth", defaultValue = "sharedkey", description = "Authentication to require: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Auth auth;

    @Option(names = "--key", description = "Account key (base64) for shared-key auth; generated when absent.")
    String key;

    @Option(names = "--bearer-token", description = "Bearer token to accept with --auth bearer; generated when absent.")
    String bearerToken;

    @Option(names = "--boot-seconds", defaultValue = "20", description = "Seconds a node spends in each of creating, starting and waitingforstarttask (default: ${DEFAULT-VALUE}).")
    int bootSeconds;

    @Option(names = "--page-size", defaultValue = "1000", description = "Largest page a list returns, 1-1000 (default: ${DEFAULT-VALUE}).")
    int pageSize;

    @Option(names = "--backend", defaultValue = "timed",
        description = "What stands behind the nodes: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). timed: states on a clock "
            + "(--boot-seconds); netns: each node is a network namespace on the -c cluster's bridge running its pool's start task (root).")
    NodeBackend backend;

    @Option(names = "--removal-grace-seconds", defaultValue = "5",
        description = "With --backend netns: seconds between SIGTERM and SIGKILL when a node is removed (default: ${DEFAULT-VALUE}).")
    int removalGraceSeconds;

    @picocli.CommandLine.Mixin ConfigOptions config;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    private final CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() {
      if (port < 0 || port > 65535) throw new UsageException("--port must be 0..65535, got " + port);
      if (bootSeconds < 0) throw new UsageException("--boot-seconds must be >= 0, got " + bootSeconds);
      if (pageSize < 1 || pageSize > 1000) throw new UsageException("--page-size must be 1..1000, got " + pageSize);
      if (account.isBlank() || !account.matches("[a-z0-9]{3,24}")) {
        throw new UsageException("--account must be 3-24 lower-case letters and digits (a Batch account name), got '" + account + "'");
      }
      if (key != null) {
        try {
          Base64.getDecoder().decode(key);
        } catch (IllegalArgumentException e) {
          throw new UsageException("--key must be base64");
        }
      }
      if (removalGraceSeconds < 0) throw new UsageException("--removal-grace-seconds must be >= 0, got " + removalGraceSeconds);
      Duration phase = Duration.ofSeconds(bootSeconds);
      InstantSource clock = InstantSource.system();
      Optional<NetnsEmulatorNodes> netns = backend == NodeBackend.netns
          ? Optional.of(NetnsEmulatorNodes.open(config.load().config(), account, clock, Duration.ofSeconds(removalGraceSeconds)))
          : Optional.empty();
      EmulatedNodeBackend nodes = netns.<EmulatedNodeBackend>map(NetnsEmulatorNodes::backend)
          .orElseGet(() -> new TimedNodeBackend(clock, new TimedNodeBackend.Timings(phase, phase, phase, Duration.ofSeconds(Math.min(bootSeconds, 10)))));
      try {
        return serve(nodes, clock, netns);
      } finally {
        netns.ifPresent(NetnsEmulatorNodes::close);
      }
    }

    private int serve(EmulatedNodeBackend nodes, InstantSource clock, Optional<NetnsEmulatorNodes> netns) {
      BatchEmulator.Settings settings = BatchEmulator.Settings.of(account, clock, nodes).withMaxPageSize(pageSize).withPort(port);
      Optional<String> printedKey = Optional.empty();
      Optional<String> printedToken = Optional.empty();
      switch (auth) {
        case sharedkey -> {
          String k = key != null ? key : random(64);
          settings = settings.withSharedKey(Secret.of(k));
          printedKey = Optional.of(k);
        }
        case bearer -> {
          String t = bearerToken != null ? bearerToken : random(32);
          settings = settings.withBearerToken(t);
          printedToken = Optional.of(t);
        }
        case none -> { }
      }
      BatchEmulator emulator;
      try {
        emulator = BatchEmulator.start(settings);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
      }
      Thread hook = new Thread(stop::countDown, "batch-emulator-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try (emulator) {
        PrintWriter out = spec.commandLine().getOut();
        out.println("Azure Batch emulator (api-version " + dev.slipway.azure.batch.BatchApi.API_VERSION + ")");
        out.println("url:     " + emulator.url());
        out.println("account: " + account);
        // Printing the key is the point of this command: it is a throwaway key for a local emulator.
        printedKey.ifPresent(k -> out.println("key:     " + k));
        printedToken.ifPresent(t -> out.println("token:   " + t));
        if (auth == Auth.none) out.println("auth:    none");
        netns.ifPresent(n -> out.println("nodes:   network namespaces on bridge " + n.backend().network().bridgeName() + " ("
            + n.backend().network().subnet() + "), files in " + n.nodesDir()));
        out.println("Press Ctrl-C to stop.");
        out.flush();
        try {
          stop.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // asked to stop: close the emulator and exit normally
        }
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // already shutting down: the hook is running
        }
      }
      return ExitCodes.OK;
    }

    private static String random(int bytes) {
      byte[] b = new byte[bytes];
      new SecureRandom().nextBytes(b);
      return Base64.getEncoder().encodeToString(b);
    }
  }
}
