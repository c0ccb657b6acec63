package dev.slipway.local.provision;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;

/**
 * A fresh 1024-byte munge key for this cluster, mode 0400 in the 0700 secrets directory. It is
 * created with its final mode (never readable by others, not even briefly) and never logged; a key
 * that exists is kept, so every node of the cluster keeps trusting the others.
 */
final class GenerateMungeKey implements ProvisionStep {
  private final SecureRandom random;

  GenerateMungeKey(SecureRandom random) {
    this.random = random;
  }

  @Override
  public String description(ProvisionContext c) {
    return "generate the munge key";
  }

  @Override
  public void run(ProvisionContext c) {
    if (Files.exists(c.paths.mungeKey())) {
      c.emit("munge.key.kept", "keeping the existing munge key", Map.of("path", c.paths.mungeKey().toString()));
      return;
    }
    byte[] key = new byte[1024];
    random.nextBytes(key);
    try {
      Files.createFile(c.paths.mungeKey(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.write(c.paths.mungeKey(), key, StandardOpenOption.TRUNCATE_EXISTING);
      Files.setPosixFilePermissions(c.paths.mungeKey(), PosixFilePermissions.fromString("r--------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the munge key " + c.paths.mungeKey(), e);
    }
  }
}
