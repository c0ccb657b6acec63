package dev.slipway.cli.daemon;

import dev.slipway.model.Secret;
import dev.slipway.model.SecretFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The secrets the join endpoint hands out and checks, kept in the cluster's secrets directory
 * ({@code ClusterHome.secrets()}): {@code munge.key} (raw bytes, as munged reads it) and
 * {@code join-token-<pool>} (one line of URL-safe base64). Missing files are generated with
 * SecureRandom when the directory is writable: mode 0700 for the directory, 0400 for the files
 * ({@link SecretFile}: two daemons starting together do not both write). Values are never logged; {@link #toString()}
 * names the files only.
 */
public record JoinSecrets(Secret mungeKey, Map<String, Secret> joinTokens) {
  /** munge's own {@code mungekey} writes 1024 bytes by default. */
  static final int MUNGE_KEY_BYTES = 1024;
  static final int TOKEN_BYTES = 32;

  public JoinSecrets {
    Objects.requireNonNull(mungeKey, "mungeKey");
    joinTokens = Map.copyOf(joinTokens);
  }

  public static Path mungeKeyFile(Path dir) {
    return dir.resolve("munge.key");
  }

  public static Path joinTokenFile(Path dir, String poolId) {
    return dir.resolve("join-token-" + poolId);
  }

  /**
   * Reads the munge key and each pool's join token, generating the missing ones. The munge key is
   * returned base64-encoded, as the join response carries it.
   *
   * @throws IllegalStateException naming the file when one is missing and cannot be created
   */
  public static JoinSecrets loadOrCreate(Path dir, Collection<String> poolIds, SecureRandom random) {
    byte[] munge = SecretFile.readOrCreate(mungeKeyFile(dir), "r--------", () -> randomBytes(random, MUNGE_KEY_BYTES));
    Map<String, Secret> tokens = new LinkedHashMap<>();
    for (String pool : poolIds) {
      byte[] token = SecretFile.readOrCreate(joinTokenFile(dir, pool), "r--------",
          () -> (Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(random, TOKEN_BYTES)) + "\n").getBytes(StandardCharsets.US_ASCII));
      String text = new String(token, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        throw new IllegalStateException("join token file " + joinTokenFile(dir, pool) + " is empty; delete it to have a new token generated");
      }
      tokens.put(pool, Secret.of(text));
    }
    return new JoinSecrets(Secret.of(Base64.getEncoder().encodeToString(munge)), tokens);
  }


  private static byte[] randomBytes(SecureRandom random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  @Override
  public String toString() {
    return "JoinSecrets[munge key, join tokens for " + joinTokens.keySet() + "]";
  }
}
