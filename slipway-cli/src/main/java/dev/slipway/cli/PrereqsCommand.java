package dev.slipway.cli;

import dev.slipway.local.services.Executables;
import dev.slipway.local.services.Prerequisites;
import dev.slipway.local.services.Prerequisites.Check;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code slipway prereqs [--install]}: checks that this machine has what the local backend runs
 * (Prerequisites.REQUIRED) and names the Debian package for each missing piece; with
 * {@code --install}, installs them with apt-get (as root).
 */
@Command(
    name = "prereqs",
    mixinStandardHelpOptions = true,
    description = {"Check the programs the local backend needs; exit 1 and name the Debian packages when some are missing.",
        "With --install, install them with apt-get (root only)."})
final class PrereqsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--install", description = "Install the missing packages with apt-get (needs root).")
  boolean install;

  private final Prerequisites prerequisites;
  private final BooleanSupplier isRoot;
  private final CommandRunner apt;

  PrereqsCommand() {
    this(new Prerequisites(Executables.withPath(userPath()), new ProcessCommandRunner()), PrereqsCommand::effectiveUidIsRoot,
        new ProcessCommandRunner());
  }

  PrereqsCommand(Prerequisites prerequisites, BooleanSupplier isRoot, CommandRunner apt) {
    this.prerequisites = prerequisites;
    this.isRoot = isRoot;
    this.apt = apt;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<Check> checks = prerequisites.check();
    List<String> missing = Prerequisites.packagesFor(checks);
    if (!isRoot.getAsBoolean()) {
      out.println("MISSING  root: the local backend creates network namespaces and runs Slurm as root");
    }
    print(out, checks);
    if (install && !missing.isEmpty()) {
      if (!isRoot.getAsBoolean()) {
        throw new IllegalStateException("prereqs --install must run as root (apt-get installs system packages); "
            + "run as root, or: sudo apt-get install -y --no-install-recommends " + String.join(" ", missing));
      }
      installPackages(out, missing);
      checks = prerequisites.check();
      missing = Prerequisites.packagesFor(checks);
      out.println("after installing:");
      print(out, checks);
    }
    if (!missing.isEmpty()) {
      out.println("missing; install with: apt-get install -y --no-install-recommends " + String.join(" ", missing)
          + "   (or: slipway prereqs --install)");
    }
    out.flush();
    return missing.isEmpty() && isRoot.getAsBoolean() ? ExitCodes.OK : ExitCodes.FAILURE;
  }

  private static void print(PrintWriter out, List<Check> checks) {
    for (Check c : checks) {
      if (c.ok()) {
        out.printf("ok       %s%n", c.prerequisite().name());
      } else {
        out.printf("MISSING  %s (%s): %s; Debian package: %s%n", c.prerequisite().name(), c.prerequisite().what(),
            c.problem().orElse(""), c.prerequisite().debianPackage());
      }
    }
  }

  private void installPackages(PrintWriter out, List<String> packages) {
    out.println("installing: " + String.join(" ", packages));
    out.flush();
    runApt(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update", "-qq"));
    List<String> command = new ArrayList<>(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq",
        "--no-install-recommends"));
    command.addAll(packages);
    runApt(command);
  }

  private void runApt(List<String> command) {
    CommandRunner.Result r = apt.run(command, Duration.ofMinutes(15));
    if (!r.ok()) {
      List<String> lines = r.stderr().strip().lines().toList();
      throw new IllegalStateException(String.join(" ", command.subList(2, command.size())) + " failed (exit " + r.exitCode() + "): "
          + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())));
    }
  }

  private static List<Path> userPath() {
    String path = System.getenv("PATH");
    if (path == null || path.isBlank()) return List.of();
    return Arrays.stream(path.split(File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of).toList();
  }

  private static boolean effectiveUidIsRoot() {
    try {
      // /proc/self belongs to the process's effective user.
      return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
