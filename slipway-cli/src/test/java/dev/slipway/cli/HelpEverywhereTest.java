package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The README promises {@code --help} on every command; this walks the whole command tree. */
class HelpEverywhereTest {
  @Test
  void help_onEveryCommandAndSubcommand_printsUsageAndExitsZero() {
    List<List<String>> paths = new ArrayList<>();
    collect(Main.commandLine(), new ArrayList<>(), paths);
    assertThat(paths).hasSizeGreaterThan(20);
    for (List<String> path : paths) {
      CommandLine cl = Main.commandLine();
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(err, true));
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      int code = cl.execute(args.toArray(String[]::new));
      assertThat(code).as("slipway %s --help: %s", String.join(" ", path), err).isZero();
      assertThat(out.toString()).as("slipway %s --help", String.join(" ", path)).contains("Usage:");
    }
  }

  @Test
  void help_onTheHookOnlyCommandLine_works() {
    CommandLine cl = Main.hookCommandLine();
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    assertThat(cl.execute("hook", "resume", "--help")).isZero();
    assertThat(out.toString()).contains("Usage:");
  }

  private static void collect(CommandLine cl, List<String> path, List<List<String>> out) {
    for (var e : cl.getSubcommands().entrySet()) {
      if (e.getKey().equals("help") || !e.getValue().getCommandName().equals(e.getKey())) {
        continue; // picocli's help command, and aliases
      }
      List<String> p = new ArrayList<>(path);
      p.add(e.getKey());
      out.add(p);
      collect(e.getValue(), p, out);
    }
  }
}
