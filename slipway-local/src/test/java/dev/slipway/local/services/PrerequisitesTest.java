package dev.slipway.local.services;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.slurm.CommandRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrerequisitesTest {
  @Test
  void installScript_namesEveryPackageOfTheList() throws Exception {
    Path script = Path.of("..", "scripts", "install-prereqs.sh");
    String text = Files.readString(script);
    for (String pkg : Prerequisites.allPackages()) {
      assertThat(text).as("scripts/install-prereqs.sh installs %s", pkg).containsPattern("[=( ]" + java.util.regex.Pattern.quote(pkg) + "[)\\s]");
    }
    assertThat(Prerequisites.allPackages()).contains("slurmdbd", "mariadb-server", "mariadb-client", "openssh-server",
        "libpam-slurm-adopt", "munge", "slurmctld", "slurmd", "slurm-client", "iproute2", "util-linux");
  }

  @Test
  void check_onAnEmptyMachine_namesEachMissingPackageOnce(@TempDir Path empty) {
    Prerequisites p = new Prerequisites(new Executables(List.of(empty)), (c, t) -> new Result(0, "", ""));
    List<Prerequisites.Check> checks = p.check();
    List<String> packages = Prerequisites.packagesFor(checks);
    assertThat(packages).doesNotHaveDuplicates().contains("slurm-client", "mariadb-server");
    assertThat(checks.stream().filter(c -> c.prerequisite().name().equals("slurmdbd")).findFirst().orElseThrow().problem())
        .hasValueSatisfying(s -> assertThat(s).contains("not found"));
  }

  @Test
  void check_probesNetnsAndTimeNamespaceSupport(@TempDir Path bin) throws Exception {
    for (String name : List.of("ip", "unshare")) {
      Path f = Files.createFile(bin.resolve(name));
      f.toFile().setExecutable(true);
    }
    Prerequisites p = new Prerequisites(new Executables(List.of(bin)),
        (c, t) -> c.contains("--time") ? new Result(1, "", "unshare: unrecognized option '--time'") : new Result(0, "", ""));
    var byName = p.check().stream().collect(java.util.stream.Collectors.toMap(c -> c.prerequisite().name(), c -> c.problem()));
    assertThat(byName.get("ip")).isEqualTo(Optional.empty());
    assertThat(byName.get("unshare")).hasValueSatisfying(s -> assertThat(s).contains("unshare --time does not work", "unrecognized option"));
  }

  @Test
  void existsGlob_matchesOneDirectoryWildcard(@TempDir Path root) throws Exception {
    Files.createDirectories(root.resolve("lib/x86_64-linux-gnu/security"));
    Files.createFile(root.resolve("lib/x86_64-linux-gnu/security/pam_slurm_adopt.so"));
    assertThat(Prerequisites.existsGlob(root + "/lib/*/security/pam_slurm_adopt.so")).isTrue();
    assertThat(Prerequisites.existsGlob(root + "/lib/*/security/other.so")).isFalse();
  }
}
