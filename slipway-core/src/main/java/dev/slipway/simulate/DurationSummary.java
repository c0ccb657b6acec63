package dev.slipway.simulate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** Count, mean and nearest-rank percentiles of a list of durations. */
public record DurationSummary(int count, Duration min, Duration mean, Duration p50, Duration p95, Duration max) {
  public static Optional<DurationSummary> of(List<Duration> values) {
    if (values.isEmpty()) {
      return Optional.empty();
    }
    List<Duration> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    long totalMillis = 0;
    for (Duration d : sorted) {
      totalMillis += d.toMillis();
    }
    return Optional.of(new DurationSummary(sorted.size(), sorted.get(0), Duration.ofMillis(totalMillis / sorted.size()),
        rank(sorted, 0.50), rank(sorted, 0.95), sorted.get(sorted.size() - 1)));
  }

  private static Duration rank(List<Duration> sorted, double q) {
    int index = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
