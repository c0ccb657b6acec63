package dev.slipway.local.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.local.netns.Subnet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComputeNodeAccessTest {
  @TempDir Path tmp;

  @Test
  void knownHostsPattern_keepsTheSubnetsWholeOctets_andWildcardsTheRest() {
    assertThat(ComputeNodeAccess.knownHostsPattern(Subnet.parse("10.220.5.0/24"))).isEqualTo("10.220.5.*");
    assertThat(ComputeNodeAccess.knownHostsPattern(Subnet.parse("10.220.0.0/20"))).isEqualTo("10.220.*");
    assertThat(ComputeNodeAccess.knownHostsPattern(Subnet.parse("192.168.7.0/27"))).isEqualTo("192.168.7.*");
    assertThat(ComputeNodeAccess.knownHostsPattern(Subnet.parse("10.0.0.0/8"))).isEqualTo("10.*");
  }

  @Test
  void mountLine_isSourceTabTarget_andRefusesPathsTheNodeScriptCannotSplit() {
    assertThat(ComputeNodeAccess.mountLine(Path.of("/c/shared/a b"), Path.of("/data"))).isEqualTo("/c/shared/a b\t/data");
    assertThatThrownBy(() -> ComputeNodeAccess.mountLine(Path.of("/c/x\ty"), Path.of("/data")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tab");
    assertThatThrownBy(() -> ComputeNodeAccess.mountLine(Path.of("/c/x"), Path.of("/da\nta")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line break").hasMessageNotContaining("\n");
  }

  @Test
  void pamService_asksPamSlurmAdoptByAbsolutePath_inTheAccountPhase_andDeniesUsersWithoutJobs() {
    String pam = ComputeNodeAccess.pamText(Path.of("/lib/security/pam_slurm_adopt.so"));
    assertThat(pam.lines().filter(l -> l.startsWith("account")))
        .last().asString().startsWith("account  required /lib/security/pam_slurm_adopt.so").contains("action_no_jobs=deny");
    assertThat(pam).contains("auth     required pam_deny.so");
  }

  @Test
  void sshdConfig_usesPamAndTheClustersKeys_forTheClusterUserOnly() {
    ClusterPaths p = new ClusterPaths(Path.of("/var/lib/slipway/c1"));
    String cfg = ComputeNodeAccess.sshdText(p, "alice");
    assertThat(cfg).contains("UsePAM yes", "AllowUsers alice", "PasswordAuthentication no",
        "HostKey /var/lib/slipway/c1/secrets/ssh/compute_host_ed25519_key",
        "AuthorizedKeysFile /var/lib/slipway/c1/ssh/authorized_keys/%u", "SetEnv SLURM_CONF=/var/lib/slipway/c1/etc/slurm.conf");
    assertThat(cfg).doesNotContain("PidFile");
  }

  @Test
  void pamModule_findsDebiansLibSecurity_andMultiarchDirectories() throws Exception {
    Path plain = Files.createDirectories(tmp.resolve("a/security"));
    Files.writeString(plain.resolve("pam_slurm_adopt.so"), "");
    Path multi = Files.createDirectories(tmp.resolve("b/x86_64-linux-gnu/security"));
    Files.writeString(multi.resolve("pam_slurm_adopt.so"), "");
    assertThat(ComputeNodeAccess.pamModule(List.of(tmp.resolve("none").toString(), plain.toString())))
        .contains(plain.resolve("pam_slurm_adopt.so"));
    assertThat(ComputeNodeAccess.pamModule(List.of(tmp.resolve("b").toString()))).contains(multi.resolve("pam_slurm_adopt.so"));
    assertThat(ComputeNodeAccess.pamModule(List.of(tmp.resolve("none").toString()))).isEmpty();
  }
}
