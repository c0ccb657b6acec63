package dev.slipway.azure.pools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.azure.batch.BatchStartTask;
import dev.slipway.config.PoolSpec;
import dev.slipway.model.Secret;
import dev.slipway.node.NodeJoinScript;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the start task's command line with /bin/sh as Batch would (its environment settings, the
 * AZ_BATCH_ variables), with slurmd, munged and curl stubbed on PATH so nothing is installed.
 * SLIPWAY_JOIN_URLS is left out, so slipway-node-join stops at its input check (exit 2) right
 * after everything before it ran.
 */
class NodeStartTaskTest {
  @TempDir Path dir;

  @Test
  void commandLine_decodesTheScript_runsPreCommands_writesPrepAndJoinScripts_thenRunsJoin() throws Exception {
    PoolSpec.NodeSetup setup = new PoolSpec.NodeSetup(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        List.of("echo \"pre $MY_VAR\" > \"$AZ_BATCH_NODE_STARTUP_DIR/pre-ran\""), List.of("echo post"), Map.of("MY_VAR", "x"),
        List.of(), Optional.empty(), false, Optional.empty(), Optional.empty());
    BatchStartTask task = NodeStartTask.of("gpu", new JoinEndpoint("c1", List.of("http://ctl:6820"), Secret.of("tok")), setup);
    Path startup = Files.createDirectories(dir.resolve("startup"));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    for (String stub : List.of("slurmd", "munged", "curl")) {
      Path f = bin.resolve(stub);
      Files.writeString(f, "#!/bin/sh\nexit 0\n");
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
    }

    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", task.commandLine().substring("/bin/sh -c ".length()).replaceAll("^'|'$", ""));
    pb.environment().clear();
    pb.environment().putAll(task.environment());
    pb.environment().remove("SLIPWAY_JOIN_URLS");
    pb.environment().put("PATH", bin + ":/usr/bin:/bin");
    pb.environment().put("AZ_BATCH_NODE_STARTUP_DIR", startup.toString());
    pb.environment().put("AZ_BATCH_NODE_ID", "tvm-1");
    pb.environment().put("SLIPWAY_NODE_DIR", dir.resolve("node").toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.exitValue()).as(out).isEqualTo(2);
    assertThat(out).contains("SLIPWAY_JOIN_URLS is not set");
    assertThat(Files.readString(startup.resolve("pre-ran"))).isEqualTo("pre x\n");
    assertThat(Files.readString(startup.resolve("wd").resolve(NodeJoinScript.FILE_NAME))).isEqualTo(NodeJoinScript.text());
    assertThat(Files.readString(startup.resolve("wd").resolve("slipway-prep"))).contains("echo post");
    assertThat(Files.getPosixFilePermissions(startup.resolve("wd").resolve("slipway-start")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void commandLine_isTheFixedOneLiner_whateverThePoolSays() {
    BatchStartTask a = NodeStartTask.of("a", new JoinEndpoint("c1", List.of("http://x:1"), Secret.of("t1")), PoolSpec.NodeSetup.NONE);
    BatchStartTask b = NodeStartTask.of("b", new JoinEndpoint("c2", List.of("https://y:2"), Secret.of("t2")), PoolSpec.NodeSetup.NONE);

    assertThat(a.commandLine()).isEqualTo(b.commandLine()).isEqualTo(NodeStartTask.COMMAND_LINE);
    assertThat(a.maxTaskRetryCount()).isEqualTo(2);
  }
}
