package dev.slipway.azure.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.slipway.azure.arm.ArmPlan;
import dev.slipway.azure.arm.ArmPlanner;
import dev.slipway.azure.arm.ArmSettings;
import dev.slipway.azure.arm.PlannedFileServer;
import dev.slipway.azure.arm.VmRole;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigLoader;
import dev.slipway.config.KnownVmSizes;
import dev.slipway.model.Secret;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Custom data of a whole plan: cluster VMs mount the plan's NFS server, which formats, mounts and exports its disks. */
class ClusterUserDataTest {
  @TempDir Path tmp;

  static ClusterConfig azureFixture() {
    try {
      return new ConfigLoader(KnownVmSizes.none()).loadDirectory(Path.of(ClusterUserDataTest.class.getResource("/arm/fixtures/azure").toURI())).config();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private ArmPlan planWithStorage(ClusterConfig config) {
    return ArmPlanner.plan(config, ArmSettings.defaults(tmp).withStorageCluster("nfs"));
  }

  private ClusterUserData userData(ClusterConfig config, ArmPlan plan) {
    BootstrapInputs in = new BootstrapInputs(config, CloudInitTest.MUNGE, Map.of("cpupool", Secret.of("tok-cpu"), "gpupool", Secret.of("tok-gpu")),
        CloudInitTest.DAEMON,
        Map.of("slurm.yaml", "slurm: {}\n"), List.of("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyForTestsOnly admin@example"),
        "https://example.invalid/slipway.jar", plan.fileServers(), Optional.empty(), Optional.empty(), Optional.empty());
    return new ClusterUserData(in, plan.fileServer());
  }

  @Test
  void controllersAndLogins_mountTheSharedVolumeFromThePlansNfsServerAddress() throws Exception {
    ClusterConfig config = azureFixture();
    ArmPlan plan = planWithStorage(config);
    ClusterUserData data = userData(config, plan);

    assertThat(plan.fileServers()).isEqualTo(Map.of("nfs", List.of("10.40.3.4")));
    for (VmRole role : List.of(VmRole.CONTROLLER, VmRole.LOGIN)) {
      String doc = data.forVm(role, 0);
      assertThat(doc).contains("10.40.3.4:/shared /shared nfs _netdev,auto,nfsvers=4,intr,noatime 0 0");
    }
    assertThat(data.forVm(VmRole.CONTROLLER, 1)).contains("join-token-cpupool").contains(CloudInitTest.MUNGE.reveal());
  }

  @Test
  void nfsServer_stripesItsTwoDisks_mountsByUuid_andExportsToTheClustersSubnetsOnly() throws Exception {
    ClusterConfig config = azureFixture();
    ArmPlan plan = planWithStorage(config);
    PlannedFileServer fs = plan.fileServer().orElseThrow();
    String doc = userData(config, plan).forVm(VmRole.STORAGE, 0);

    JsonNode root = new YAMLMapper().readTree(doc);
    assertThat(root.path("packages").toString()).contains("nfs-kernel-server").contains("mdadm");
    String script = FileServerInit.script(fs);
    assertThat(script).contains("mdadm --create /dev/md/slipway --name=slipway --run --level=0 --raid-devices=2 /dev/disk/azure/scsi1/lun0 /dev/disk/azure/scsi1/lun1")
        .contains("blkid /dev/md/slipway >/dev/null 2>&1 || mkfs.ext4 -F /dev/md/slipway")
        .contains("exportfs -ra");
    // The azure fixture's pool subnet has no prefix known here, so '*' stays the VirtualNetwork-wide export.
    assertThat(fs.exports()).allSatisfy(e -> assertThat(e).startsWith("/shared ").endsWith("(rw,sync,no_root_squash,no_subtree_check)"));
    assertThat(doc).doesNotContain(CloudInitTest.MUNGE.reveal());
    validate(doc);
  }

  @Test
  void fingerprint_showsSizeAndHash_neverTheText_andIsStable() {
    String doc = "#cloud-config\nwrite_files:\n- content: SECRETKEY\n";
    String f = ClusterUserData.fingerprint(doc);

    assertThat(f).matches(doc.getBytes(StandardCharsets.UTF_8).length + " bytes, sha256 [0-9a-f]{64}").doesNotContain("SECRETKEY");
    assertThat(ClusterUserData.fingerprint(doc)).isEqualTo(f);
    assertThat(ClusterUserData.fingerprint(doc + " ")).isNotEqualTo(f);
  }

  private void validate(String doc) throws Exception {
    Path file = tmp.resolve("nfs-user-data.yaml");
    Files.writeString(file, doc);
    Optional<Path> tool = Stream.of("/usr/bin/cloud-init", "/usr/local/bin/cloud-init").map(Path::of).filter(Files::isExecutable).findFirst();
    if (tool.isEmpty()) {
      if (System.getenv("CI") != null) fail("cloud-init is not installed; CI must install the Debian package cloud-init");
      Assumptions.abort("cloud-init is not installed; skipped outside CI only");
    }
    Process p = new ProcessBuilder(tool.get().toString(), "schema", "--config-file", file.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
  }
}
