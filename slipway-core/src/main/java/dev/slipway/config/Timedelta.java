package dev.slipway.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Batch Shipyard's timedelta strings, {@code HH:mm:ss} or {@code d.HH:mm:ss}, parsed strictly:
 * minutes and seconds 0..59, hours 0..23 when days are given (the original accepted
 * {@code 00:75:00} and negative values).
 */
final class Timedelta {
  static final String FORMAT = "HH:mm:ss or d.HH:mm:ss, e.g. 00:15:00 or 1.12:00:00";
  private static final Pattern SHAPE = Pattern.compile("(?:(\\d+)\\.)?(\\d+):(\\d+):(\\d+)");

  private Timedelta() {}

  /** The duration, or an {@link IllegalArgumentException} whose message says what is wrong. */
  static Duration parse(String text) {
    Matcher m = SHAPE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a timedelta");
    }
    try {
      long days = m.group(1) == null ? 0 : Long.parseLong(m.group(1));
      long hours = Long.parseLong(m.group(2));
      long minutes = Long.parseLong(m.group(3));
      long seconds = Long.parseLong(m.group(4));
      if (minutes > 59) throw new IllegalArgumentException("'" + text + "' has " + minutes + " minutes; minutes must be 0..59");
      if (seconds > 59) throw new IllegalArgumentException("'" + text + "' has " + seconds + " seconds; seconds must be 0..59");
      if (m.group(1) != null && hours > 23) {
        throw new IllegalArgumentException("'" + text + "' has " + hours + " hours with days given; hours must be 0..23");
      }
      return Duration.ofDays(days).plusHours(hours).plusMinutes(minutes).plusSeconds(seconds);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("'" + text + "' is too large");
    }
  }

  /** The Batch Shipyard spelling of a duration (whole seconds), for {@code config show}. */
  static String format(Duration d) {
    long s = d.getSeconds();
    long days = s / 86_400;
    String hms = String.format("%02d:%02d:%02d", (s % 86_400) / 3600, (s % 3600) / 60, s % 60);
    return days > 0 ? days + "." + hms : hms;
  }

  /** Slurm's time spelling ({@code days-HH:MM:SS}), as used by a partition's MaxTime. */
  static String slurmTime(Duration d) {
    return format(d).replace('.', '-');
  }
}
