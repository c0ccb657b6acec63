package dev.slipway.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Supplier;

/**
 * A secret kept in a file that whoever needs it first creates: the munge key, join tokens, the
 * daemon's TLS key. Two daemons starting together must not both write (one would hand out a key
 * the other does not hold), so the file is written under a temporary name with its final mode and
 * hard-linked into place: the link fails if the file exists, and the loser reads the winner's.
 */
public final class SecretFile {
  private SecretFile() {}

  /**
   * The bytes of {@code file}, created from {@code generate} with permissions {@code mode} (e.g.
   * {@code r--------}) when it does not exist; a missing directory is made with mode 0700.
   *
   * @throws IllegalStateException naming the file when it is missing and cannot be created
   */
  public static byte[] readOrCreate(Path file, String mode, Supplier<byte[]> generate) {
    try {
      if (Files.exists(file)) {
        return Files.readAllBytes(file);
      }
      Path dir = file.toAbsolutePath().getParent();
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      Path tmp = Files.createTempFile(dir, ".new-", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        Files.write(tmp, generate.get(), StandardOpenOption.TRUNCATE_EXISTING);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(mode));
        try {
          Files.createLink(file, tmp);
        } catch (FileAlreadyExistsException raced) {
          // the other creator's file wins
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
      return Files.readAllBytes(file);
    } catch (IOException | UncheckedIOException e) {
      throw new IllegalStateException("cannot read or create " + file + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
          + "); make " + file.toAbsolutePath().getParent() + " writable or put the file there with mode " + mode, e);
    }
  }
}
