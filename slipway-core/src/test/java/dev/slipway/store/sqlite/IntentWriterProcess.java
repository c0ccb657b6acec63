package dev.slipway.store.sqlite;

import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * A child JVM for {@link SqliteStateStoreTest}: behaves like a burst of resume hooks, opening the
 * store, recording one intent and closing it, {@code count} times. Prints {@code seq <host> <n>}
 * per intent and one {@code timing ...} line; any failure escapes and exits non-zero.
 *
 * <p>Usage: {@code IntentWriterProcess <db file> <writer id> <count>}
 */
public final class IntentWriterProcess {
  private IntentWriterProcess() {}

  public static void main(String[] args) {
    Path db = Path.of(args[0]);
    String writer = args[1];
    int count = Integer.parseInt(args[2]);
    long[] millis = new long[count];
    long uptimeAfterFirst = 0;
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < count; i++) {
      String host = writer + "-" + i;
      long start = System.nanoTime();
      try (SqliteStateStore store = SqliteStateStore.open(db)) {
        IntentRequest request = new IntentRequest(host, writer, Intent.UP, IntentSource.RESUME, List.of(String.valueOf(i)));
        HostIntent recorded = store.recordIntents(List.of(request), Instant.ofEpochMilli(1_000_000L + i)).get(0);
        out.append("seq ").append(host).append(' ').append(recorded.seq()).append('\n');
      }
      millis[i] = (System.nanoTime() - start) / 1_000_000;
      if (i == 0) {
        uptimeAfterFirst = ManagementFactory.getRuntimeMXBean().getUptime();
      }
    }
    long[] sorted = millis.clone();
    Arrays.sort(sorted);
    out.append(String.format(
        "timing writer=%s jvm-start-to-first-intent-ms=%d first-open-record-close-ms=%d warm-p50-ms=%d warm-p95-ms=%d%n",
        writer, uptimeAfterFirst, millis[0], sorted[(count - 1) / 2], sorted[(int) ((count - 1) * 0.95)]));
    System.out.print(out);
    System.out.flush();
  }
}
