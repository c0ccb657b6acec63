package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.cli.Main;
import dev.slipway.node.NodeJoinScript;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
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

  @Test
  void secretFiles_areWritten0600UnderTheNodeDir_beforeTheMountThatNamesThem() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path node = dir.resolve("node");
    String creds = "username=acct\npassword=k3y==\n";
    Path body = dir.resolve("body");
    Files.writeString(body, "host=gpu-1\nconf_server=ctl:6817\nmunge_key=bXVuZ2U=\n"
        + "secret_file=azfile " + Base64.getEncoder().encodeToString(creds.getBytes()) + "\n"
        + "mount=//acct.file.core.windows.net/share " + dir.resolve("mnt") + " cifs vers=3.0,credentials=" + node.resolve("secrets/azfile") + " 0 0\n");
    // curl: answer 200 with the body; mount: record what the credentials file held when mount ran.
    stub(bin, "curl", "while [ $# -gt 0 ]; do [ \"$1\" = --output ] && cp \"$BODY\" \"$2\"; shift; done; printf 200");
    stub(bin, "mount", "echo \"$*\" > \"$SEEN\"; cat \"" + node.resolve("secrets/azfile") + "\" >> \"$SEEN\"");
    Run run = join(bin, Map.of("BODY", body.toString(), "SEEN", dir.resolve("seen").toString()));

    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(Files.readString(dir.resolve("seen"))).isEqualTo("-t cifs -o vers=3.0,credentials=" + node.resolve("secrets/azfile")
        + " //acct.file.core.windows.net/share " + dir.resolve("mnt") + "\n" + creds);
    assertThat(Files.getPosixFilePermissions(node.resolve("secrets/azfile"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(node.resolve("secrets"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void secretFile_withAPathForName_isRefused() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path body = dir.resolve("body");
    Files.writeString(body, "host=gpu-1\nconf_server=ctl:6817\nsecret_file=../../etc/passwd eA==\n");
    stub(bin, "curl", "while [ $# -gt 0 ]; do [ \"$1\" = --output ] && cp \"$BODY\" \"$2\"; shift; done; printf 200");
    Run run = join(bin, Map.of("BODY", body.toString()));

    assertThat(run.exit()).isEqualTo(5);
    assertThat(run.output()).contains("unusable secret file name: '../../etc/passwd'");
    assertThat(dir.resolve("node/secrets")).doesNotExist();
  }

  @Test
  void pin_isPassedToCurlWithInsecure_andWinsOverACaCertificate() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path body = dir.resolve("body");
    Files.writeString(body, "host=gpu-1\nconf_server=ctl:6817\n");
    Path args = dir.resolve("curl-args");
    stub(bin, "curl", "printf '%s\\n' \"$@\" > \"$ARGS\"; while [ $# -gt 0 ]; do [ \"$1\" = --output ] && cp \"$BODY\" \"$2\"; shift; done;"
        + " printf 200");
    Run run = join(bin, Map.of("BODY", body.toString(), "ARGS", args.toString(),
        "SLIPWAY_JOIN_PIN", "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "SLIPWAY_JOIN_CACERT", "/etc/ca.pem"));

    assertThat(run.exit()).as(run.output()).isZero();
    String curlArgs = Files.readString(args);
    assertThat(curlArgs).contains("https://ctl:6820/v1/join\n", "\n-k\n--pinnedpubkey\nsha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
        .doesNotContain("--cacert");
  }

  private record Run(int exit, String output) {}

  /** Runs the join script as a node of pool gpu would, with {@code bin} first on PATH and {@code env} added. */
  private Run join(Path bin, Map<String, String> env) throws Exception {
    Path script = dir.resolve("slipway-node-join");
    Files.writeString(script, NodeJoinScript.text());
    ProcessBuilder pb = new ProcessBuilder("sh", script.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("SLIPWAY_"));
    pb.environment().putAll(Map.of("SLIPWAY_JOIN_URLS", "https://ctl:6820", "SLIPWAY_CLUSTER_ID", "c1", "SLIPWAY_POOL_ID", "gpu",
        "SLIPWAY_NODE_ID", "tvm-1", "SLIPWAY_JOIN_TOKEN", "t", "SLIPWAY_NODE_DIR", dir.resolve("node").toString(), "SLIPWAY_MUNGE", "shared",
        "SLIPWAY_SLURMD", "true"));
    pb.environment().putAll(env);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes()));
  }

  private static void stub(Path bin, String name, String body) throws Exception {
    Path f = bin.resolve(name);
    Files.writeString(f, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
  }
}
