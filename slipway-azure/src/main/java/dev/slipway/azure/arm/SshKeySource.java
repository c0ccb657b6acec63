package dev.slipway.azure.arm;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a node group's SSH public key comes from: the configured key text, the configured public
 * key file, or a key pair generated (mode 0600) at {@code privateKey} on first create.
 */
public record SshKeySource(Kind kind, Optional<String> data, Optional<Path> publicKeyFile, Optional<Path> privateKey) {
  /** How the key is obtained. */
  public enum Kind {
    DATA,
    FILE,
    GENERATED
  }

  public static SshKeySource data(String keyData) {
    return new SshKeySource(Kind.DATA, Optional.of(keyData), Optional.empty(), Optional.empty());
  }

  public static SshKeySource file(Path publicKey, Optional<Path> privateKey) {
    return new SshKeySource(Kind.FILE, Optional.empty(), Optional.of(publicKey), privateKey);
  }

  public static SshKeySource generated(Path privateKey) {
    return new SshKeySource(Kind.GENERATED, Optional.empty(), Optional.of(Path.of(privateKey + ".pub")), Optional.of(privateKey));
  }

  /** One line for plans and progress: never the key itself beyond its type and comment-free start. */
  public String describe() {
    switch (kind) {
      case DATA: return "configured ssh_public_key_data (" + data.orElse("").split(" ", 2)[0] + ")";
      case FILE: return "public key file " + publicKeyFile.orElseThrow();
      default: return "generated key pair " + privateKey.orElseThrow() + " (+.pub)";
    }
  }
}
