package dev.slipway.azure.bootstrap;

import dev.slipway.tls.DaemonIdentity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.slipway.azure.pools.ClusterUser;
import dev.slipway.azure.pools.NodeStartTask;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigLoader;
import dev.slipway.model.Secret;
import dev.slipway.slurm.VmSizeCatalog;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * cloud-init user data for Batch Shipyard's Slurm+NFS recipe: golden files (regenerate with
 * {@code -Dslipway.updateGolden=true}), the real {@code cloud-init schema} validator (Debian
 * package cloud-init; a test failure in CI when it is missing, skipped only when env CI is unset),
 * and the secrets rules.
 */
class CloudInitTest {
  static final String MUNGE_RAW = "munge-key-bytes-for-the-test-0123456789";
  static final Secret MUNGE = CloudInit.mungeKeyOf(MUNGE_RAW.getBytes(StandardCharsets.UTF_8));
  @TempDir Path tmp;

  static Path recipe() {
    try {
      return Path.of(CloudInitTest.class.getResource("/fixtures/batch-shipyard/recipe-slurm-nfs").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static ClusterConfig load(Path dir) {
    VmSizeCatalog catalog = VmSizeCatalog.shipped();
    return new ConfigLoader(name -> catalog.find(name).isPresent()).loadDirectory(dir).config();
  }

  /** The recipe with accounting on (its slurm.yaml plus a slipway: section), copied into {@code dir}. */
  static ClusterConfig recipeWithAccounting(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(recipe())) {
      for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName().toString()));
    }
    Files.writeString(dir.resolve("slurm.yaml"), Files.readString(dir.resolve("slurm.yaml")) + "slipway:\n  accounting: true\n");
    return load(dir);
  }

  /** A fixed key (test resources, made by DaemonIdentity.loadOrCreate) so that the golden files stay the same. */
  static final DaemonIdentity DAEMON = DaemonIdentity.load(Path.of("src/test/resources/bootstrap/daemon-tls"));

  static BootstrapInputs inputs(ClusterConfig config) {
    return new BootstrapInputs(config, MUNGE, Map.of("slurmpool", Secret.of("join-token-of-slurmpool")), DAEMON,
        Map.of("slurm.yaml", "slurm:\n  cluster_id: myslurmcluster\n", "credentials.yaml", "credentials: {}\n"),
        List.of("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBfakekeyfortest shipyard@example"),
        "https://example.blob.core.windows.net/slipway/slipway.jar?sv=2025&sig=SECRET",
        Map.of("nfs", List.of("10.0.1.4")),
        Optional.of(new BootstrapInputs.AzureFilesShare("mystorageaccount", Secret.of("STORAGEKEY=="), "shipyardslurm", "core.windows.net")),
        Optional.of("#!/bin/sh\necho controller prep\n"), Optional.of("#!/bin/sh\necho login prep\n"));
  }

  static Stream<Arguments> roles() {
    return Stream.of(Arguments.of("recipe", Role.controller(0)), Arguments.of("recipe", Role.login(0)),
        Arguments.of("recipe-accounting", Role.controller(0)));
  }

  String render(String fixture, Role role) throws IOException {
    ClusterConfig c = fixture.equals("recipe") ? load(recipe()) : recipeWithAccounting(Files.createDirectories(tmp.resolve(fixture)));
    return CloudInit.render(inputs(c), role);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("roles")
  void render_matchesTheGoldenFile(String fixture, Role role) throws Exception {
    String rendered = render(fixture, role);
    String name = fixture + "-" + role.kind().name().toLowerCase() + role.index() + ".yaml";
    Path golden = Path.of("src/test/resources/bootstrap").resolve(name);
    if (Boolean.getBoolean("slipway.updateGolden")) Files.writeString(golden, rendered);
    assertThat(Files.exists(golden)).as("golden file " + golden + " (create with -Dslipway.updateGolden=true)").isTrue();
    assertThat(rendered).isEqualTo(Files.readString(golden));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("roles")
  void render_isValidForTheRealCloudInitSchema(String fixture, Role role) throws Exception {
    Path file = tmp.resolve("user-data.yaml");
    Files.writeString(file, render(fixture, role));
    Optional<Path> tool = Stream.of("/usr/bin/cloud-init", "/usr/local/bin/cloud-init").map(Path::of).filter(Files::isExecutable).findFirst();
    if (tool.isEmpty()) {
      if (System.getenv("CI") != null) fail("cloud-init is not installed; CI must install the Debian package cloud-init");
      Assumptions.abort("cloud-init is not installed (apt-get install -y --no-install-recommends cloud-init); skipped outside CI only");
    }
    Process p = new ProcessBuilder(tool.get().toString(), "schema", "--config-file", file.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("Valid cloud-config");
  }

  @Test
  void theSchemaCheck_rejectsABrokenDocument_soTheValidTestsCanFail() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/cloud-init")) || System.getenv("CI") != null);
    Path file = tmp.resolve("bad.yaml");
    Files.writeString(file, render("recipe", Role.controller(0)).replace("permissions: '0400'", "permissions: 400"));
    Process p = new ProcessBuilder("cloud-init", "schema", "--config-file", file.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isNotZero();
  }

  @Test
  void mungeKey_isADeferredWriteFile_0400OwnedByMunge_andOnNoCommand() throws Exception {
    String text = render("recipe", Role.controller(0));
    JsonNode doc = new YAMLMapper().readTree(text);
    JsonNode key = find(doc, "/etc/munge/munge.key");

    assertThat(key.path("permissions").asText()).isEqualTo("0400");
    assertThat(key.path("owner").asText()).isEqualTo("munge:munge");
    assertThat(key.path("defer").asBoolean()).isTrue();
    assertThat(key.path("encoding").asText()).isEqualTo("b64");
    assertThat(new String(Base64.getDecoder().decode(key.path("content").asText()), StandardCharsets.UTF_8)).isEqualTo(MUNGE_RAW);
    String script = find(doc, CloudInit.BOOTSTRAP_SCRIPT).path("content").asText();
    for (String secret : List.of(MUNGE.reveal(), "join-token-of-slurmpool", "STORAGEKEY==", "sig=SECRET")) {
      assertThat(script).doesNotContain(secret);
      assertThat(doc.path("runcmd").toString()).doesNotContain(secret);
    }
    for (JsonNode f : doc.path("write_files")) {
      // 0444: the daemon's certificate, public and read-only
      assertThat(f.path("permissions").asText()).as(f.path("path").asText()).matches("0[0-7][0-7]0|0[0-7]00|0644|0755|0444");
    }
  }

  @Test
  void controller_getsSlurmConfStateOnTheSharedVolumeTheDaemonAndItsSecrets() throws Exception {
    JsonNode doc = new YAMLMapper().readTree(render("recipe", Role.controller(0)));

    assertThat(find(doc, "/etc/slurm/slurm.conf").path("content").asText())
        .contains("SlurmctldHost=myslurmcluster-controller-vm000").contains("StateSaveLocation=/shared/.slurmctld_state");
    assertThat(doc.path("packages").toString()).contains("slurmctld").contains("munge").contains("nfs-common").contains("cifs-utils")
        .doesNotContain("mariadb");
    assertThat(find(doc, "/var/lib/slipway/myslurmcluster/secrets/join-token-slurmpool").path("permissions").asText()).isEqualTo("0400");
    assertThat(find(doc, "/etc/slipway/credentials.yaml").path("permissions").asText()).isEqualTo("0600");
    assertThat(find(doc, "/etc/systemd/system/slipway-daemon.service").path("content").asText())
        .contains("ExecStart=/usr/bin/java -jar /opt/slipway/slipway.jar daemon -c /etc/slipway");
    String script = find(doc, CloudInit.BOOTSTRAP_SCRIPT).path("content").asText();
    assertThat(script).contains("10.0.1.4:/shared /shared nfs _netdev,auto,nfsvers=4,intr,noatime,nodiratime 0 0")
        .contains("//mystorageaccount.file.core.windows.net/shipyardslurm /azfile-slurm cifs")
        .contains("--log '/azfile-slurm/myslurmcluster/slurm/logs/power-myslurmcluster-controller-vm000.log'")
        .contains("systemctl enable --now slipway-daemon.service")
        .contains("/opt/slipway/bootstrap/additional-prep.sh");
    assertThat(script.indexOf("mount '/shared'")).isLessThan(script.indexOf("systemctl restart slurmctld"));
    JsonNode users = doc.path("users").get(1);
    assertThat(users.path("name").asText()).isEqualTo("shipyard");
    assertThat(users.path("ssh_authorized_keys").get(0).asText()).startsWith("ssh-ed25519 ");
  }

  @Test
  void withTheLogShare_daemonAndSlurmdLogOnTheShare_andTheDaemonGetsTheNodesMountAndCredentialsInRootOnlyFiles() throws Exception {
    ClusterConfig c = load(recipe());
    BootstrapInputs in = inputs(c);
    AzureLogLayout logs = new AzureLogLayout("myslurmcluster", true);
    JsonNode doc = new YAMLMapper().readTree(CloudInit.render(in, Role.controller(0)));

    assertThat(find(doc, "/etc/systemd/system/slipway-daemon.service").path("content").asText())
        .contains("StandardOutput=append:" + logs.daemonLog("myslurmcluster-controller-vm000") + "\n")
        .contains("RequiresMountsFor=/azfile-slurm\n");
    assertThat(find(doc, "/etc/slurm/slurm.conf").path("content").asText())
        .contains("SlurmdLogFile=" + logs.slurmdLogPattern() + "\n").contains("SlurmctldLogFile=" + logs.slurmctldLog() + "\n");
    JsonNode mounts = find(doc, "/var/lib/slipway/myslurmcluster/secrets/" + CloudInit.NODE_MOUNTS_FILE);
    assertThat(mounts.path("content").asText()).isEqualTo(CloudInit.computeShareMount(in.logShare().orElseThrow()) + "\n")
        .contains(" /azfile-slurm cifs ").contains("credentials=" + NodeStartTask.NODE_DIR + "/secrets/" + CloudInit.NODE_SHARE_CREDENTIALS + ",");
    JsonNode creds = find(doc, "/var/lib/slipway/myslurmcluster/secrets/" + CloudInit.NODE_SECRET_PREFIX + CloudInit.NODE_SHARE_CREDENTIALS);
    assertThat(creds.path("content").asText()).isEqualTo("username=mystorageaccount\npassword=STORAGEKEY==\n");
    assertThat(List.of(mounts.path("permissions").asText(), creds.path("permissions").asText())).containsOnly("0400");
    assertThat(find(doc, CloudInit.BOOTSTRAP_SCRIPT).path("content").asText()).doesNotContain("STORAGEKEY");
    assertThat(new YAMLMapper().readTree(CloudInit.render(in, Role.login(0))).path("write_files").toString()).doesNotContain("node-secret");
  }

  @Test
  void withoutTheLogShare_everyLogStaysOnItsMachine_andNodesMountNothingOfOurs() throws Exception {
    BootstrapInputs shared = inputs(load(recipe()));
    BootstrapInputs in = new BootstrapInputs(shared.config(), shared.mungeKey(), shared.joinTokens(), shared.daemonIdentity(), shared.slipwayFiles(),
        shared.clusterUserKeys(), shared.slipwayJarUrl(), shared.fileServers(), Optional.empty(), shared.controllerPrepScript(),
        shared.loginPrepScript());
    JsonNode doc = new YAMLMapper().readTree(CloudInit.render(in, Role.controller(0)));

    assertThat(find(doc, "/etc/systemd/system/slipway-daemon.service").path("content").asText())
        .contains("StandardOutput=append:" + CloudInit.DAEMON_LOG + "\n").doesNotContain("RequiresMountsFor");
    assertThat(find(doc, "/etc/slurm/slurm.conf").path("content").asText()).contains("SlurmdLogFile=/var/log/slurm/slurmd-%n.log\n");
    assertThat(doc.path("write_files").toString()).doesNotContain("node-mounts").doesNotContain("node-secret").doesNotContain("azfile");
  }

  @Test
  void clusterUser_hasTheUidComputeNodesGiveIt() throws Exception {
    JsonNode users = new YAMLMapper().readTree(render("recipe", Role.login(0))).path("users").get(1);

    assertThat(users.path("uid").asInt()).isEqualTo(ClusterUser.UID);
  }

  @Test
  void login_getsClientsAndMungeButNoSlurmctldDaemonOrSecretsOfTheDaemon() throws Exception {
    JsonNode doc = new YAMLMapper().readTree(render("recipe", Role.login(0)));

    assertThat(doc.path("packages").toString()).contains("slurm-client").doesNotContain("slurmctld").doesNotContain("jre");
    assertThat(doc.path("write_files").toString()).doesNotContain("join-token").doesNotContain("/etc/slipway/").contains("/etc/munge/munge.key");
    assertThat(find(doc, CloudInit.BOOTSTRAP_SCRIPT).path("content").asText()).doesNotContain("slurmctld").doesNotContain("slipway.jar")
        .contains("additional-prep.sh");
    assertThat(find(doc, "/opt/slipway/bootstrap/additional-prep.sh").path("content").asText()).contains("login prep");
  }

  @Test
  void controllers_getTheDaemonsTlsKeyRootOnly_andItsPublicCertificate_loginNodesNeither() throws Exception {
    JsonNode doc = new YAMLMapper().readTree(render("recipe", Role.controller(0)));
    JsonNode key = find(doc, "/var/lib/slipway/myslurmcluster/secrets/daemon-tls.key");
    JsonNode cert = find(doc, "/var/lib/slipway/myslurmcluster/secrets/daemon-tls.crt");

    assertThat(key.path("permissions").asText()).isEqualTo("0400");
    assertThat(key.path("owner").asText()).isEqualTo("root:root");
    assertThat(key.path("content").asText()).isEqualTo(DAEMON.keyPem().reveal());
    assertThat(cert.path("permissions").asText()).isEqualTo("0444");
    assertThat(cert.path("content").asText()).isEqualTo(DAEMON.certificatePem());
    // what the daemon will load from these files is the key the pools pin
    Path secrets = java.nio.file.Files.createDirectories(tmp.resolve("secrets"));
    java.nio.file.Files.writeString(secrets.resolve("daemon-tls.key"), key.path("content").asText());
    java.nio.file.Files.writeString(secrets.resolve("daemon-tls.crt"), cert.path("content").asText());
    assertThat(DaemonIdentity.load(secrets).pin()).isEqualTo(DAEMON.pin());
    String keyBody = DAEMON.keyPem().reveal().lines().skip(1).findFirst().orElseThrow();
    assertThat(find(doc, CloudInit.BOOTSTRAP_SCRIPT).path("content").asText()).doesNotContain(keyBody);

    JsonNode login = new YAMLMapper().readTree(render("recipe", Role.login(0)));
    assertThat(login.path("write_files").toString()).doesNotContain("daemon-tls").doesNotContain(keyBody);
  }

  @Test
  void primaryWithAccounting_getsMariadbSlurmdbdAndAPasswordOnlyInRootOnlyFiles() throws Exception {
    JsonNode doc = new YAMLMapper().readTree(render("recipe-accounting", Role.controller(0)));

    assertThat(doc.path("packages").toString()).contains("slurmdbd").contains("mariadb-server");
    JsonNode dbd = find(doc, "/etc/slurm/slurmdbd.conf");
    assertThat(dbd.path("permissions").asText()).isEqualTo("0600");
    assertThat(dbd.path("owner").asText()).isEqualTo("slurm:slurm");
    assertThat(dbd.path("content").asText()).contains("StoragePass=\"<slurm db pass>\"");
    assertThat(find(doc, "/opt/slipway/bootstrap/slurmdb.sql").path("permissions").asText()).isEqualTo("0600");
    String script = find(doc, CloudInit.BOOTSTRAP_SCRIPT).path("content").asText();
    assertThat(script).contains("mysql < /opt/slipway/bootstrap/slurmdb.sql").doesNotContain("slurm db pass");
  }

  @Test
  void render_refusesARoleBeyondTheConfiguredCount_andAVolumeWithoutServer() {
    ClusterConfig c = load(recipe());
    assertThatThrownBy(() -> CloudInit.render(inputs(c), Role.controller(1))).hasMessageContaining("has 1 controller");
    BootstrapInputs noServer = new BootstrapInputs(c, MUNGE, Map.of(), DAEMON, Map.of(), List.of(), "https://x/j.jar", Map.of(), Optional.empty(),
        Optional.empty(), Optional.empty());
    assertThatThrownBy(() -> CloudInit.render(noServer, Role.login(0))).hasMessageContaining("no file server address for storage cluster 'nfs'");
  }

  @Test
  void slurmValue_escapesHashAndQuotesSpaces() {
    assertThat(CloudInit.slurmValue("a#b")).isEqualTo("a\\#b");
    assertThat(CloudInit.slurmValue("a b")).isEqualTo("\"a b\"");
  }

  private static JsonNode find(JsonNode doc, String path) {
    for (JsonNode f : doc.path("write_files")) {
      if (f.path("path").asText().equals(path)) return f;
    }
    throw new AssertionError("no write_files entry " + path);
  }
}
