package dev.slipway.simulate;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as scenario files write them: {@code 90} (seconds), {@code 90s}, {@code 1h30m},
 * {@code 2d}, {@code 250ms}, {@code 1.5s}, or ISO-8601 {@code PT1H30M}.
 */
final class DurationText {
  static final String ALLOWED = "seconds (90), units d/h/m/s/ms (1h30m, 250ms, 1.5s) or ISO-8601 (PT1H30M)";
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|d|h|m|s)");

  private DurationText() {}

  static Optional<Duration> parse(String text) {
    String t = text.trim();
    if (t.isEmpty()) {
      return Optional.empty();
    }
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        return Optional.of(Duration.parse(t.toUpperCase(java.util.Locale.ROOT)));
      } catch (DateTimeParseException e) {
        return Optional.empty();
      }
    }
    if (t.matches("\\d+")) {
      return Optional.of(Duration.ofSeconds(Long.parseLong(t)));
    }
    Matcher m = PART.matcher(t);
    int end = 0;
    double millis = 0;
    while (m.find()) {
      if (m.start() != end) {
        return Optional.empty();
      }
      end = m.end();
      double n = Double.parseDouble(m.group(1));
      millis += n * switch (m.group(2)) {
        case "d" -> 86_400_000d;
        case "h" -> 3_600_000d;
        case "m" -> 60_000d;
        case "s" -> 1_000d;
        default -> 1d;
      };
    }
    if (end != t.length() || end == 0) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofMillis(Math.round(millis)));
  }
}
