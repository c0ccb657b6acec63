package dev.slipway.local.netns;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;

/**
 * One namespace node's bookkeeping, mirrored in {@code <node dir>/node.properties} at every change
 * so that a restarted daemon knows the node's pool, type, address and state. Mutable, guarded by
 * its pool's monitor; the node's own monitor serializes the I/O done on it (create, launch,
 * remove), so a removal never races a creation half-way.
 */
final class NetnsNode {
  final String id;
  final String poolId;
  final boolean lowPriority;
  final int hostOffset;
  final Instant createdAt;
  final Path dir;
  ProviderNodeState state;
  Optional<ProviderError> error = Optional.empty();
  Optional<Long> startTaskPid = Optional.empty();

  NetnsNode(String id, String poolId, boolean lowPriority, int hostOffset, Instant createdAt, Path dir, ProviderNodeState state) {
    this.id = id;
    this.poolId = poolId;
    this.lowPriority = lowPriority;
    this.hostOffset = hostOffset;
    this.createdAt = createdAt;
    this.dir = dir;
    this.state = state;
  }

  ProviderNode view(String address) {
    return new ProviderNode(id, poolId, state, lowPriority, Optional.of(address), createdAt, error);
  }

  void fail(ProviderNodeState failed, ErrorClass errorClass, String code, String message) {
    state = failed;
    error = Optional.of(new ProviderError(errorClass, code, message));
  }

  Path propertiesFile() {
    return dir.resolve("node.properties");
  }

  void save() {
    Properties p = new Properties();
    p.setProperty("id", id);
    p.setProperty("pool", poolId);
    p.setProperty("low_priority", Boolean.toString(lowPriority));
    p.setProperty("host_offset", Integer.toString(hostOffset));
    p.setProperty("created_at", createdAt.toString());
    p.setProperty("state", state.name());
    startTaskPid.ifPresent(pid -> p.setProperty("start_task_pid", Long.toString(pid)));
    error.ifPresent(e -> {
      p.setProperty("error_class", e.errorClass().name());
      p.setProperty("error_code", e.code());
      p.setProperty("error_message", e.message());
    });
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve("node.properties.tmp");
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(w, "slipway netns node");
      }
      Files.move(tmp, propertiesFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + propertiesFile(), e);
    }
  }

  static NetnsNode load(Path dir) {
    Path file = dir.resolve("node.properties");
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    try {
      NetnsNode node = new NetnsNode(required(p, "id", file), required(p, "pool", file),
          Boolean.parseBoolean(required(p, "low_priority", file)), Integer.parseInt(required(p, "host_offset", file)),
          Instant.parse(required(p, "created_at", file)), dir, ProviderNodeState.valueOf(required(p, "state", file)));
      Optional.ofNullable(p.getProperty("start_task_pid")).map(Long::parseLong).ifPresent(pid -> node.startTaskPid = Optional.of(pid));
      Optional.ofNullable(p.getProperty("error_class")).ifPresent(c -> node.error = Optional.of(new ProviderError(
          ErrorClass.valueOf(c), p.getProperty("error_code", ""), p.getProperty("error_message", ""))));
      return node;
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot read node metadata " + file + ": " + e.getMessage(), e);
    }
  }

  private static String required(Properties p, String key, Path file) {
    String v = p.getProperty(key);
    if (v == null) {
      throw new IllegalStateException(file + " has no '" + key + "'");
    }
    return v;
  }
}
