package dev.slipway.cli;

import dev.slipway.local.provision.ControlPlane;
import dev.slipway.local.provision.ProvisionException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CLI's half of a local cluster: {@code slipway hook install} (run in this JVM, same options
 * and output) and the command line of {@code slipway daemon}, both with the jar and Java this CLI
 * runs from and the configuration options it was given, so hooks, daemon and CLI read the same
 * files.
 */
final class LocalControlPlane implements ControlPlane {
  private final ConfigOptions config;

  LocalControlPlane(ConfigOptions config) {
    this.config = config;
  }

  private static Path jar() {
    return HookInstallCommand.runningJar().orElseThrow(() -> new ProvisionException(
        "cannot tell which jar the hooks and the daemon should run (this CLI is not running from a jar)"));
  }

  @Override
  public void installHooks(Path libexec, List<String> wakeUrls) {
    List<String> args = new ArrayList<>(List.of("hook", "install"));
    args.addAll(config.asArguments(System::getenv));
    args.addAll(List.of("--libexec", libexec.toString(), "--jar", jar().toString()));
    for (String url : wakeUrls) {
      args.addAll(List.of("--wake", url));
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rc = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args.toArray(String[]::new));
    if (rc != ExitCodes.OK) {
      throw new ProvisionException("slipway hook install failed (exit " + rc + "): " + (err.toString().strip() + " " + out.toString().strip()).strip());
    }
  }

  @Override
  public List<String> daemonCommand(String id, String listenAddress, int port, List<String> confServers, List<String> joinUrls) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-jar", jar().toString(), "daemon"));
    command.addAll(config.asArguments(System::getenv));
    command.addAll(List.of("--id", id, "--listen", listenAddress, "--port", Integer.toString(port), "--provider", "netns"));
    for (String s : confServers) {
      command.addAll(List.of("--conf-server", s));
    }
    for (String u : joinUrls) {
      command.addAll(List.of("--join-url", u));
    }
    return command;
  }
}
