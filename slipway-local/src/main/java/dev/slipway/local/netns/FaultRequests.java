package dev.slipway.local.netns;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.FaultInjection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Fault injection for a provider that runs inside another process (the daemon of a local cluster):
 * a test drops a one-line request file into {@code <cluster dir>/faults/} and the provider applies
 * it within about a second, then moves it to {@code faults/applied/<name>} with a second line that
 * says what happened ({@code ok ...} or {@code error ...}), so the test knows when it took effect.
 *
 * <p>Requests (one per file; names ending in {@code .tmp} are ignored so that writers can write a
 * temporary file and rename it):
 * <ul>
 *   <li>{@code limit POOL CAPACITY|QUOTA N}: {@link FaultInjection#limitAllocation}</li>
 *   <li>{@code clear POOL}: {@link FaultInjection#clearAllocationLimit}</li>
 *   <li>{@code preempt POOL N}: {@link FaultInjection#preempt}; the result line lists the node ids</li>
 * </ul>
 * The directory belongs to root like the rest of the cluster directory; nothing outside it is read.
 */
public final class FaultRequests {
  public static final String DIR_NAME = "faults";

  private final Path dir;

  public FaultRequests(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /** Applies every pending request, oldest name first; returns the result lines, in order. */
  public List<String> applyPending(FaultInjection target) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> pending;
    try (Stream<Path> s = Files.list(dir)) {
      pending = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".tmp")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list fault requests in " + dir, e);
    }
    List<String> results = new ArrayList<>();
    for (Path request : pending) {
      String text;
      try {
        text = Files.readString(request, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        continue; // renamed away meanwhile; nothing to apply
      }
      String result = apply(text, target);
      results.add(result);
      try {
        Path applied = dir.resolve("applied");
        Files.createDirectories(applied);
        Files.writeString(request, text + "\n" + result + "\n", StandardCharsets.UTF_8);
        Files.move(request, applied.resolve(request.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot record the fault request " + request + " as applied", e);
      }
    }
    return results;
  }

  static String apply(String request, FaultInjection target) {
    String[] f = request.split("\\s+");
    try {
      switch (f[0].toLowerCase(Locale.ROOT)) {
        case "limit" -> {
          expectWords(f, 4, "limit POOL CAPACITY|QUOTA N");
          target.limitAllocation(f[1], ErrorClass.valueOf(f[2].toUpperCase(Locale.ROOT)), Integer.parseInt(f[3]));
          return "ok pool " + f[1] + " can allocate at most " + f[3] + " more nodes, then " + f[2].toUpperCase(Locale.ROOT);
        }
        case "clear" -> {
          expectWords(f, 2, "clear POOL");
          target.clearAllocationLimit(f[1]);
          return "ok pool " + f[1] + " allocates without limit";
        }
        case "preempt" -> {
          expectWords(f, 3, "preempt POOL N");
          return "ok preempted " + String.join(" ", target.preempt(f[1], Integer.parseInt(f[2])));
        }
        default -> throw new IllegalArgumentException("unknown request '" + f[0] + "'; expected limit, clear or preempt");
      }
    } catch (IllegalArgumentException e) {
      return "error " + e.getMessage();
    }
  }

  private static void expectWords(String[] f, int n, String usage) {
    if (f.length != n) {
      throw new IllegalArgumentException("expected '" + usage + "', got " + f.length + " words");
    }
  }
}
