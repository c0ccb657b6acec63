package dev.slipway.local.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The cluster's address assignments, kept in one small text file so that a restarted daemon (or
 * a CLI command running beside it) never hands out an address a live namespace still holds.
 *
 * <p>Every change takes an exclusive file lock, re-reads the file, changes it and replaces it
 * atomically, so two processes on the machine cannot give out the same address. Compute
 * addresses are handed out round robin from a persisted cursor rather than lowest-free: a node
 * removed a moment ago may still sit in slurmctld's or a peer's ARP cache under its old name.
 *
 * <p>File format, one entry a line: {@code <host offset> <role> <owner>}, plus
 * {@code next-compute <offset>}.
 */
public final class AddressBook {
  private final Path file;
  private final Subnet subnet;

  /** One assignment: a host offset in the subnet held by {@code owner}. */
  public record Entry(int offset, AddressRole role, String owner) {}

  private record Book(TreeMap<Integer, Entry> entries, int nextCompute) {}

  public AddressBook(Path file, Subnet subnet) {
    this.file = file;
    this.subnet = subnet;
  }

  public Subnet subnet() {
    return subnet;
  }

  /** Assigns a free address of {@code role} to {@code owner}, or returns the one it already holds. */
  public synchronized int allocate(AddressRole role, String owner) {
    requireOwnerName(owner);
    int[] result = new int[1];
    update(book -> {
      Optional<Entry> held = book.entries().values().stream().filter(e -> e.owner().equals(owner)).findFirst();
      if (held.isPresent()) {
        result[0] = held.get().offset();
        return book;
      }
      int first = role.first();
      int last = role.last(subnet);
      int size = last - first + 1;
      int start = role == AddressRole.COMPUTE ? Math.max(first, Math.min(book.nextCompute(), last)) : first;
      for (int i = 0; i < size; i++) {
        int offset = first + Math.floorMod(start - first + i, size);
        if (!book.entries().containsKey(offset)) {
          book.entries().put(offset, new Entry(offset, role, owner));
          result[0] = offset;
          int next = role == AddressRole.COMPUTE ? (offset == last ? first : offset + 1) : book.nextCompute();
          return new Book(book.entries(), next);
        }
      }
      throw new IllegalStateException("no free " + role.name().toLowerCase(java.util.Locale.ROOT) + " address left in " + subnet
          + " (offsets " + first + ".." + last + " all assigned); remove nodes or use a larger subnet");
    });
    return result[0];
  }

  /** Frees whatever {@code owner} holds; nothing happens when it holds nothing. */
  public synchronized void release(String owner) {
    update(book -> {
      book.entries().values().removeIf(e -> e.owner().equals(owner));
      return book;
    });
  }

  public synchronized Optional<Entry> heldBy(String owner) {
    return read().entries().values().stream().filter(e -> e.owner().equals(owner)).findFirst();
  }

  public synchronized List<Entry> entries() {
    return List.copyOf(read().entries().values());
  }

  private static void requireOwnerName(String owner) {
    if (owner.isEmpty() || owner.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("address owner '" + owner + "' must be a non-empty word");
    }
  }

  private void update(UnaryOperator<Book> change) {
    try {
      Files.createDirectories(file.getParent());
      Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
      try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = channel.lock()) {
        Book changed = change.apply(read());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, render(changed), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot update the address book " + file, e);
    }
  }

  private Book read() {
    TreeMap<Integer, Entry> entries = new TreeMap<>();
    int next = AddressRole.COMPUTE.first();
    if (!Files.exists(file)) {
      return new Book(entries, next);
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the address book " + file, e);
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] words = line.split("\\s+");
      try {
        if (words.length == 2 && words[0].equals("next-compute")) {
          next = Integer.parseInt(words[1]);
        } else if (words.length == 3) {
          int offset = Integer.parseInt(words[0]);
          entries.put(offset, new Entry(offset, AddressRole.valueOf(words[1]), words[2]));
        } else {
          throw new IllegalArgumentException("expected '<offset> <role> <owner>'");
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(file + ":" + (i + 1) + ": cannot read '" + line + "': " + e.getMessage(), e);
      }
    }
    return new Book(entries, next);
  }

  private static String render(Book book) {
    List<String> lines = new ArrayList<>();
    for (Map.Entry<Integer, Entry> e : book.entries().entrySet()) {
      lines.add(e.getKey() + " " + e.getValue().role() + " " + e.getValue().owner());
    }
    lines.add("next-compute " + book.nextCompute());
    return String.join("\n", lines) + "\n";
  }
}
