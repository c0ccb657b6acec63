package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.local.services.Executables;
import dev.slipway.local.services.Prerequisites;
import dev.slipway.slurm.CommandRunner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PrereqsCommandTest {
  @TempDir Path emptyBin;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final List<List<String>> apt = new ArrayList<>();

  private int run(boolean root, String... args) {
    Prerequisites nothing = new Prerequisites(new Executables(List.of(emptyBin)), (c, t) -> new CommandRunner.Result(0, "", ""));
    CommandRunner recorder = (c, t) -> {
      apt.add(c);
      return new CommandRunner.Result(0, "", "");
    };
    CommandLine.IFactory factory = new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> cls) throws Exception {
        if (cls == PrereqsCommand.class) return cls.cast(new PrereqsCommand(nothing, () -> root, recorder));
        return CommandLine.defaultFactory().create(cls);
      }
    };
    CommandLine cl = Main.commandLine(factory);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void prereqs_withPiecesMissing_exits1AndNamesTheDebianPackages() {
    assertThat(run(true, "prereqs")).isEqualTo(ExitCodes.FAILURE);
    assertThat(out.toString()).contains("MISSING  slurmdbd (the accounting daemon)", "Debian package: slurmdbd",
        "apt-get install -y --no-install-recommends iproute2 util-linux slurmctld");
    assertThat(apt).isEmpty();
  }

  @Test
  void install_asRoot_updatesOnceThenInstallsEveryMissingPackage() {
    run(true, "prereqs", "--install");
    assertThat(apt).hasSize(2);
    assertThat(apt.get(0)).containsExactly("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update", "-qq");
    assertThat(apt.get(1)).startsWith("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "--no-install-recommends")
        .contains("slurmdbd", "mariadb-server", "openssh-server").doesNotHaveDuplicates();
  }

  @Test
  void install_asNonRoot_exits1WithAClearMessage_andRunsNothing() {
    assertThat(run(false, "prereqs", "--install")).isEqualTo(ExitCodes.FAILURE);
    assertThat(err.toString()).contains("must run as root");
    assertThat(apt).isEmpty();
  }
}
