package dev.slipway.local.services;

import dev.slipway.slurm.CommandRunner;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * What the local backend needs on this machine, in ONE place: {@link #REQUIRED} is the list
 * {@code slipway prereqs} checks and installs, and {@code scripts/install-prereqs.sh} (the CI
 * installer) must name the same packages (a test compares them). Besides files, two capabilities
 * are probed by running the program: {@code ip netns} and {@code unshare --time} (kernels or
 * util-linux without time namespaces cannot give slurmd its own boot time, see the feasibility
 * study's gotcha 1).
 */
public final class Prerequisites {
  public static final List<Prerequisite> REQUIRED = List.of(
      Prerequisite.program("ip", "network namespaces, veth pairs and the bridge", "iproute2"),
      Prerequisite.program("unshare", "UTS and time namespaces for each slurmd", "util-linux"),
      Prerequisite.program("nsenter", "entering a node's network namespace", "util-linux"),
      Prerequisite.program("setpriv", "running munged as the munge user", "util-linux"),
      Prerequisite.program("slurmctld", "the Slurm controller", "slurmctld"),
      Prerequisite.program("slurmd", "the Slurm node daemon", "slurmd"),
      Prerequisite.program("scontrol", "Slurm control", "slurm-client"),
      Prerequisite.program("sinfo", "Slurm node states", "slurm-client"),
      Prerequisite.program("sbatch", "job submission", "slurm-client"),
      Prerequisite.program("sacct", "accounting queries", "slurm-client"),
      Prerequisite.program("sacctmgr", "accounting registration", "slurm-client"),
      Prerequisite.program("munged", "the cluster's munge daemon", "munge"),
      Prerequisite.program("munge", "munge credential checks", "munge"),
      Prerequisite.program("slurmdbd", "the accounting daemon", "slurmdbd"),
      Prerequisite.program("mariadbd", "the accounting database", "mariadb-server"),
      Prerequisite.program("mariadb-install-db", "a fresh accounting database", "mariadb-server"),
      Prerequisite.program("mariadb", "the database client", "mariadb-client"),
      Prerequisite.program("sshd", "login nodes", "openssh-server"),
      Prerequisite.program("ssh", "slipway cluster ssh", "openssh-client"),
      Prerequisite.program("curl", "the nodes' start task (slipway-node-join)", "curl"),
      new Prerequisite("pam_slurm_adopt", "confining SSH sessions on nodes to the user's jobs",
          List.of("/lib/security/pam_slurm_adopt.so", "/lib/*/security/pam_slurm_adopt.so",
              "/usr/lib/security/pam_slurm_adopt.so", "/usr/lib/*/security/pam_slurm_adopt.so"),
          "libpam-slurm-adopt"));

  /** The outcome for one prerequisite: present, or missing with the reason. */
  public record Check(Prerequisite prerequisite, Optional<String> problem) {
    public boolean ok() {
      return problem.isEmpty();
    }
  }

  private final Executables executables;
  private final CommandRunner runner;

  public Prerequisites(Executables executables, CommandRunner runner) {
    this.executables = executables;
    this.runner = runner;
  }

  /** Every prerequisite in {@link #REQUIRED} order. */
  public List<Check> check() {
    List<Check> checks = new ArrayList<>();
    for (Prerequisite p : REQUIRED) {
      checks.add(new Check(p, problem(p)));
    }
    return checks;
  }

  /** The packages to install for the failed checks, each once, in list order. */
  public static List<String> packagesFor(List<Check> checks) {
    LinkedHashSet<String> packages = new LinkedHashSet<>();
    checks.stream().filter(c -> !c.ok()).forEach(c -> packages.add(c.prerequisite().debianPackage()));
    return List.copyOf(packages);
  }

  /** Every package the local backend needs, each once. */
  public static List<String> allPackages() {
    LinkedHashSet<String> packages = new LinkedHashSet<>();
    REQUIRED.forEach(p -> packages.add(p.debianPackage()));
    return List.copyOf(packages);
  }

  private Optional<String> problem(Prerequisite p) {
    if (p.isFile()) {
      return p.candidates().stream().anyMatch(Prerequisites::existsGlob) ? Optional.empty()
          : Optional.of("none of " + String.join(", ", p.candidates()) + " exists");
    }
    Optional<Path> program = executables.find(p.name());
    if (program.isEmpty()) {
      return Optional.of(p.name() + " not found in " + executables.searchPath());
    }
    return switch (p.name()) {
      case "ip" -> probe(List.of(program.get().toString(), "netns", "list"), "ip has no netns support");
      case "unshare" -> probe(List.of(program.get().toString(), "--time", "--fork", "true"), "unshare --time does not work (needs util-linux >= 2.36, a kernel with time namespaces, and root)");
      default -> Optional.empty();
    };
  }

  private Optional<String> probe(List<String> command, String problem) {
    CommandRunner.Result r = runner.run(command, Duration.ofSeconds(10));
    return r.ok() ? Optional.empty() : Optional.of(problem + ": " + (r.stderr().isBlank() ? "exit " + r.exitCode() : r.stderr().strip()));
  }

  /** Whether a path exists, where one directory component may be {@code *}. */
  static boolean existsGlob(String path) {
    int star = path.indexOf('*');
    if (star < 0) {
      return Files.exists(Path.of(path));
    }
    Path parent = Path.of(path.substring(0, star));
    String rest = path.substring(star + 1);
    if (!Files.isDirectory(parent)) return false;
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, Files::isDirectory)) {
      for (Path d : dirs) {
        if (Files.exists(Path.of(d + rest))) return true;
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }
}
