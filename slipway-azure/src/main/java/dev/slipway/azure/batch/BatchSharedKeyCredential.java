package dev.slipway.azure.batch;

import dev.slipway.model.Secret;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Batch account name and key, and the documented Batch SharedKey scheme ("Authenticate requests
 * to Azure Batch"): HMAC-SHA256 over a string of the verb, eleven standard headers, the
 * {@code ocp-} headers and the canonical resource ({@code /account/path} plus the query
 * parameters, lower-cased and sorted). The client signs with it and the emulator verifies with
 * it, so both sides follow one definition; the unit test pins it to a vector worked out by hand
 * from the documentation. The key is a {@link Secret}: it never appears in toString or logs.
 */
public record BatchSharedKeyCredential(String accountName, Secret accountKey) {
  /** Standard headers in the order the string to sign lists their values. */
  private static final List<String> STANDARD_HEADERS = List.of(
      "content-encoding", "content-language", "content-length", "content-md5", "content-type", "date",
      "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range");

  public BatchSharedKeyCredential {
    Objects.requireNonNull(accountName, "accountName");
    Objects.requireNonNull(accountKey, "accountKey");
    if (accountName.isBlank()) {
      throw new IllegalArgumentException("Batch account name is empty");
    }
  }

  /**
   * The string to sign. {@code header} returns a request header's value by lower-case name, or
   * null; {@code ocpHeaders} are all headers whose name starts with {@code ocp-}. Content-Length
   * is signed as the empty string when it is absent or zero, so that a body-less POST signs the
   * same whether or not the HTTP stack sent {@code Content-Length: 0}.
   */
  public String stringToSign(String method, URI uri, Function<String, String> header, Map<String, String> ocpHeaders) {
    StringBuilder sb = new StringBuilder(method.toUpperCase(Locale.ROOT)).append('\n');
    for (String name : STANDARD_HEADERS) {
      String value = header.apply(name);
      if (value == null || ("content-length".equals(name) && "0".equals(value.trim()))) {
        value = "";
      }
      if ("date".equals(name) && ocpHeaders.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("ocp-date"))) {
        value = ""; // documented: with ocp-date present, Date signs as an empty line
      }
      sb.append(value).append('\n');
    }
    TreeMap<String, String> canonicalHeaders = new TreeMap<>();
    ocpHeaders.forEach((k, v) -> canonicalHeaders.put(k.toLowerCase(Locale.ROOT).trim(), v.trim()));
    canonicalHeaders.forEach((k, v) -> sb.append(k).append(':').append(v).append('\n'));
    sb.append('/').append(accountName).append(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath());
    TreeMap<String, List<String>> query = new TreeMap<>();
    String raw = uri.getRawQuery();
    if (raw != null && !raw.isEmpty()) {
      for (String pair : raw.split("&")) {
        if (pair.isEmpty()) continue;
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq)).toLowerCase(Locale.ROOT);
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        query.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
      }
    }
    query.forEach((name, values) -> {
      List<String> sorted = new ArrayList<>(values);
      sorted.sort(null);
      sb.append('\n').append(name).append(':').append(String.join(",", sorted));
    });
    return sb.toString();
  }

  /** Base64 HMAC-SHA256 of {@code stringToSign} under the (base64) account key. */
  public String signature(String stringToSign) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(accountKey.reveal()), "HmacSHA256"));
      return Base64.getEncoder().encodeToString(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      // Never include the key or the exception text (which might quote it) in the message.
      throw new IllegalStateException("Batch account key for '" + accountName + "' is not valid base64 HMAC key material");
    }
  }

  /** The Authorization header value: {@code SharedKey <account>:<signature>}. */
  public String authorization(String stringToSign) {
    return "SharedKey " + accountName + ":" + signature(stringToSign);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
