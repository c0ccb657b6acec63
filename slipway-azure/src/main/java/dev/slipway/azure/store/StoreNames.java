package dev.slipway.azure.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where one cluster's state lives in a storage account: a table (intents, bindings, pools, events)
 * and a blob container (leases). Several clusters can share an account, so both names are the
 * prefix plus the cluster id, cut down to what Azure allows (tables: letters and digits, 3 to 63,
 * starting with a letter; containers: lower-case letters, digits and single hyphens, 3 to 63).
 * When that loses information (another case, a dash, an underscore, a long id), a short hash of
 * the cluster id is appended, so "gpu_a" and "gpu-a" do not end up sharing a table.
 */
public record StoreNames(String table, String container) {
  public static final String DEFAULT_PREFIX = "slipway";
  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9]{1,19}");
  private static final int MAX = 63;

  public StoreNames {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(container, "container");
  }

  /**
   * The names for {@code clusterId} under {@code prefix} (lower-case letters and digits, starting
   * with a letter, 2 to 20 characters).
   */
  public static StoreNames forCluster(String prefix, String clusterId) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(clusterId, "clusterId");
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("state store prefix '" + prefix
          + "' must be 2 to 20 lower-case letters and digits starting with a letter");
    }
    if (clusterId.isBlank()) {
      throw new IllegalArgumentException("cluster id must not be blank");
    }
    String alnum = clusterId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    boolean lossy = !alnum.equals(clusterId) || prefix.length() + alnum.length() > MAX;
    String suffix = lossy ? hash(clusterId) : "";
    String table = fit(prefix + alnum, suffix);
    String dashed = clusterId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    String container = fit(prefix + "-" + dashed, lossy ? "-" + suffix : "");
    return new StoreNames(table, container.replaceAll("-+", "-"));
  }

  private static String fit(String base, String suffix) {
    String cut = base.length() + suffix.length() > MAX ? base.substring(0, MAX - suffix.length()) : base;
    return cut + suffix;
  }

  private static String hash(String clusterId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(clusterId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}
