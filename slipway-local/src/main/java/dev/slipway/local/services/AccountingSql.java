package dev.slipway.local.services;

import java.util.Objects;

/**
 * The SQL that gives slurmdbd its database and user. The password is a string literal escaped
 * here ({@link #literal}), the script is sent to the server from a 0600 file, never on a command
 * line; Batch Shipyard spliced the password into its SQL unescaped (bug 42).
 */
public final class AccountingSql {
  private AccountingSql() {}

  /**
   * Creates the database and user if missing and (re)sets the user's password, so a changed
   * {@code db_password} takes effect at the next start.
   */
  public static String setupScript(String database, String user, String password) {
    String db = identifier(database);
    String account = literal(user) + "@'localhost'";
    String pass = literal(password);
    return String.join("\n",
        // literal() relies on backslash escapes; make sure the session honours them.
        "SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '');",
        "CREATE DATABASE IF NOT EXISTS " + db + ";",
        "CREATE USER IF NOT EXISTS " + account + " IDENTIFIED BY " + pass + ";",
        "ALTER USER " + account + " IDENTIFIED BY " + pass + ";",
        "GRANT ALL ON " + db + ".* TO " + account + ";",
        "FLUSH PRIVILEGES;",
        "");
  }

  /** A MariaDB string literal in single quotes whose value is exactly {@code s}. */
  public static String literal(String s) {
    Objects.requireNonNull(s, "s");
    StringBuilder out = new StringBuilder(s.length() + 2).append('\'');
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '\'' -> out.append("\\'");
        case '\\' -> out.append("\\\\");
        case '\0' -> out.append("\\0");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\u001a' -> out.append("\\Z");
        default -> out.append(ch);
      }
    }
    return out.append('\'').toString();
  }

  /** A back-quoted identifier; only names Slipway chooses are passed, but they are checked anyway. */
  public static String identifier(String name) {
    if (!name.matches("[A-Za-z0-9_]{1,64}")) {
      throw new IllegalArgumentException("not a plain database identifier: " + name);
    }
    return "`" + name + "`";
  }
}
