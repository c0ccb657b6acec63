package dev.slipway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonIdentityTest {
  static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
  static final InstantSource CLOCK = InstantSource.fixed(NOW);

  @TempDir Path dir;

  @Test
  void generate_makesAV3CertificateTheJdkParses_selfSignedForTheCluster_validTenYears() throws Exception {
    DaemonIdentity id = DaemonIdentity.generate("c1", new SecureRandom(), CLOCK);
    X509Certificate cert = id.certificate();

    cert.verify(cert.getPublicKey());
    assertThat(cert.getVersion()).isEqualTo(3);
    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=slipway-c1");
    assertThat(cert.getIssuerX500Principal()).isEqualTo(cert.getSubjectX500Principal());
    assertThat(cert.getSigAlgName()).isEqualTo("SHA256withECDSA");
    assertThat(cert.getSerialNumber().signum()).isPositive();
    assertThat(cert.getNotBefore().toInstant()).isBefore(NOW);
    assertThat(cert.getNotAfter().toInstant()).isAfter(NOW.atZone(ZoneOffset.UTC).plusYears(9).toInstant());
    cert.checkValidity(java.util.Date.from(NOW));
    assertThat(id.pin()).isEqualTo(DaemonIdentity.pinOf(cert.getPublicKey())).startsWith("sha256//").hasSize(8 + 44);
  }

  @Test
  void generate_givesEachClusterItsOwnKeyAndSerial() {
    DaemonIdentity a = DaemonIdentity.generate("c1", new SecureRandom(), CLOCK);
    DaemonIdentity b = DaemonIdentity.generate("c1", new SecureRandom(), CLOCK);

    assertThat(a.pin()).isNotEqualTo(b.pin());
    assertThat(a.certificate().getSerialNumber()).isNotEqualTo(b.certificate().getSerialNumber());
  }

  @Test
  void loadOrCreate_writesAPrivateKeyAndAPublicCertificate_andReadsTheSamePairAfterwards() throws Exception {
    Path secrets = dir.resolve("secrets");

    DaemonIdentity first = DaemonIdentity.loadOrCreate(secrets, "c1", new SecureRandom(), CLOCK);
    DaemonIdentity again = DaemonIdentity.loadOrCreate(secrets, "c1", new SecureRandom(), CLOCK);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets.resolve("daemon-tls.key")))).isEqualTo("r--------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets.resolve("daemon-tls.crt")))).isEqualTo("r--r--r--");
    assertThat(Files.readString(secrets.resolve("daemon-tls.key"))).startsWith("-----BEGIN PRIVATE KEY-----\n");
    assertThat(Files.readString(secrets.resolve("daemon-tls.crt"))).startsWith("-----BEGIN CERTIFICATE-----\n")
        .isEqualTo(first.certificatePem());
    assertThat(again.pin()).isEqualTo(first.pin()).isEqualTo(DaemonIdentity.readPin(secrets));
    assertThat(DaemonIdentity.load(secrets).pin()).isEqualTo(first.pin());
    assertThat(first.keyPem().reveal()).isEqualTo(Files.readString(secrets.resolve("daemon-tls.key")));
    try (var files = Files.list(secrets)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("daemon-tls.key", "daemon-tls.crt");
    }
  }

  @Test
  void toString_namesTheSubjectAndPin_neverTheKey() {
    DaemonIdentity id = DaemonIdentity.generate("c1", new SecureRandom(), CLOCK);
    String keyBody = id.keyPem().reveal().lines().skip(1).findFirst().orElseThrow();

    assertThat(id.toString()).contains("CN=slipway-c1", id.pin()).doesNotContain(keyBody, "PRIVATE");
    assertThat(id.keyPem().toString()).doesNotContain(keyBody);
  }

  @Test
  void loadOrCreate_whenOnlyTheKeyExists_makesACertificateForThatKey() throws Exception {
    DaemonIdentity made = DaemonIdentity.generate("c1", new SecureRandom(), CLOCK);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("daemon-tls.key"), made.keyPem().reveal());

    DaemonIdentity loaded = DaemonIdentity.loadOrCreate(dir, "c1", new SecureRandom(), CLOCK);

    assertThat(loaded.pin()).isEqualTo(made.pin());
    assertThat(Files.exists(dir.resolve("daemon-tls.crt"))).isTrue();
  }

  @Test
  void loadOrCreate_whenTheCertificateBelongsToAnotherKey_refusesAndSaysToDeleteBoth() throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("daemon-tls.key"), DaemonIdentity.generate("c1", new SecureRandom(), CLOCK).keyPem().reveal());
    Files.writeString(dir.resolve("daemon-tls.crt"), DaemonIdentity.generate("c1", new SecureRandom(), CLOCK).certificatePem());

    assertThatThrownBy(() -> DaemonIdentity.loadOrCreate(dir, "c1", new SecureRandom(), CLOCK))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("daemon-tls.crt").hasMessageContaining("delete both");
  }

  @Test
  void loadOrCreate_whenTheKeyFileIsNotAKey_namesTheFile() throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("daemon-tls.key"), "garbage\n");

    assertThatThrownBy(() -> DaemonIdentity.loadOrCreate(dir, "c1", new SecureRandom(), CLOCK))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("daemon-tls.key");
  }

  @Test
  void loadOrCreate_whenTheDirectoryCannotBeCreated_namesTheFile() throws Exception {
    Path file = dir.resolve("not-a-dir");
    Files.writeString(file, "x");

    assertThatThrownBy(() -> DaemonIdentity.loadOrCreate(file.resolve("secrets"), "c1", new SecureRandom(), CLOCK))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("daemon-tls.key");
  }

  @Test
  void loadOrCreate_whenSeveralDaemonsStartTogether_allEndUpWithOnePair() throws Exception {
    for (int round = 0; round < 5; round++) {
      Path secrets = dir.resolve("round" + round);
      int n = 4;
      ExecutorService pool = Executors.newFixedThreadPool(n);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> pins = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          pins.add(pool.submit(() -> {
            go.await();
            return DaemonIdentity.loadOrCreate(secrets, "c1", new SecureRandom(), CLOCK).pin();
          }));
        }
        go.countDown();
        Set<String> distinct = new HashSet<>();
        for (Future<String> f : pins) {
          distinct.add(f.get(30, TimeUnit.SECONDS));
        }
        assertThat(distinct).containsExactly(DaemonIdentity.readPin(secrets));
      } finally {
        pool.shutdownNow();
      }
      try (var files = Files.list(secrets)) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("daemon-tls.key", "daemon-tls.crt");
      }
    }
  }

  @Test
  void pin_isWhatCurlsOpensslRecipeComputesFromTheCertificate() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
    DaemonIdentity.loadOrCreate(dir, "c1", new SecureRandom(), CLOCK);
    Process p = new ProcessBuilder("sh", "-c", "openssl x509 -in daemon-tls.crt -pubkey -noout | openssl pkey -pubin -outform der"
        + " | openssl dgst -sha256 -binary | base64").directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor()).as(out).isZero();

    assertThat("sha256//" + out).isEqualTo(DaemonIdentity.readPin(dir));
  }

  @Test
  void keyFile_isOneOpensslReadsAndFindsTheSamePublicKeyIn() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
    Files.createDirectories(dir);
    DaemonIdentity id = DaemonIdentity.generate("c1", new SecureRandom(), CLOCK);
    Files.writeString(dir.resolve("k.pem"), id.keyPem().reveal());
    Process p = new ProcessBuilder("sh", "-c", "openssl pkey -in k.pem -pubout -outform der | openssl dgst -sha256 -binary | base64")
        .directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor()).as(out).isZero();

    assertThat("sha256//" + out).isEqualTo(id.pin());
  }

  @Test
  void requirePin_acceptsCurlsFormat_only() {
    String pin = DaemonIdentity.generate("c1", new SecureRandom(), CLOCK).pin();

    assertThat(DaemonIdentity.requirePin(pin)).isEqualTo(pin);
    for (String bad : new String[] {"", "sha256//", "sha256//abc", "md5//" + pin.substring(8), pin.substring(8), "sha256//!!!!"}) {
      assertThatThrownBy(() -> DaemonIdentity.requirePin(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void der_writesUtcTimeBefore2050AndGeneralizedTimeFrom2050() {
    assertThat(Der.time(ZonedDateTime.parse("2049-12-31T23:59:59Z"))).startsWith(0x17, 13);
    assertThat(new String(Der.time(ZonedDateTime.parse("2050-01-01T00:00:00Z")), StandardCharsets.US_ASCII)).endsWith("20500101000000Z");
    assertThat(Der.time(ZonedDateTime.parse("2050-01-01T00:00:00Z"))[0]).isEqualTo((byte) 0x18);
  }

  @Test
  void der_encodesLongLengthsAndMultiByteOidArcs_andReadsThemBack() {
    byte[] big = new byte[300];
    big[299] = 7;
    Der.Element e = Der.parseOne(Der.octetString(big));
    assertThat(e.tag()).isEqualTo(Der.OCTET_STRING);
    assertThat(e.content()).isEqualTo(big);
    // 1.2.840.10045.2.1 is 06 07 2A 86 48 CE 3D 02 01 in every X.509 text
    assertThat(Der.oid("1.2.840.10045.2.1")).containsExactly(0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01);
  }
}
