package dev.slipway.local.services;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Renders {@code slurmdbd.conf}. Values go through {@link #value}, which writes them so that
 * Slurm's configuration parser reads back exactly the original: that parser drops everything after
 * an unescaped {@code #}, removes one level of backslashes, and reads a value up to the first
 * white space unless it is in double quotes (which cannot themselves contain a double quote).
 * Batch Shipyard spliced the database password in verbatim (bug 42), so a {@code #} silently cut
 * it short.
 */
public final class SlurmdbdConf {
  /** The MariaDB database and user slurmdbd uses. */
  public static final String DATABASE = "slurm_acct_db";

  public static final String DATABASE_USER = "slurm";

  private SlurmdbdConf() {}

  public static String render(AccountingSettings settings, AccountingFiles files) {
    List<String> lines = new ArrayList<>();
    lines.add("# slurmdbd.conf of Slurm cluster '" + settings.clusterName() + "', rendered by Slipway.");
    lines.add("# Mode 0600: it holds the database password. Do not edit: Slipway rewrites it at every start.");
    lines.add("AuthType=auth/munge");
    lines.add("AuthInfo=" + value("socket=" + settings.mungeSocket()));
    // "localhost" makes any host name this slurmdbd runs under its primary (slurmdbd.c accepts it),
    // so it may run in a controller's own UTS namespace; DbdAddr is what slurmctld connects to.
    lines.add("DbdHost=localhost");
    lines.add("DbdAddr=" + value(settings.endpoint().host()));
    lines.add("DbdPort=" + settings.endpoint().port());
    lines.add("SlurmUser=root");
    lines.add("LogFile=" + value(settings.logDir().resolve("slurmdbd.log").toString()));
    lines.add("PidFile=" + value(files.slurmdbdPidFile().toString()));
    lines.add("DebugLevel=info");
    lines.add("StorageType=accounting_storage/mysql");
    // MariaDB listens on its socket only; slurmdbd's client library finds it through MYSQL_UNIX_PORT.
    lines.add("StorageHost=localhost");
    lines.add("StorageUser=" + DATABASE_USER);
    lines.add("StoragePass=" + value(settings.databasePassword().reveal()));
    lines.add("StorageLoc=" + DATABASE);
    return String.join("\n", lines) + "\n";
  }

  /**
   * {@code raw} written so that Slurm's parser reads it back unchanged.
   *
   * @throws IllegalArgumentException for what the parser cannot read back: control characters,
   *     white space together with a double quote, or a whole value in double quotes
   */
  public static String value(String raw) {
    Objects.requireNonNull(raw, "raw");
    for (char ch : raw.toCharArray()) {
      if (Character.isISOControl(ch)) {
        throw new IllegalArgumentException("a slurmdbd.conf value cannot contain control characters (newline, tab, ...)");
      }
    }
    boolean space = raw.chars().anyMatch(Character::isWhitespace);
    if (space && raw.indexOf('"') >= 0) {
      throw new IllegalArgumentException("a slurmdbd.conf value cannot contain both white space and a double quote");
    }
    if (!space && raw.length() >= 2 && raw.startsWith("\"") && raw.endsWith("\"")) {
      throw new IllegalArgumentException("a slurmdbd.conf value cannot start and end with a double quote");
    }
    if (raw.isEmpty()) {
      throw new IllegalArgumentException("a slurmdbd.conf value cannot be empty");
    }
    StringBuilder out = new StringBuilder(raw.length() + 8);
    for (char ch : raw.toCharArray()) {
      if (ch == '\\' || ch == '#') {
        out.append('\\');
      }
      out.append(ch);
    }
    return space ? "\"" + out + "\"" : out.toString();
  }
}
