package dev.slipway.local.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AccountingSqlTest {
  @Test
  void literal_escapesQuotesBackslashesAndControlCharacters() {
    assertThat(AccountingSql.literal("o'k\\$x#\"y")).isEqualTo("'o\\'k\\\\$x#\"y'");
    assertThat(AccountingSql.literal("a\0b\nc\u001a")).isEqualTo("'a\\0b\\nc\\Z'");
    assertThat(AccountingSql.literal("'; DROP DATABASE mysql; --")).isEqualTo("'\\'; DROP DATABASE mysql; --'");
  }

  @Test
  void setupScript_createsDatabaseAndUser_resetsThePassword_withBackslashEscapesOn() {
    String sql = AccountingSql.setupScript("slurm_acct_db", "slurm", "p'w");
    assertThat(sql.lines()).containsExactly(
        "SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '');",
        "CREATE DATABASE IF NOT EXISTS `slurm_acct_db`;",
        "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'p\\'w';",
        "ALTER USER 'slurm'@'localhost' IDENTIFIED BY 'p\\'w';",
        "GRANT ALL ON `slurm_acct_db`.* TO 'slurm'@'localhost';",
        "FLUSH PRIVILEGES;");
  }

  @Test
  void identifier_otherThanPlainNames_isRejected() {
    assertThatThrownBy(() -> AccountingSql.identifier("a`b")).isInstanceOf(IllegalArgumentException.class);
  }
}
