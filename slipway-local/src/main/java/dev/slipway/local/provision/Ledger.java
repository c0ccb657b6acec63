package dev.slipway.local.provision;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What a cluster's provisioner made on this machine, one line per thing, written <em>before</em>
 * the thing is made: a crash between the two leaves an entry for something that may not exist,
 * which removal tolerates, never the reverse. {@code destroy} undoes the entries newest first and
 * drops each one once it is gone, so it removes exactly what this cluster made (no guessing by
 * name prefix) and can be repeated after a failure.
 *
 * <p>Format: {@code <kind> <argument...>}, e.g. {@code namespace sw-1a2b3c-ctl 2},
 * {@code dir /shared}, {@code user alice}.
 */
public final class Ledger {
  /** One thing made: its kind and the words that identify it. */
  public record Entry(String kind, List<String> args) {
    public Entry {
      args = List.copyOf(args);
      if (kind.isBlank() || kind.contains(" ") || args.stream().anyMatch(a -> a.isEmpty() || a.chars().anyMatch(Character::isWhitespace))) {
        throw new IllegalArgumentException("ledger entries are words without spaces: " + kind + " " + args);
      }
    }

    public static Entry of(String kind, String... args) {
      return new Entry(kind, List.of(args));
    }

    String line() {
      return args.isEmpty() ? kind : kind + " " + String.join(" ", args);
    }
  }

  private final Path file;

  public Ledger(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** Records {@code entry} unless it is already there. */
  public synchronized void record(Entry entry) {
    if (entries().contains(entry)) {
      return;
    }
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, entry.line() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the provisioning ledger " + file, e);
    }
  }

  /** Entries in the order they were recorded. */
  public synchronized List<Entry> entries() {
    if (!Files.exists(file)) {
      return List.of();
    }
    List<Entry> entries = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String[] words = line.strip().split("\\s+");
        if (!words[0].isEmpty()) {
          entries.add(new Entry(words[0], List.of(words).subList(1, words.length)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the provisioning ledger " + file, e);
    }
    return entries;
  }

  /** Drops {@code entry} (after what it names is gone); replaces the file atomically. */
  public synchronized void forget(Entry entry) {
    List<Entry> left = new ArrayList<>(entries());
    if (!left.remove(entry)) {
      return;
    }
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      StringBuilder text = new StringBuilder();
      left.forEach(e -> text.append(e.line()).append('\n'));
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite the provisioning ledger " + file, e);
    }
  }
}
