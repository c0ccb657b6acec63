package dev.slipway.azure.arm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key pair create generates when a node group configures none, which {@code slipway cluster ssh} then logs in with. */
class SshKeysTest {
  @TempDir Path tmp;

  @Test
  void generated_privateKeyIsOwnerOnly_inAnOwnerOnlyDirectory_andOpenSshDerivesTheSamePublicKey() throws Exception {
    Path priv = tmp.resolve("cluster/ssh/id_rsa_slipway_login");

    String line = SshKeys.publicKey(SshKeySource.generated(priv), "alice@hpc");

    // ssh refuses a private key others can read ("UNPROTECTED PRIVATE KEY FILE").
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(priv))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(priv.getParent()))).isEqualTo("rwx------");
    assertThat(line).startsWith("ssh-rsa ").endsWith(" alice@hpc");
    Process keygen = new ProcessBuilder("ssh-keygen", "-y", "-f", priv.toString()).redirectErrorStream(true).start();
    String derived = new String(keygen.getInputStream().readAllBytes()).strip();
    assertThat(keygen.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(keygen.exitValue()).as(derived).isZero();
    assertThat(line).startsWith(derived.split(" ")[0] + " " + derived.split(" ")[1]);
  }

  @Test
  void generated_isReusedOnTheNextCreate_soTheVmsKeepTrustingIt() {
    Path priv = tmp.resolve("ssh/id_rsa_slipway_controller");
    String first = SshKeys.publicKey(SshKeySource.generated(priv), "admin@hpc");
    assertThat(SshKeys.publicKey(SshKeySource.generated(priv), "admin@hpc")).isEqualTo(first);
  }
}
