package dev.slipway.local.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.model.Secret;
import dev.slipway.slurm.SlurmLayout.AccountingEndpoint;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SlurmdbdConfTest {
  static AccountingSettings settings(String password) {
    return new AccountingSettings("my_cluster", Path.of("/c/etc/slurm.conf"), new AccountingEndpoint("127.0.0.1", 16819),
        Path.of("/c/munge/munged.socket"), Path.of("/c/log"), Secret.of(password), "compute-account", Optional.of("alice"));
  }

  /**
   * Slurm's parse_config.c as documented there: cut at an unescaped '#', drop one level of
   * backslashes, then read Key=Value where Value is "quoted" (no quote inside) or has no white space.
   */
  static String slurmReads(String line) {
    StringBuilder cut = new StringBuilder();
    int backslashes = 0;
    for (char ch : line.toCharArray()) {
      if (ch == '#' && backslashes % 2 == 0) break;
      backslashes = ch == '\\' ? backslashes + 1 : 0;
      cut.append(ch);
    }
    StringBuilder unescaped = new StringBuilder();
    for (int i = 0; i < cut.length(); i++) {
      char ch = cut.charAt(i);
      if (ch == '\\' && i + 1 < cut.length()) {
        ch = cut.charAt(++i);
      } else if (ch == '\\') {
        continue;
      }
      unescaped.append(ch);
    }
    Matcher m = Pattern.compile("^\\s*([A-Za-z0-9_.]+)\\s*=\\s*((\"([^\"]*)\")|(\\S+))(\\s|$)").matcher(unescaped);
    if (!m.find()) throw new AssertionError("no key=value in " + line);
    return m.group(4) != null ? m.group(4) : m.group(5);
  }

  @Test
  void render_hasAuthOnTheClusterSocket_dbdOnTheLayoutEndpoint_andTheStorageSettings() {
    String conf = SlurmdbdConf.render(settings("secret"), AccountingFiles.under(Path.of("/c")));
    assertThat(conf.lines()).contains("AuthType=auth/munge", "AuthInfo=socket=/c/munge/munged.socket", "DbdHost=localhost",
        "DbdAddr=127.0.0.1", "DbdPort=16819", "SlurmUser=root", "LogFile=/c/log/slurmdbd.log",
        "PidFile=/c/accounting/slurmdbd.pid", "StorageType=accounting_storage/mysql", "StorageHost=localhost",
        "StorageUser=slurm", "StoragePass=secret", "StorageLoc=slurm_acct_db");
  }

  @Test
  void storagePass_withQuotesBackslashesDollarAndHash_readsBackExactly() {
    String password = "o'k\\$x#\"y";
    String conf = SlurmdbdConf.render(settings(password), AccountingFiles.under(Path.of("/c")));
    String line = conf.lines().filter(l -> l.startsWith("StoragePass=")).findFirst().orElseThrow();
    assertThat(line).isEqualTo("StoragePass=o'k\\\\$x\\#\"y");
    assertThat(slurmReads(line)).isEqualTo(password);
  }

  @Test
  void value_withWhiteSpace_isQuoted() {
    assertThat(SlurmdbdConf.value("two words")).isEqualTo("\"two words\"");
    assertThat(slurmReads("K=" + SlurmdbdConf.value("a b#c\\d"))).isEqualTo("a b#c\\d");
  }

  @Test
  void value_thatSlurmCannotReadBack_isRejectedWithoutEchoingIt() {
    assertThatThrownBy(() -> SlurmdbdConf.value("has \"quote\" and space")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("quote\"");
    assertThatThrownBy(() -> SlurmdbdConf.value("\"whole\"")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SlurmdbdConf.value("line\nbreak")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SlurmdbdConf.value("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void value_randomPrintableStrings_readBackExactlyOrAreRejected() {
    Random random = new Random(42);
    String alphabet = "ab1 \t\"'\\#$=%!`*?";
    int accepted = 0;
    for (int i = 0; i < 5000; i++) {
      StringBuilder s = new StringBuilder();
      int n = 1 + random.nextInt(12);
      for (int j = 0; j < n; j++) s.append(alphabet.charAt(random.nextInt(alphabet.length())));
      String raw = s.toString();
      String written;
      try {
        written = SlurmdbdConf.value(raw);
      } catch (IllegalArgumentException e) {
        continue;
      }
      accepted++;
      assertThat(slurmReads("StoragePass=" + written)).as("%s written as %s", raw, written).isEqualTo(raw);
    }
    assertThat(accepted).isGreaterThan(1000);
  }

  @Test
  void generatedPassword_isLongAndNeedsNoEscaping() {
    Secret s = AccountingSettings.generatedPassword(new java.security.SecureRandom());
    assertThat(s.reveal()).hasSize(43).matches("[A-Za-z0-9_-]+");
    assertThat(SlurmdbdConf.value(s.reveal())).isEqualTo(s.reveal());
    assertThat(s.toString()).doesNotContain(s.reveal());
  }
}
