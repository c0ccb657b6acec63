package dev.slipway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code config show}'s YAML: defaults filled in, secrets masked, and loadable again. */
class EffectiveConfigYamlTest {
  private final ConfigLoader loader = new ConfigLoader(ConfigFixture.CATALOG);

  @Test
  void slurmDocument_loadsBackToTheSameConfiguration(@TempDir Path dir) throws IOException {
    for (String fixture : new String[] {"rich", "template", "recipe-slurm-nfs"}) {
      ClusterConfig original = loader.loadDirectory(ConfigLoaderFixturesTest.fixture(fixture)).config();
      String yaml = EffectiveConfigYaml.render(original);
      Files.writeString(dir.resolve("slurm.yaml"), yaml.split("\n---\n")[0]);
      ClusterConfig again = loader.load(ConfigFiles.none().withSlurm(dir.resolve("slurm.yaml"))).config();
      assertThat(again.slurm()).as(fixture).isEqualTo(original.slurm());
      assertThat(again.slipway()).as(fixture).isEqualTo(original.slipway());
    }
  }

  @Test
  void render_fillsDefaults_andMasksSecrets() {
    ClusterConfig c = loader.loadDirectory(ConfigLoaderFixturesTest.fixture("recipe-slurm-nfs")).config();
    String yaml = EffectiveConfigYaml.render(c);
    assertThat(yaml)
        .contains("backend: local", "resume_timeout: 00:10:00", "daemon_port: 6820", "subnet: 10.211.0.0/24",
            "max_runtime_limit: UNLIMITED", "host_prefix: slurmpool", "vm_size: STANDARD_F2")
        .contains("account_key: '********'", "db_password: '********'")
        .doesNotContain("<storage account key>", "<slurm db pass>", "<Auth key for SP login>");
  }
}
