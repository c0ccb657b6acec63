package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.cli.Main;
import dev.slipway.node.NodeJoinScript;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class NodeJoinScriptTest {
  @TempDir Path dir;

  private int syntaxCheck(String shell, Path script) throws Exception {
    Process p = new ProcessBuilder(shell, "-n", script.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  @Test
  void script_isValidPosixShellForDashAndSh() throws Exception {
    Path script = dir.resolve("slipway-node-join");
    Files.writeString(script, NodeJoinScript.text());

    assertThat(syntaxCheck("dash", script)).isZero();
    assertThat(syntaxCheck("sh", script)).isZero();
  }

  @Test
  void script_neverPutsTheTokenOnACommandLine() {
    String text = NodeJoinScript.text();

    assertThat(text).contains("--data-urlencode \"token@$token_file\"");
    assertThat(text).doesNotContain("token=$", "echo \"$SLIPWAY_JOIN_TOKEN");
    assertThat(text).startsWith("#!/bin/sh\n");
  }

  @Test
  void nodeJoinScriptCommand_printsTheScriptExactly() {
    StringWriter out = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));

    int code = cl.execute("node-join-script");

    assertThat(code).isZero();
    assertThat(out.toString()).isEqualTo(NodeJoinScript.text());
  }

  @Test
  void script_withMissingInputs_exitsWithCode2AndNamesTheVariable() throws Exception {
    Path script = dir.resolve("slipway-node-join");
    Files.writeString(script, NodeJoinScript.text());
    ProcessBuilder pb = new ProcessBuilder("sh", script.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("SLIPWAY_"));
    pb.environment().put("SLIPWAY_JOIN_URLS", "http://127.0.0.1:1");
    Process p = pb.start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(new String(p.getErrorStream().readAllBytes())).contains("SLIPWAY_CLUSTER_ID is not set");
    assertThat(List.of(dir.toFile().list())).containsExactly("slipway-node-join");
  }
}
