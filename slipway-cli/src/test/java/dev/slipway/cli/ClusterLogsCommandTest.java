package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** How {@code slipway cluster logs} runs what a backend's access plans: in turn with labels, or all at once when following. */
class ClusterLogsCommandTest {
  private static final Path LOCAL = Path.of("..", "examples", "local");

  @TempDir Path tmp;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(ClusterAccess.LogPlan plan, Path captured, String... args) {
    ClusterAccess access = new ClusterAccess() {
      @Override
      public List<String> shell(Target target, List<String> command) {
        throw new AssertionError("logs never opens a shell");
      }

      @Override
      public LogPlan logs(Optional<String> host, boolean follow) {
        return plan;
      }
    };
    CommandLine.IFactory factory = new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> cls) throws Exception {
        K made = CommandLine.defaultFactory().create(cls);
        if (made instanceof ClusterCommand.Logs l) {
          l.access = config -> access;
          l.launcher = argv -> new ProcessBuilder(argv).redirectInput(new File("/dev/null"))
              .redirectOutput(ProcessBuilder.Redirect.appendTo(captured.toFile())).redirectErrorStream(true).start();
        }
        return made;
      }
    };
    CommandLine cl = Main.commandLine(factory);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 4];
    all[0] = "cluster";
    all[1] = "logs";
    all[2] = "-c";
    all[3] = LOCAL.toString();
    System.arraycopy(args, 0, all, 4, args.length);
    return cl.execute(all);
  }

  @Test
  void logs_ofSeveralMachines_labelEach_printTheNotes_andExitWithTheWorstCode() throws Exception {
    Path captured = tmp.resolve("out.txt");
    ClusterAccess.LogPlan plan = new ClusterAccess.LogPlan(List.of(
        new ClusterAccess.LogCommand("controller a", List.of("sh", "-c", "echo from-a")),
        new ClusterAccess.LogCommand("controller b", List.of("sh", "-c", "echo from-b; exit 3"))),
        List.of("controller c has no address"));

    int code = run(plan, captured);

    assertThat(code).isEqualTo(3);
    assertThat(out.toString()).contains("=== controller a ===", "=== controller b ===");
    assertThat(Files.readString(captured)).isEqualTo("from-a\nfrom-b\n");
    assertThat(err.toString()).contains("note: controller c has no address");
  }

  @Test
  void follow_runsEveryMachinesStreamAtOnce_soOneThatNeverEndsDoesNotHideTheNext() throws Exception {
    // The first waits on a FIFO only the second writes: run in turn, it would never end.
    Path fifo = tmp.resolve("fifo");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    Path captured = tmp.resolve("out.txt");
    ClusterAccess.LogPlan plan = new ClusterAccess.LogPlan(List.of(
        new ClusterAccess.LogCommand("controller a", List.of("sh", "-c", "cat '" + fifo + "'")),
        new ClusterAccess.LogCommand("controller b", List.of("sh", "-c", "echo streamed > '" + fifo + "'"))), List.of());

    int code = run(plan, captured, "--follow");

    assertThat(code).isZero();
    assertThat(Files.readString(captured)).isEqualTo("streamed\n");
  }
}
