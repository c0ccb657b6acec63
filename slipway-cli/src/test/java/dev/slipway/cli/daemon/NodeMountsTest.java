package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeMountsTest {
  @TempDir Path dir;

  @Test
  void read_withoutNodeFiles_isNothingToMount() {
    NodeMounts m = NodeMounts.read(dir);

    assertThat(m.mounts()).isEmpty();
    assertThat(m.secretFiles()).isEmpty();
  }

  @Test
  void read_takesFstabLinesWithoutCommentsAndEverySecretFileByName_andNeverPrintsTheSecrets() throws Exception {
    Files.writeString(dir.resolve("node-mounts"), "# written by cloud-init\n//a.file.core.windows.net/s /azfile-slurm cifs vers=3.0 0 0\n\n");
    Files.writeString(dir.resolve("node-secret-azfile"), "username=a\npassword=k3y\n");
    Files.writeString(dir.resolve("munge.key"), "not a node file");

    NodeMounts m = NodeMounts.read(dir);

    assertThat(m.mounts()).containsExactly("//a.file.core.windows.net/s /azfile-slurm cifs vers=3.0 0 0");
    assertThat(m.secretFiles()).containsOnlyKeys("azfile");
    assertThat(m.secretFiles().get("azfile").reveal()).isEqualTo("username=a\npassword=k3y\n");
    assertThat(m.toString()).doesNotContain("k3y");
  }

  @Test
  void fileNames_areTheOnesAzureControllersCloudInitWrites() {
    assertThat(NodeMounts.MOUNTS_FILE).isEqualTo(dev.slipway.azure.bootstrap.CloudInit.NODE_MOUNTS_FILE);
    assertThat(NodeMounts.SECRET_PREFIX).isEqualTo(dev.slipway.azure.bootstrap.CloudInit.NODE_SECRET_PREFIX);
  }
}
