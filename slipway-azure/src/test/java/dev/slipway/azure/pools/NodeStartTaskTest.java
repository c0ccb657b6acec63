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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the start task's command line with /bin/sh as Batch would (its environment settings, the
 * AZ_BATCH_ variables). Everything that would change the machine is a stub on PATH that records
 * its arguments: slurmd, munged, curl, the package managers (so a missing pam_slurm_adopt on the
 * test machine installs nothing) and the user tools (so no user is created on the host; the
 * stubbed getent answers for the cluster user with a home in the test's directory).
 * SLIPWAY_JOIN_URLS is left out, so slipway-node-join stops at its input check (exit 2) right
 * after everything before it ran.
 */
class NodeStartTaskTest {
  private static final ClusterUser USER = new ClusterUser("shipyard", ClusterUser.UID, List.of("ssh-ed25519 AAAAC3Nz shipyard@c1", "ssh-rsa AAAAB3 other"));

  @TempDir Path dir;

  private record Run(int exit, String output, Path startup, Path calls, Path home, Path pam) {}

  private Run run(BatchStartTask task, String pamText) throws Exception {
    Path startup = Files.createDirectories(dir.resolve("startup"));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path calls = dir.resolve("calls");
    Path home = dir.resolve("home");
    Path pam = dir.resolve("pam-sshd");
    Files.writeString(pam, pamText);
    for (String stub : List.of("slurmd", "munged", "curl", "mount.cifs", "apt-get", "dnf", "groupadd", "useradd", "usermod", "chown")) {
      stub(bin, stub, "echo \"" + stub + " $*\" >> \"" + calls + "\"");
    }
    // getent knows the user once useradd ran; id answers with the configured uid.
    stub(bin, "getent", "[ \"$1\" = passwd ] && grep -q '^useradd' \"" + calls + "\" 2>/dev/null && echo \"$2:x:2000:2000::" + home + ":/bin/bash\" && exit 0; exit 2");
    stub(bin, "id", "case $1 in -u) echo 2000;; -gn) echo shipyard;; esac");
    stub(bin, "install", "echo \"install $*\" >> \"" + calls + "\"; for a; do last=$a; done; mkdir -p \"$last\"");

    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", task.commandLine().substring("/bin/sh -c ".length()).replaceAll("^'|'$", ""));
    pb.environment().clear();
    pb.environment().putAll(task.environment());
    pb.environment().remove("SLIPWAY_JOIN_URLS");
    pb.environment().put("PATH", bin + ":/usr/bin:/bin");
    pb.environment().put("AZ_BATCH_NODE_STARTUP_DIR", startup.toString());
    pb.environment().put("AZ_BATCH_NODE_ID", "tvm-1");
    pb.environment().put("SLIPWAY_NODE_DIR", dir.resolve("node").toString());
    pb.environment().put("SLIPWAY_PAM_SSHD", pam.toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8), startup, calls, home, pam);
  }

  private static void stub(Path bin, String name, String body) throws Exception {
    Path f = bin.resolve(name);
    Files.writeString(f, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void commandLine_decodesTheScript_runsPreCommands_writesPrepAndJoinScripts_thenRunsJoin() throws Exception {
    PoolSpec.NodeSetup setup = new PoolSpec.NodeSetup(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        List.of("echo \"pre $MY_VAR\" > \"$AZ_BATCH_NODE_STARTUP_DIR/pre-ran\""), List.of("echo post"), Map.of("MY_VAR", "x"),
        List.of(), Optional.empty(), false, Optional.empty(), Optional.empty());
    BatchStartTask task = NodeStartTask.of("gpu", new JoinEndpoint("c1", List.of("https://ctl:6820"), Secret.of("tok"), BatchPoolTemplateTest.PIN), setup, USER, false);

    assertThat(task.environment()).containsEntry("SLIPWAY_JOIN_PIN", BatchPoolTemplateTest.PIN)
        .containsEntry("SLIPWAY_JOIN_URLS", "https://ctl:6820");
    Run r = run(task, "@include common-account\n");

    assertThat(r.exit()).as(r.output()).isEqualTo(2);
    assertThat(r.output()).contains("SLIPWAY_JOIN_URLS is not set");
    assertThat(Files.readString(r.startup().resolve("pre-ran"))).isEqualTo("pre x\n");
    assertThat(Files.readString(r.startup().resolve("wd").resolve(NodeJoinScript.FILE_NAME))).isEqualTo(NodeJoinScript.text());
    assertThat(Files.readString(r.startup().resolve("wd").resolve("slipway-prep")))
        .contains("/bin/sh \"$AZ_BATCH_NODE_STARTUP_DIR/wd/slipway-node-access\"\n# additional_node_prep.commands.post\necho post\n");
    assertThat(Files.getPosixFilePermissions(r.startup().resolve("wd").resolve("slipway-start")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void startTask_createsTheClusterUserWithItsUidAndKeys_andPutsPamSlurmAdoptLastForTheAdoptGroupOnly() throws Exception {
    BatchStartTask task = NodeStartTask.of("gpu", new JoinEndpoint("c1", List.of("https://ctl:6820"), Secret.of("tok"), BatchPoolTemplateTest.PIN),
        PoolSpec.NodeSetup.NONE, USER, false);

    Run r = run(task, "@include common-auth\n@include common-account\nsession include common-session\n");

    assertThat(r.exit()).as(r.output()).isEqualTo(2);
    assertThat(Files.readAllLines(r.calls())).contains("groupadd -r slipway-adopt",
        "useradd -m -u 2000 -U -G slipway-adopt -s /bin/bash shipyard",
        "install -d -m 0700 -o shipyard -g shipyard " + r.home().resolve(".ssh"));
    assertThat(Files.readString(r.home().resolve(".ssh/authorized_keys"))).isEqualTo("ssh-ed25519 AAAAC3Nz shipyard@c1\nssh-rsa AAAAB3 other\n");
    assertThat(Files.getPosixFilePermissions(r.home().resolve(".ssh/authorized_keys"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    List<String> account = Files.readAllLines(r.pam()).stream().filter(l -> l.startsWith("account") || l.contains("common-account")).toList();
    assertThat(account).containsExactly("@include common-account",
        "account [success=ignore default=1] pam_succeed_if.so quiet user ingroup slipway-adopt",
        "account required pam_slurm_adopt.so action_generic_failure=deny");
    assertThat(r.output()).contains("user shipyard (uid 2000) has 2 key(s)");
  }

  @Test
  void accessScript_rerun_changesNothing_learnsTheSlurmNameOnce_andRefusesAnExistingUserWithAnotherUid() throws Exception {
    Path pam = dir.resolve("pam");
    Files.writeString(pam, "@include common-account\n");
    Path bin = Files.createDirectories(dir.resolve("bin2"));
    Path home = Files.createDirectories(dir.resolve("h"));
    stub(bin, "getent", "[ \"$1\" = passwd ] && echo \"$2:x:$UID_SEEN:$UID_SEEN::" + home + ":/bin/bash\"; exit 0");
    stub(bin, "id", "case $1 in -u) echo $UID_SEEN;; -gn) echo shipyard;; esac");
    for (String s : List.of("usermod", "chown", "groupadd", "useradd")) stub(bin, s, "exit 0");
    stub(bin, "install", "for a; do last=$a; done; mkdir -p \"$last\"");
    Path script = dir.resolve("access");
    Files.writeString(script, NodeStartTask.accessScript());
    String keys = Base64.getEncoder().encodeToString("ssh-ed25519 K\n".getBytes());

    int first = runAccess(script, bin, pam, keys, "2000", "");
    String afterFirst = Files.readString(pam);
    int second = runAccess(script, bin, pam, keys, "2000", "");
    String afterSecond = Files.readString(pam);
    int joined = runAccess(script, bin, pam, keys, "2000", "gpu-3");
    int rejoined = runAccess(script, bin, pam, keys, "2000", "gpu-3");
    int otherUid = runAccess(script, bin, pam, keys, "1001", "");

    assertThat(List.of(first, second, joined, rejoined)).containsOnly(0);
    assertThat(afterSecond).isEqualTo(afterFirst);
    assertThat(Files.readString(pam)).isEqualTo("@include common-account\n"
        + "# slipway: pam_slurm_adopt for members of slipway-adopt (docs/azure-pools.md)\n"
        + "account [success=ignore default=1] pam_succeed_if.so quiet user ingroup slipway-adopt\n"
        + "account required pam_slurm_adopt.so action_generic_failure=deny nodename=gpu-3\n");
    assertThat(otherUid).isEqualTo(5);
  }

  private static int runAccess(Path script, Path bin, Path pam, String keys, String uidSeen, String host) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", script.toString());
    pb.environment().clear();
    pb.environment().putAll(Map.of("PATH", bin + ":/usr/bin:/bin", "SLIPWAY_CLUSTER_USER", "shipyard", "SLIPWAY_CLUSTER_USER_UID", "2000",
        "SLIPWAY_CLUSTER_USER_KEYS", keys, "SLIPWAY_PAM_SSHD", pam.toString(), "UID_SEEN", uidSeen, "SLIPWAY_HOST", host));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  @Test
  void script_withTheLogShare_installsCifsUtils_andWithoutItDoesNot() {
    assertThat(NodeStartTask.script(PoolSpec.NodeSetup.NONE, true)).contains("libpam-slurm-adopt cifs-utils\n", "slurm-pam_slurm cifs-utils\n");
    assertThat(NodeStartTask.script(PoolSpec.NodeSetup.NONE, false)).doesNotContain("cifs");
  }

  @Test
  void commandLine_isTheFixedOneLiner_whateverThePoolSays_andOnlyPublicKeysTravelInThePool() {
    BatchStartTask a = NodeStartTask.of("a", new JoinEndpoint("c1", List.of("https://x:1"), Secret.of("t1"), BatchPoolTemplateTest.PIN), PoolSpec.NodeSetup.NONE, USER, false);
    BatchStartTask b = NodeStartTask.of("b", new JoinEndpoint("c2", List.of("https://y:2"), Secret.of("t2"), BatchPoolTemplateTest.PIN), PoolSpec.NodeSetup.NONE, USER, true);

    assertThat(a.commandLine()).isEqualTo(b.commandLine()).isEqualTo(NodeStartTask.COMMAND_LINE);
    assertThat(a.maxTaskRetryCount()).isEqualTo(2);
    assertThat(b.environment()).containsEntry("SLIPWAY_CLUSTER_USER", "shipyard").containsEntry("SLIPWAY_CLUSTER_USER_UID", "2000")
        .containsKeys("SLIPWAY_CLUSTER_USER_KEYS").doesNotContainKeys("SLIPWAY_MUNGE_KEY");
    assertThat(String.join("\n", b.environment().values())).doesNotContain("password=", "azfile");
  }
}
