package dev.slipway.azure.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.model.Secret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterUserTest {
  private static final String LOGIN = "  login:\n    ssh:\n      username: shipyard\n";

  @TempDir Path dir;

  @Test
  void ofLogin_takesTheConfiguredKeyData() {
    ClusterConfig c = PoolFixtures.recipeWith(dir, "slurm.yaml", LOGIN, LOGIN + "      ssh_public_key_data: ssh-ed25519 AAAAdata me@x\n");

    assertThat(ClusterUser.ofLogin(c)).isEqualTo(new ClusterUser("shipyard", ClusterUser.UID, List.of("ssh-ed25519 AAAAdata me@x")));
  }

  @Test
  void ofLogin_readsTheConfiguredKeyFile_relativeToTheConfiguration() throws Exception {
    Files.writeString(dir.resolve("login.pub"), "ssh-ed25519 AAAAfile me@x\n");
    ClusterConfig c = PoolFixtures.recipeWith(dir, "slurm.yaml", LOGIN, LOGIN + "      ssh_public_key: login.pub\n");

    assertThat(ClusterUser.ofLogin(c).authorizedKeys()).containsExactly("ssh-ed25519 AAAAfile me@x");
  }

  @Test
  void ofLogin_takesTheGeneratedKeyWhenItExists_andNoKeyBeforeThat() throws Exception {
    ClusterConfig c = PoolFixtures.recipeWith(dir, "slurm.yaml", LOGIN, LOGIN + "      generated_file_export_path: keys\n");
    List<String> before = ClusterUser.ofLogin(c).authorizedKeys();
    Files.createDirectories(dir.resolve("keys"));
    Files.writeString(dir.resolve("keys/id_rsa_slipway_login.pub"), "ssh-rsa AAAAgen slipway\n");

    assertThat(before).isEmpty();
    assertThat(ClusterUser.ofLogin(c).authorizedKeys()).containsExactly("ssh-rsa AAAAgen slipway");
  }

  @Test
  void poolTemplate_carriesTheUserAndItsPublicKeyInTheStartTaskEnvironment() {
    ClusterConfig c = PoolFixtures.recipeWith(dir, "slurm.yaml", LOGIN, LOGIN + "      ssh_public_key_data: ssh-ed25519 AAAAdata me@x\n");
    BatchPoolSpec spec = ClusterPools.template(c, c.poolSpecs().get("slurmpool"), Secret.of("t"), BatchPoolTemplateTest.PIN, Optional.empty());

    var env = spec.startTask().orElseThrow().environment();
    assertThat(env).containsEntry("SLIPWAY_CLUSTER_USER", "shipyard").containsEntry("SLIPWAY_CLUSTER_USER_UID", "2000");
    assertThat(new String(Base64.getDecoder().decode(env.get("SLIPWAY_CLUSTER_USER_KEYS")), StandardCharsets.US_ASCII))
        .isEqualTo("ssh-ed25519 AAAAdata me@x\n");
  }

  @Test
  void poolTemplate_withAnUnreadableKeyFile_namesTheSetting() {
    ClusterConfig c = PoolFixtures.recipeWith(dir, "slurm.yaml", LOGIN, LOGIN + "      ssh_public_key: missing.pub\n");

    assertThatThrownBy(() -> ClusterPools.template(c, c.poolSpecs().get("slurmpool"), Secret.of("t"), BatchPoolTemplateTest.PIN, Optional.empty()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("slurm.login.ssh.ssh_public_key").hasMessageContaining("missing.pub");
  }

  @Test
  void aUserNameLinuxWouldRefuse_isRefusedHere() {
    assertThatThrownBy(() -> new ClusterUser("Bad Name", ClusterUser.UID, List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClusterUser("ok", ClusterUser.UID, List.of("two\nlines"))).isInstanceOf(IllegalArgumentException.class);
  }
}
