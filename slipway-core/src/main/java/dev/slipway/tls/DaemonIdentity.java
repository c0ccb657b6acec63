package dev.slipway.tls;

import dev.slipway.model.Secret;
import dev.slipway.model.SecretFile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The daemon's TLS key and self-signed certificate, one pair per cluster, kept in the cluster's
 * secrets directory beside {@code munge.key}: {@code daemon-tls.key} (PKCS#8 PEM, 0400) and
 * {@code daemon-tls.crt} (X.509 PEM, 0444, public). Nodes and hooks do not check names or a CA:
 * they pin the public key ({@link #pin()}, curl's {@code --pinnedpubkey} format), which travels
 * in the pool's environment because it is public data.
 *
 * <p>The key file also carries the public key (the optional {@code publicKey} field of RFC 5915,
 * as openssl writes it), so that a daemon which lost the race to create the key can still make a
 * certificate for the winner's key without elliptic-curve arithmetic of its own.
 */
public final class DaemonIdentity {
  public static final String KEY_FILE = "daemon-tls.key";
  public static final String CERTIFICATE_FILE = "daemon-tls.crt";
  /** Long enough that no cluster outlives it; rotation is delete-and-recreate (docs/join-protocol.md). */
  static final int VALIDITY_YEARS = 10;
  private static final String EC_PUBLIC_KEY = "1.2.840.10045.2.1";
  private static final String P256 = "1.2.840.10045.3.1.7";
  private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
  private static final String COMMON_NAME = "2.5.4.3";
  private static final String PIN_PREFIX = "sha256//";

  private final PrivateKey privateKey;
  private final X509Certificate certificate;

  private DaemonIdentity(PrivateKey privateKey, X509Certificate certificate) {
    this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
    this.certificate = Objects.requireNonNull(certificate, "certificate");
  }

  public static Path keyFile(Path secretsDir) {
    return secretsDir.resolve(KEY_FILE);
  }

  public static Path certificateFile(Path secretsDir) {
    return secretsDir.resolve(CERTIFICATE_FILE);
  }

  /** A new EC P-256 key and a certificate for it, CN=slipway-&lt;clusterId&gt;, valid from an hour ago. */
  public static DaemonIdentity generate(String clusterId, SecureRandom random, InstantSource clock) {
    KeyPair pair = newKeyPair(random);
    return new DaemonIdentity(pair.getPrivate(), selfSign(pair.getPrivate(), pair.getPublic(), clusterId, random, clock));
  }

  /**
   * Reads the pair from {@code secretsDir}, making whichever file is missing the way
   * {@code JoinSecrets} does (0700 directory, temporary file hard-linked into place, so two daemons
   * starting together end up with one key).
   *
   * @throws IllegalStateException naming the file when it cannot be read, created or parsed, or
   *     when the certificate does not belong to the key
   */
  public static DaemonIdentity loadOrCreate(Path secretsDir, String clusterId, SecureRandom random, InstantSource clock) {
    Path keyPath = keyFile(secretsDir);
    byte[] keyPem = SecretFile.readOrCreate(keyPath, "r--------", () -> pem("PRIVATE KEY", pkcs8WithPublicKey(newKeyPair(random))));
    KeyPair pair = parseKey(keyPath, keyPem);
    byte[] certPem = SecretFile.readOrCreate(certificateFile(secretsDir), "r--r--r--",
        () -> pem("CERTIFICATE", encoded(selfSign(pair.getPrivate(), pair.getPublic(), clusterId, random, clock))));
    return matched(pair, certificateFile(secretsDir), certPem);
  }

  /** Reads an existing pair; never creates one (a CLI that must not make secrets of its own). */
  public static DaemonIdentity load(Path secretsDir) {
    Path keyPath = keyFile(secretsDir);
    Path certPath = certificateFile(secretsDir);
    try {
      return matched(parseKey(keyPath, Files.readAllBytes(keyPath)), certPath, Files.readAllBytes(certPath));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + keyPath + " or " + certPath + " (" + e.getClass().getSimpleName() + ": "
          + e.getMessage() + ")", e);
    }
  }

  /** The pin of the certificate in {@code secretsDir}: needs only the public file. */
  public static String readPin(Path secretsDir) {
    Path certPath = certificateFile(secretsDir);
    try {
      return pinOf(parseCertificate(certPath, Files.readAllBytes(certPath)).getPublicKey());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + certPath + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
    }
  }

  /** {@code sha256//<base64 of the SHA-256 of the DER SubjectPublicKeyInfo>}, as curl's --pinnedpubkey takes it. */
  public static String pinOf(PublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return PIN_PREFIX + Base64.getEncoder().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  /** {@code pin} if it has the form {@link #pinOf} makes. */
  public static String requirePin(String pin) {
    boolean ok = pin != null && pin.startsWith(PIN_PREFIX);
    if (ok) {
      try {
        ok = Base64.getDecoder().decode(pin.substring(PIN_PREFIX.length())).length == 32;
      } catch (IllegalArgumentException e) {
        ok = false;
      }
    }
    if (!ok) {
      throw new IllegalArgumentException("a key pin looks like sha256//<base64 of 32 bytes>, got '" + pin + "'");
    }
    return pin;
  }

  public String pin() {
    return pinOf(certificate.getPublicKey());
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public String certificatePem() {
    return new String(pem("CERTIFICATE", encoded(certificate)), StandardCharsets.US_ASCII);
  }

  /** The key as {@code daemon-tls.key} holds it, for delivering it to controllers. */
  public Secret keyPem() {
    return Secret.of(new String(pem("PRIVATE KEY", pkcs8WithPublicKey(new KeyPair(certificate.getPublicKey(), privateKey))),
        StandardCharsets.US_ASCII));
  }

  /** A server context presenting this key and certificate. */
  public SSLContext serverContext() {
    try {
      char[] password = new char[0];
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("daemon", privateKey, password, new X509Certificate[] {certificate});
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a TLS server context from the daemon key: " + e, e);
    }
  }

  /**
   * A client context that trusts exactly the server key with this pin, whatever name or address
   * the client used: the pin is the whole check (no CA, no host name), like {@code curl -k
   * --pinnedpubkey}. Callers using HttpsURLConnection must also switch off its host-name check.
   */
  public static SSLContext pinnedClientContext(String pin) {
    String expected = requirePin(pin);
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new PinnedKey(expected)}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a TLS client context: " + e, e);
    }
  }

  @Override
  public String toString() {
    return "DaemonIdentity[" + certificate.getSubjectX500Principal().getName() + ", pin=" + pin() + "]";
  }

  /**
   * Extended, so that JSSE does not wrap it and add a host-name check the self-signed certificate
   * (no subjectAltName) could never pass.
   */
  private static final class PinnedKey extends X509ExtendedTrustManager {
    private final String pin;

    PinnedKey(String pin) {
      this.pin = pin;
    }

    private void check(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length == 0) {
        throw new CertificateException("the server sent no certificate");
      }
      String actual = pinOf(chain[0].getPublicKey());
      if (!actual.equals(pin)) {
        throw new CertificateException("the server's key has pin " + actual + ", expected " + pin);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("a pinned client trusts no client certificates");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  private static DaemonIdentity matched(KeyPair pair, Path certPath, byte[] certPem) {
    X509Certificate cert = parseCertificate(certPath, certPem);
    if (!Arrays.equals(cert.getPublicKey().getEncoded(), pair.getPublic().getEncoded())) {
      throw new IllegalStateException(certPath + " does not hold the public key of " + certPath.resolveSibling(KEY_FILE)
          + "; delete both to have a new pair made (nodes of existing pools then carry a stale pin: recreate the pools)");
    }
    return new DaemonIdentity(pair.getPrivate(), cert);
  }

  private static KeyPair newKeyPair(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate an EC P-256 key: " + e, e);
    }
  }

  static X509Certificate selfSign(PrivateKey key, PublicKey publicKey, String clusterId, SecureRandom random, InstantSource clock) {
    // An hour back: a node whose clock is a little behind must not see a certificate from the future.
    ZonedDateTime from = clock.instant().atZone(ZoneOffset.UTC).minusHours(1);
    byte[] serial = new byte[16];
    random.nextBytes(serial);
    serial[0] &= 0x7F; // positive, as RFC 5280 requires
    serial[0] |= 0x01; // and never zero
    byte[] algorithm = Der.sequence(Der.oid(ECDSA_WITH_SHA256));
    byte[] name = Der.sequence(Der.set(Der.sequence(Der.oid(COMMON_NAME), Der.utf8String("slipway-" + clusterId))));
    byte[] tbs = Der.sequence(
        Der.explicit(0, Der.integer(BigInteger.TWO)), // version v3
        Der.integer(new BigInteger(serial)),
        algorithm,
        name,
        Der.sequence(Der.time(from), Der.time(from.plusYears(VALIDITY_YEARS))),
        name,
        publicKey.getEncoded());
    try {
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(key, random);
      signer.update(tbs);
      byte[] der = Der.sequence(tbs, algorithm, Der.bitString(signer.sign()));
      X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
      cert.verify(publicKey);
      return cert;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make the daemon's certificate: " + e, e);
    }
  }

  /** PKCS#8 PrivateKeyInfo around an RFC 5915 ECPrivateKey that includes the public point. */
  static byte[] pkcs8WithPublicKey(KeyPair pair) {
    byte[] s = ((ECPrivateKey) pair.getPrivate()).getS().toByteArray();
    byte[] scalar = new byte[32];
    int copy = Math.min(s.length, 32);
    System.arraycopy(s, s.length - copy, scalar, 32 - copy, copy);
    // SubjectPublicKeyInfo = SEQUENCE { algorithm, BIT STRING point }: the point is the bit string.
    List<Der.Element> spki = Der.parseOne(pair.getPublic().getEncoded()).children();
    byte[] point = Arrays.copyOfRange(spki.get(1).content(), 1, spki.get(1).content().length);
    byte[] ecPrivateKey = Der.sequence(Der.integer(BigInteger.ONE), Der.octetString(scalar), Der.tlv(0xA1, Der.bitString(point)));
    return Der.sequence(Der.integer(BigInteger.ZERO), Der.sequence(Der.oid(EC_PUBLIC_KEY), Der.oid(P256)), Der.octetString(ecPrivateKey));
  }

  static KeyPair parseKey(Path file, byte[] pem) {
    try {
      byte[] der = unpem(pem, "PRIVATE KEY");
      KeyFactory ec = KeyFactory.getInstance("EC");
      PrivateKey priv = ec.generatePrivate(new PKCS8EncodedKeySpec(der));
      List<Der.Element> info = Der.parseOne(der).children();
      byte[] ecPrivateKey = info.get(2).content();
      Der.Element publicField = Der.parseOne(ecPrivateKey).children().stream().filter(e -> e.tag() == 0xA1).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("the key has no public-key field (RFC 5915 [1]); write it with openssl pkey"));
      byte[] bitString = Der.parseOne(publicField.content()).content();
      byte[] spki = Der.sequence(Der.tlv(Der.SEQUENCE, info.get(1).content()), Der.tlv(Der.BIT_STRING, bitString));
      PublicKey pub = ec.generatePublic(new X509EncodedKeySpec(spki));
      return new KeyPair(pub, priv);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalStateException(file + " is not a PEM PKCS#8 EC P-256 key: " + e.getMessage(), e);
    }
  }

  static X509Certificate parseCertificate(Path file, byte[] pem) {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem));
    } catch (CertificateException | RuntimeException e) {
      throw new IllegalStateException(file + " is not a PEM X.509 certificate: " + e.getMessage(), e);
    }
  }

  private static byte[] encoded(X509Certificate cert) {
    try {
      return cert.getEncoded();
    } catch (CertificateException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] pem(String label, byte[] der) {
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return ("-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n").getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] unpem(byte[] pem, String label) {
    String text = new String(pem, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("no " + begin + " block");
    }
    return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
  }

}
