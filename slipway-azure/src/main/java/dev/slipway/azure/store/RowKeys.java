package dev.slipway.azure.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Escapes host and pool names for use as Azure Table keys and blob names. Keys may not contain
 * '/', '\', '#', '?' or control characters; rather than list the forbidden ones, everything but
 * letters, digits, '-', '_' and '.' becomes {@code ~XX} per UTF-8 byte. Slurm host names pass
 * through unchanged, and the store's own bookkeeping rows (which start with '!') can never clash
 * with an escaped name.
 */
final class RowKeys {
  private RowKeys() {}

  static String escape(String name) {
    StringBuilder out = new StringBuilder(name.length());
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
        out.append((char) c);
      } else {
        out.append('~').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  static String unescape(String key) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '~' && i + 2 < key.length()) {
        bytes.write(Integer.parseInt(key.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** A string literal for an OData filter: single quotes doubled. */
  static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
