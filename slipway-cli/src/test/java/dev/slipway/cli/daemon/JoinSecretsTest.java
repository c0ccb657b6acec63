package dev.slipway.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoinSecretsTest {
  @TempDir Path dir;

  @Test
  void loadOrCreate_generatesMissingSecretsReadOnlyInAPrivateDirectory_andKeepsThemAfterwards() throws Exception {
    Path secrets = dir.resolve("secrets");

    JoinSecrets first = JoinSecrets.loadOrCreate(secrets, List.of("gpu", "cpu"), new SecureRandom());
    JoinSecrets again = JoinSecrets.loadOrCreate(secrets, List.of("gpu", "cpu"), new SecureRandom());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets.resolve("munge.key")))).isEqualTo("r--------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets.resolve("join-token-gpu")))).isEqualTo("r--------");
    assertThat(Files.size(secrets.resolve("munge.key"))).isEqualTo(JoinSecrets.MUNGE_KEY_BYTES);
    assertThat(Base64.getDecoder().decode(first.mungeKey().reveal())).isEqualTo(Files.readAllBytes(secrets.resolve("munge.key")));
    assertThat(first.joinTokens().get("gpu")).isNotEqualTo(first.joinTokens().get("cpu"));
    assertThat(again).isEqualTo(first);
    try (var files = Files.list(secrets)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("munge.key", "join-token-gpu", "join-token-cpu");
    }
  }

  @Test
  void loadOrCreate_readsAnExistingTokenWithoutItsNewline_andNeverPrintsSecrets() throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("join-token-gpu"), "given-token\n");
    Files.write(dir.resolve("munge.key"), new byte[] {1, 2, 3});

    JoinSecrets s = JoinSecrets.loadOrCreate(dir, List.of("gpu"), new SecureRandom());

    assertThat(s.joinTokens().get("gpu").reveal()).isEqualTo("given-token");
    assertThat(s.mungeKey().reveal()).isEqualTo("AQID");
    assertThat(s.toString()).doesNotContain("given-token", "AQID");
  }

  @Test
  void loadOrCreate_whenTheDirectoryCannotBeCreated_namesTheFile() throws Exception {
    Path file = dir.resolve("not-a-dir");
    Files.writeString(file, "x");

    assertThatThrownBy(() -> JoinSecrets.loadOrCreate(file.resolve("secrets"), List.of("gpu"), new SecureRandom()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("munge.key");
  }
}
