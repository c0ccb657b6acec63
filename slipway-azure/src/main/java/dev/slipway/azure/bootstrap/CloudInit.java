package dev.slipway.azure.bootstrap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.slipway.tls.DaemonIdentity;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.RemoteFsSpec;
import dev.slipway.config.SharedVolume;
import dev.slipway.model.Secret;
import dev.slipway.slurm.RenderedSlurmConf;
import dev.slipway.slurm.SlurmConfRenderer;
import dev.slipway.slurm.SlurmLayout;
import dev.slipway.slurm.VmSizeCatalog;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Renders the cloud-init user data ({@code #cloud-config}) of controller and login VMs: Slurm and
 * munge from the distribution, slurmdbd and MariaDB on the primary controller when accounting is
 * on, the munge key and slurm.conf as {@code write_files}, shared file systems, the cluster user,
 * the slipway daemon as a systemd unit, and the node group's {@code additional_prep_script}.
 *
 * <p>Secrets: the munge key, join tokens, database password, storage key and the files under
 * {@value #SLIPWAY_ETC} are {@code write_files} entries with mode 0400/0600, never arguments of a
 * command. Azure stores custom data on the VM where only root reads it
 * ({@code /var/lib/waagent/ovf-env.xml}, {@code /var/lib/cloud/instance/user-data.txt}, mode 0600).
 * Files owned by users the packages create (munge, slurm) use {@code defer: true}, so they are
 * written after the packages are installed, when those users exist.
 *
 * <p>Order on the VM (cloud-init's final stage): packages, deferred files, then
 * {@value #BOOTSTRAP_SCRIPT}: mounts (retried for 5 minutes), munge, state directory, MariaDB and
 * slurmdbd (primary), slurmctld (controllers), slipway (controllers), additional prep script.
 */
public final class CloudInit {
  public static final String SLIPWAY_ETC = "/etc/slipway";
  public static final String SLIPWAY_HOME = "/opt/slipway";
  public static final String SLIPWAY_JAR = SLIPWAY_HOME + "/slipway.jar";
  public static final String BOOTSTRAP_SCRIPT = SLIPWAY_HOME + "/bootstrap/bootstrap.sh";
  public static final String AZFILE_MOUNT = AzureLogLayout.SHARE_MOUNT;
  /** The daemon's log without a log share; with one it is {@link AzureLogLayout#daemonLog} on the share. */
  public static final String DAEMON_LOG = "/var/log/slipway/daemon.log";
  /**
   * Name of the share's credentials among the secrets joining compute nodes receive: the daemon
   * hands {@code <secrets>/node-secret-azfile} out in the join response, the node writes it to
   * {@code <node dir>/secrets/azfile} (0600), and its cifs mount line names that file.
   */
  public static final String NODE_SHARE_CREDENTIALS = "azfile";
  /** In the daemon's secrets directory: the fstab lines joining nodes mount (the CLI's NodeMounts reads it). */
  public static final String NODE_MOUNTS_FILE = "node-mounts";
  /** In the daemon's secrets directory: {@code node-secret-<name>}, a secret file joining nodes write. */
  public static final String NODE_SECRET_PREFIX = "node-secret-";
  public static final String DAEMON_UNIT = "slipway-daemon.service";
  private static final String SLURM_ETC = "/etc/slurm";
  private static final String MUNGE_KEY = "/etc/munge/munge.key";

  private CloudInit() {}

  /** The {@code #cloud-config} document for {@code role}. */
  public static String render(BootstrapInputs in, Role role) {
    ClusterConfig config = in.config();
    int count = role.kind() == Role.Kind.CONTROLLER ? config.slurm().controller().vmCount() : config.slurm().login().vmCount();
    if (role.index() >= count) {
      throw new IllegalArgumentException(role + " but the configuration has " + count + " " + role.kind().name().toLowerCase() + " VM(s)");
    }
    boolean controller = role.kind() == Role.Kind.CONTROLLER;
    boolean accounting = role.isPrimaryController() && config.slipway().accounting();
    // slurmd's logs on the share outlive the Batch node that wrote them (AzureLogLayout).
    SlurmLayout layout = SlurmLayout.forAzure(config).withSlurmdLogFile(java.nio.file.Path.of(logLayout(in).slurmdLogPattern()));
    RenderedSlurmConf conf = new SlurmConfRenderer(VmSizeCatalog.shipped().withDeclared(config.slipway().vmSizes())).render(config, layout);
    List<Mount> mounts = mounts(in);

    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("package_update", true);
    doc.put("packages", packages(controller, accounting, mounts));
    doc.put("users", users(in));
    List<Map<String, Object>> files = new ArrayList<>();
    // Deferred: owned by users the packages create, or replacing files the packages install.
    files.add(file(MUNGE_KEY, in.mungeKey().reveal(), "munge:munge", "0400", true, true));
    for (Map.Entry<String, String> f : new TreeMap<>(conf.files()).entrySet()) {
      files.add(file(SLURM_ETC + "/" + f.getKey(), f.getValue(), "root:root", "0644", false, true));
    }
    if (accounting) {
      Secret password = config.credentials().flatMap(c -> c.slurmDbPassword()).orElseThrow(() ->
          new IllegalArgumentException("accounting is on but credentials.yaml has no slurm.db_password"));
      files.add(file(SLURM_ETC + "/slurmdbd.conf", slurmdbdConf(config, layout, password), "slurm:slurm", "0600", false, true));
      files.add(file(SLIPWAY_HOME + "/bootstrap/slurmdb.sql", slurmdbSql(password), "root:root", "0600", false, false));
    }
    in.logShare().ifPresent(s -> files.add(file("/root/.azfile_creds", shareCredentials(s), "root:root", "0600", false, false)));
    if (controller) {
      for (Map.Entry<String, String> f : new TreeMap<>(in.slipwayFiles()).entrySet()) {
        files.add(file(SLIPWAY_ETC + "/" + f.getKey(), f.getValue(), "root:root", "0600", false, false));
      }
      String secrets = slipwayHome(config) + "/secrets";
      files.add(file(secrets + "/munge.key", in.mungeKey().reveal(), "root:root", "0400", true, false));
      for (Map.Entry<String, Secret> t : new TreeMap<>(in.joinTokens()).entrySet()) {
        files.add(file(secrets + "/join-token-" + t.getKey(), t.getValue().reveal() + "\n", "root:root", "0400", false, false));
      }
      // The daemon's TLS key, like the munge key root-only; its certificate is public (the pools carry its pin).
      files.add(file(secrets + "/" + DaemonIdentity.KEY_FILE, in.daemonIdentity().keyPem().reveal(), "root:root", "0400", false, false));
      files.add(file(secrets + "/" + DaemonIdentity.CERTIFICATE_FILE, in.daemonIdentity().certificatePem(), "root:root", "0444", false, false));
      files.add(file(SLIPWAY_HOME + "/bootstrap/jar.curlrc", "url = \"" + curlQuote(in.slipwayJarUrl()) + "\"\noutput = \"" + SLIPWAY_JAR + "\"\n",
          "root:root", "0600", false, false));
      String host = SlurmLayout.controllerNames(config.slurm().clusterId(), role.index() + 1).get(role.index());
      files.add(file("/etc/systemd/system/" + DAEMON_UNIT, daemonUnit(logLayout(in).daemonLog(host), in.logShare().isPresent()),
          "root:root", "0644", false, false));
      // What joining compute nodes mount, for the daemon's join response (NodeMounts in the CLI):
      // the share's key stays in root-only files here and reaches a node only over its join call.
      in.logShare().ifPresent(share -> {
        files.add(file(secrets + "/" + NODE_MOUNTS_FILE, computeShareMount(share) + "\n", "root:root", "0400", false, false));
        files.add(file(secrets + "/" + NODE_SECRET_PREFIX + NODE_SHARE_CREDENTIALS, shareCredentials(share), "root:root", "0400", false, false));
      });
    }
    Optional<String> prep = controller ? in.controllerPrepScript() : in.loginPrepScript();
    prep.ifPresent(p -> files.add(file(SLIPWAY_HOME + "/bootstrap/additional-prep.sh", p, "root:root", "0700", false, false)));
    files.add(file(BOOTSTRAP_SCRIPT, bootstrapScript(in, role, layout, mounts, accounting, prep.isPresent()), "root:root", "0700", false, false));
    doc.put("write_files", files);
    doc.put("runcmd", List.of(List.of("/bin/sh", BOOTSTRAP_SCRIPT)));
    try {
      YAMLMapper yaml = new YAMLMapper(YAMLFactory.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
          .build());
      return "#cloud-config\n" + yaml.writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write cloud-config", e);
    }
  }

  /** One fstab line and the directory it mounts. */
  record Mount(String fstab, String path, String type) {}

  static List<Mount> mounts(BootstrapInputs in) {
    ClusterConfig config = in.config();
    List<Mount> out = new ArrayList<>();
    for (SharedVolume v : config.slurm().sharedDataVolumes()) {
      RemoteFsSpec.StorageCluster sc = config.remoteFs().map(r -> r.storageClusters().get(v.id())).orElseThrow(() ->
          new IllegalArgumentException("shared data volume '" + v.id() + "' is not a storage cluster of fs.yaml"));
      List<String> servers = in.fileServers().getOrDefault(v.id(), List.of());
      if (servers.isEmpty()) throw new IllegalArgumentException("no file server address for storage cluster '" + v.id() + "'");
      String extra = sc.mountOptions().isEmpty() ? "" : "," + String.join(",", sc.mountOptions());
      switch (sc.type()) {
        case "nfs" -> out.add(new Mount(servers.get(0) + ":" + sc.mountpoint() + " " + v.mountPath()
            + " nfs _netdev,auto,nfsvers=4,intr" + extra + " 0 0", v.mountPath(), "nfs"));
        case "glusterfs" -> out.add(new Mount(servers.get(0) + ":/gv0 " + v.mountPath() + " glusterfs _netdev,auto,transport=tcp"
            + (servers.size() > 1 ? ",backupvolfile-server=" + servers.get(1) : "") + extra + " 0 0", v.mountPath(), "glusterfs"));
        default -> throw new IllegalArgumentException("storage cluster '" + v.id() + "' has file server type '" + sc.type()
            + "'; Slipway mounts nfs and glusterfs");
      }
    }
    in.logShare().ifPresent(s -> out.add(new Mount(shareMount(s, "/root/.azfile_creds"), AZFILE_MOUNT, "cifs")));
    return out;
  }

  /** The share's fstab line on a compute node, naming the credentials file slipway-node-join writes. */
  public static String computeShareMount(BootstrapInputs.AzureFilesShare share) {
    return shareMount(share, dev.slipway.azure.pools.NodeStartTask.NODE_DIR + "/secrets/" + NODE_SHARE_CREDENTIALS);
  }

  private static String shareMount(BootstrapInputs.AzureFilesShare s, String credentialsFile) {
    return "//" + s.account() + ".file." + s.endpointSuffix() + "/" + s.share() + " " + AZFILE_MOUNT
        + " cifs vers=3.0,credentials=" + credentialsFile + ",uid=slurm,gid=slurm,file_mode=0660,dir_mode=0770,serverino,_netdev 0 0";
  }

  /** mount.cifs's credentials file: the storage account and its key. */
  private static String shareCredentials(BootstrapInputs.AzureFilesShare s) {
    return "username=" + s.account() + "\npassword=" + s.accountKey().reveal() + "\n";
  }

  private static List<String> packages(boolean controller, boolean accounting, List<Mount> mounts) {
    List<String> p = new ArrayList<>(List.of("munge", "slurm-client", "curl"));
    if (controller) p.addAll(List.of("slurmctld", "default-jre-headless"));
    if (accounting) p.addAll(List.of("slurmdbd", "mariadb-server"));
    if (mounts.stream().anyMatch(m -> m.type().equals("nfs"))) p.add("nfs-common");
    if (mounts.stream().anyMatch(m -> m.type().equals("glusterfs"))) p.add("glusterfs-client");
    if (mounts.stream().anyMatch(m -> m.type().equals("cifs"))) p.add("cifs-utils");
    return p;
  }

  private static List<Object> users(BootstrapInputs in) {
    Map<String, Object> user = new LinkedHashMap<>();
    user.put("name", in.config().slurm().login().ssh().username());
    user.put("shell", "/bin/bash");
    user.put("sudo", "ALL=(ALL) NOPASSWD:ALL");
    // The same uid as on compute nodes (their start task creates the user), so jobs and shared files have one owner.
    user.put("uid", dev.slipway.azure.pools.ClusterUser.UID);
    user.put("lock_passwd", true);
    if (!in.clusterUserKeys().isEmpty()) user.put("ssh_authorized_keys", in.clusterUserKeys());
    return List.of("default", user);
  }

  private static Map<String, Object> file(String path, String content, String owner, String mode, boolean base64, boolean defer) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("path", path);
    if (base64) {
      f.put("encoding", "b64");
      f.put("content", content);
    } else {
      f.put("content", content);
    }
    f.put("owner", owner);
    f.put("permissions", mode);
    if (defer) f.put("defer", true);
    return f;
  }

  /** The daemon's cluster home on the VM: slipway.local.state_dir, or /var/lib/slipway/&lt;cluster_id&gt; as the CLI's ClusterHome. */
  static String slipwayHome(ClusterConfig config) {
    return config.slipway().local().stateDir().orElse("/var/lib/slipway/" + config.slurm().clusterId());
  }

  /** Where this cluster's logs go (the Azure Files share when one is given). */
  static AzureLogLayout logLayout(BootstrapInputs in) {
    return new AzureLogLayout(in.config().slurm().clusterId(), in.logShare().isPresent());
  }

  /** Batch Shipyard kept power-save logs on the Azure Files share; so does Slipway when one is given. */
  static String powerLog(BootstrapInputs in, String host) {
    return logLayout(in).powerLog(host);
  }

  /** The daemon's unit; with the log share its log is there, so the unit waits for the mount. */
  private static String daemonUnit(String logFile, boolean shared) {
    List<String> unit = new ArrayList<>(List.of(
        "[Unit]",
        "Description=Slipway daemon: grows and shrinks Batch pools for Slurm power saving",
        "After=network-online.target munge.service",
        "Wants=network-online.target"));
    if (shared) unit.add("RequiresMountsFor=" + AZFILE_MOUNT);
    unit.addAll(List.of(
        "",
        "[Service]",
        "ExecStart=/usr/bin/java -jar " + SLIPWAY_JAR + " daemon -c " + SLIPWAY_ETC,
        "Restart=always",
        "RestartSec=5",
        "StandardOutput=append:" + logFile,
        "StandardError=append:" + logFile,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        ""));
    return String.join("\n", unit);
  }

  private static String slurmdbdConf(ClusterConfig config, SlurmLayout layout, Secret password) {
    return String.join("\n",
        "# slurmdbd.conf rendered by Slipway (mode 0600: it holds the database password)",
        "AuthType=auth/munge",
        "DbdHost=localhost",
        "DbdPort=" + layout.accounting().port(),
        "SlurmUser=slurm",
        "LogFile=" + layout.logDir().resolve("slurmdbd.log"),
        "PidFile=/run/slurmdbd.pid",
        "StorageType=accounting_storage/mysql",
        "StorageHost=localhost",
        "StorageUser=slurm",
        "StoragePass=" + slurmValue(password.reveal()),
        "StorageLoc=slurm_acct_db",
        "");
  }

  private static String slurmdbSql(Secret password) {
    String p = password.reveal().replace("\\", "\\\\").replace("'", "\\'");
    return "CREATE DATABASE IF NOT EXISTS slurm_acct_db;\n"
        + "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '" + p + "';\n"
        + "ALTER USER 'slurm'@'localhost' IDENTIFIED BY '" + p + "';\n"
        + "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';\n"
        + "FLUSH PRIVILEGES;\n";
  }

  /** A value Slurm's parser reads back unchanged (Batch Shipyard's bug 42 cut passwords at '#'). */
  static String slurmValue(String raw) {
    if (raw.isEmpty() || raw.chars().anyMatch(Character::isISOControl) || raw.contains("\"")) {
      throw new IllegalArgumentException("the database password must be non-empty without control characters or double quotes");
    }
    String escaped = raw.replace("\\", "\\\\").replace("#", "\\#");
    return raw.chars().anyMatch(Character::isWhitespace) ? "\"" + escaped + "\"" : escaped;
  }

  private static String curlQuote(String s) {
    if (s.chars().anyMatch(Character::isISOControl)) throw new IllegalArgumentException("the jar URL contains control characters");
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private static String bootstrapScript(BootstrapInputs in, Role role, SlurmLayout layout, List<Mount> mounts, boolean accounting, boolean prep) {
    ClusterConfig config = in.config();
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/sh\n")
        .append("# Slipway bootstrap of ").append(role.kind().name().toLowerCase()).append(' ').append(role.index())
        .append(" of cluster ").append(config.slurm().clusterId()).append(" (rendered by CloudInit; see docs/azure-bootstrap.md)\n")
        .append("set -eu\n")
        .append("log() { echo \"slipway-bootstrap: $*\"; }\n")
        .append("retry() { n=$1; shift; i=0; until \"$@\"; do i=$((i+1)); [ \"$i\" -ge \"$n\" ] && return 1; sleep 5; done; }\n")
        .append("install -d -m 0755 /var/log/slipway\n");
    if (!mounts.isEmpty()) s.append("# shared file systems (each retried for 5 minutes)\n");
    for (Mount m : mounts) {
      s.append("mkdir -p ").append(shellQuote(m.path())).append('\n')
          .append("grep -qsF ").append(shellQuote(m.fstab())).append(" /etc/fstab || echo ").append(shellQuote(m.fstab())).append(" >> /etc/fstab\n")
          .append("retry 60 sh -c ").append(shellQuote("mountpoint -q '" + m.path() + "' || mount '" + m.path() + "'"))
          .append(" || { log 'cannot mount ").append(m.path()).append("'; exit 1; }\n");
    }
    if (in.logShare().isPresent()) {
      s.append("install -d -o slurm -g slurm -m 0770 ").append(shellQuote(logLayout(in).sharedDir())).append('\n');
    }
    s.append("# munge with the cluster's key (written by write_files)\n")
        .append("systemctl enable munge\nsystemctl restart munge\n")
        .append("install -d -o slurm -g slurm -m 0755 ").append(layout.logDir()).append(" /var/spool/slurm\n");
    if (role.kind() == Role.Kind.CONTROLLER) {
      s.append("# slurmctld state on the shared volume, so a backup controller takes over where the primary stopped\n")
          .append("install -d -o slurm -g slurm -m 0750 ").append(shellQuote(layout.stateSaveLocation().toString())).append('\n');
      if (accounting) {
        s.append("# accounting: MariaDB and slurmdbd on the primary controller\n")
            .append("systemctl enable --now mariadb\n")
            .append("mysql < ").append(SLIPWAY_HOME).append("/bootstrap/slurmdb.sql\n")
            .append("systemctl enable slurmdbd\nsystemctl restart slurmdbd\n")
            .append("retry 30 sacctmgr -i add cluster ").append(SlurmConfRenderer.clusterName(config.slurm().clusterId())).append(" || true\n");
      }
      s.append("systemctl enable slurmctld\nsystemctl restart slurmctld\n")
          .append("# the slipway daemon: jar (URL in a root-only curl config), power-save hooks, systemd unit\n")
          .append("chmod 0700 ").append(shellQuote(slipwayHome(config) + "/secrets")).append('\n')
          .append("install -d -m 0755 ").append(SLIPWAY_HOME).append(" ").append(SlurmLayout.AZURE_LIBEXEC).append('\n')
          .append("retry 12 curl -fsSL --config ").append(SLIPWAY_HOME).append("/bootstrap/jar.curlrc\n")
          .append("java -jar ").append(SLIPWAY_JAR).append(" hook install -c ").append(SLIPWAY_ETC)
          .append(" --libexec ").append(SlurmLayout.AZURE_LIBEXEC).append(" --jar ").append(SLIPWAY_JAR)
          .append(" --log ").append(shellQuote(powerLog(in, SlurmLayout.controllerNames(config.slurm().clusterId(), role.index() + 1).get(role.index()))))
          .append('\n')
          .append("systemctl daemon-reload\nsystemctl enable --now ").append(DAEMON_UNIT).append('\n');
    }
    if (prep) {
      s.append("# additional_prep_script of the ").append(role.kind().name().toLowerCase()).append(" group\n")
          .append(SLIPWAY_HOME).append("/bootstrap/additional-prep.sh\n");
    }
    s.append("log done\n");
    return s.toString();
  }

  /** The munge key as base64, from raw bytes (what {@link BootstrapInputs#mungeKey} holds). */
  public static Secret mungeKeyOf(byte[] raw) {
    return Secret.of(Base64.getEncoder().encodeToString(raw));
  }
}
