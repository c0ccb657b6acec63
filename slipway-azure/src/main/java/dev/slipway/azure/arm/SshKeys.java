package dev.slipway.azure.arm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;

/**
 * Reads a node group's SSH public key or generates the pair: RSA 3072, the private key as
 * PKCS#8 PEM (which OpenSSH reads) created with mode 0600 from the start, the public key in
 * OpenSSH's one-line form. An existing generated pair is reused, so re-running create keeps the
 * key the VMs already trust.
 */
public final class SshKeys {
  private SshKeys() {}

  /** The OpenSSH public key line for {@code source}, generating the pair first if needed. */
  public static String publicKey(SshKeySource source, String comment) {
    try {
      switch (source.kind()) {
        case DATA:
          return source.data().orElseThrow().strip();
        case FILE:
          return Files.readString(source.publicKeyFile().orElseThrow(), StandardCharsets.US_ASCII).strip();
        default:
          Path priv = source.privateKey().orElseThrow();
          Path pub = source.publicKeyFile().orElseThrow();
          if (!Files.exists(priv) || !Files.exists(pub)) {
            generate(priv, pub, comment);
          }
          return Files.readString(pub, StandardCharsets.US_ASCII).strip();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the SSH key (" + source.describe() + ")", e);
    }
  }

  static void generate(Path priv, Path pub, String comment) throws IOException {
    KeyPair pair;
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(3072);
      pair = g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot generate RSA keys", e);
    }
    Files.createDirectories(priv.toAbsolutePath().getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.deleteIfExists(priv);
    Files.deleteIfExists(pub);
    try {
      Files.createFile(priv, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException e) {
      throw new IOException("another create is writing " + priv, e);
    }
    String pem = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    Files.writeString(priv, pem, StandardCharsets.US_ASCII);
    Files.writeString(pub, openSshLine((RSAPublicKey) pair.getPublic(), comment) + "\n", StandardCharsets.US_ASCII);
  }

  /** {@code ssh-rsa <base64(string "ssh-rsa", mpint e, mpint n)> comment} (RFC 4253 section 6.6). */
  static String openSshLine(RSAPublicKey key, String comment) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeBytes(out, "ssh-rsa".getBytes(StandardCharsets.US_ASCII));
    writeMpint(out, key.getPublicExponent());
    writeMpint(out, key.getModulus());
    return "ssh-rsa " + Base64.getEncoder().encodeToString(out.toByteArray()) + " " + comment;
  }

  private static void writeMpint(ByteArrayOutputStream out, BigInteger v) {
    writeBytes(out, v.toByteArray());
  }

  private static void writeBytes(ByteArrayOutputStream out, byte[] b) {
    out.write((b.length >>> 24) & 0xff);
    out.write((b.length >>> 16) & 0xff);
    out.write((b.length >>> 8) & 0xff);
    out.write(b.length & 0xff);
    out.write(b, 0, b.length);
  }
}
