package dev.slipway.cli;

import dev.slipway.tls.DaemonIdentity;
import java.security.SecureRandom;
import java.time.InstantSource;
import dev.slipway.config.Backend;
import dev.slipway.config.ClusterConfig;
import dev.slipway.engine.ClusterTopology;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code slipway hook install}: writes the wrappers slurm.conf names ({@link HookScripts}) into
 * libexec, each 0755 and replaced atomically (slurmctld may run one at that moment), and creates
 * the cluster's spool directory, where the wrappers leave their calls for the daemon. With
 * {@code --jvm} the wrappers run {@code slipway hook ...} instead, and the command creates the
 * class-data-sharing archive that makes that JVM start faster: one training run of the real resume
 * path against a throw-away store, with {@code -XX:ArchiveClassesAtExit}.
 */
@Command(name = "install", mixinStandardHelpOptions = true,
    description = "Write the power-save wrappers (slipway-resume, -suspend, -resume-fail, -prolog-slurmctld) and the CDS archive.")
final class HookInstallCommand implements Callable<Integer> {
  /** A training run longer than this is abandoned; the wrappers then run without the archive. */
  static final Duration CDS_TRAINING_TIMEOUT = Duration.ofMinutes(2);
  /** How much longer than ResumeTimeout the prolog waits before it lets the job go anyway. */
  static final Duration PROLOG_MARGIN = Duration.ofSeconds(60);

  /** sqlite-jdbc's JNI library as the jar holds it under {@code org/sqlite/native/<os>/<arch>/}. */
  static final String SQLITE_LIBRARY = "libsqlitejdbc.so";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ConfigOptions config;

  @Option(names = "--libexec", paramLabel = "DIR", description = "Where to write the wrappers (default: <cluster home>/libexec).")
  Path libexec;

  @Option(names = "--jar", paramLabel = "PATH", description = "The slipway jar the wrappers run (default: this jar).")
  Path jar;

  @Option(names = "--java-home", paramLabel = "DIR", description = "The Java the wrappers run (default: this one).")
  Path javaHome;

  @Option(names = "--log", paramLabel = "FILE", description = "The power log the wrappers append to (default: <cluster home>/logs/power.log).")
  Path log;

  @Option(names = "--wake", paramLabel = "URL",
      description = "Daemon wake-up URLs (repeatable; default https://127.0.0.1:<slipway.daemon_port>/v1/wake).")
  List<String> wakeUrls = new ArrayList<>();

  @Option(names = "--wake-pin", paramLabel = "PIN",
      description = "The daemon's TLS key pin (sha256//...) the wake-ups check (default: the pin of <cluster home>/secrets/daemon-tls.crt, "
          + "made with the cluster's other secrets when missing).")
  String wakePin;

  @Option(names = "--no-wake", description = "The hooks only record; they wake no daemon.")
  boolean noWake;

  @Option(names = "--slurm-conf", paramLabel = "FILE",
      description = "SLURM_CONF for the prolog's sinfo when slurmctld does not set it (default on the local backend: <cluster home>/etc/slurm.conf).")
  Path slurmConf;

  @Option(names = "--no-cds", description = "With --jvm: do not create the class-data-sharing archive.")
  boolean noCds;

  @Option(names = "--jvm",
      description = "Wrappers that run 'slipway hook ...' in a JVM (about 0.8 s CPU a call) instead of spooling the call for the daemon.")
  boolean jvm;

  @Option(names = "--spool", paramLabel = "DIR", hidden = true,
      description = "Where the wrappers spool calls (default: <cluster home>/spool, where the daemon imports from).")
  Path spool;

  @Override
  public Integer call() {
    ClusterConfig cfg = config.load().config();
    ClusterHome home = ClusterHome.of(cfg);
    PrintWriter out = spec.commandLine().getOut();
    Path dir = Optional.ofNullable(libexec).orElse(home.libexec()).toAbsolutePath().normalize();
    Path jarPath = Optional.ofNullable(jar).or(HookInstallCommand::runningJar).orElseThrow(() ->
        new UsageException("cannot tell which jar to run (this is not running from a jar); give --jar PATH"));
    jarPath = jarPath.toAbsolutePath().normalize();
    if (!Files.isRegularFile(jarPath)) {
      throw new UsageException("--jar " + jarPath + ": no such file");
    }
    Path java = Optional.ofNullable(javaHome).orElse(Path.of(System.getProperty("java.home"))).toAbsolutePath().normalize();
    if (!Files.isExecutable(java.resolve("bin").resolve("java"))) {
      throw new UsageException("--java-home " + java + ": there is no executable bin/java");
    }
    List<String> urls = noWake ? List.of() : wakeUrls.isEmpty() ? List.of(HookCommand.localWakeUrl(cfg)) : wakeUrls;
    urls.forEach(HookInstallCommand::checkUrl);
    Optional<String> pin = urls.stream().noneMatch(u -> u.startsWith("https://")) ? Optional.empty()
        : Optional.of(wakePin != null ? checkPin(wakePin)
            : DaemonIdentity.loadOrCreate(home.secrets(), cfg.slurm().clusterId(), new SecureRandom(), InstantSource.system()).pin());
    Optional<Path> conf = Optional.ofNullable(slurmConf).map(p -> p.toAbsolutePath().normalize())
        .or(() -> cfg.slipway().backend() == Backend.LOCAL ? Optional.of(home.etc().resolve("slurm.conf")) : Optional.empty());
    Path archive = dir.resolve(HookScripts.CDS_ARCHIVE);
    try {
      Files.createDirectories(dir);
      Optional<Path> sqliteLibrary = extractSqliteLibrary(jarPath, dir);
      if (sqliteLibrary.isEmpty()) {
        out.println("note: " + jarPath + " has no SQLite library for this system in the expected place; "
            + "the hooks will let sqlite-jdbc extract it on every call (slower)");
      }
      Optional<Path> spoolDir = jvm ? Optional.empty() : Optional.of(Optional.ofNullable(spool).orElse(home.spool()).toAbsolutePath().normalize());
      if (spoolDir.isPresent()) {
        Files.createDirectories(spoolDir.get());
      }
      boolean cds = jvm && !noCds;
      HookScripts scripts = new HookScripts(java, jarPath, config.asArguments(System::getenv),
          Optional.ofNullable(log).orElse(home.logs().resolve("power.log")).toAbsolutePath().normalize(),
          urls, cds ? Optional.of(archive) : Optional.empty(), sqliteLibrary, conf,
          cfg.slipway().resumeTimeout().plus(PROLOG_MARGIN), HookScripts.DEFAULT_PATH, spoolDir, pin);
      for (Map.Entry<String, String> script : scripts.render().entrySet()) {
        Path target = dir.resolve(script.getKey());
        writeAtomically(target, script.getValue().getBytes(StandardCharsets.UTF_8), "rwxr-xr-x");
        out.println("wrote " + target);
      }
      spoolDir.ifPresent(d -> out.println("the power-save wrappers spool calls into " + d + "; the daemon imports them"));
      if (!cds) {
        Files.deleteIfExists(archive);
      } else {
        out.println(trainCds(scripts, cfg, archive));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot install the hooks into " + dir + ": " + e.getMessage(), e);
    }
    out.flush();
    return ExitCodes.OK;
  }

  /**
   * Runs the resume hook once, as the wrapper would, against a temporary store and a wake-up URL
   * nobody listens on, and keeps the classes it loaded as a dynamic CDS archive. A failed run is
   * reported, not fatal: the wrappers work without the archive, only slower.
   */
  private String trainCds(HookScripts scripts, ClusterConfig cfg, Path archive) throws IOException {
    Optional<String> host = ClusterTopology.fromConfig(cfg.slurm().options()).hosts().stream().findFirst();
    if (host.isEmpty()) {
      return "no CDS archive: the configuration has no elastic host to train on";
    }
    Path work = Files.createTempDirectory("slipway-cds");
    try {
      Path resumeFile = work.resolve("resume.json");
      Files.writeString(resumeFile, "{\"all_nodes_resume\":\"" + host.get() + "\",\"jobs\":[{\"job_id\":1,\"nodes_resume\":\""
          + host.get() + "\"}]}");
      Path trained = work.resolve(HookScripts.CDS_ARCHIVE);
      List<String> command = new ArrayList<>(scripts.javaCommand("resume"));
      command.removeIf(a -> a.equals("--no-wake"));
      int wakeAt = command.indexOf("--wake");
      while (wakeAt >= 0) { // the training run must not wake the real daemon
        command.remove(wakeAt);
        command.remove(wakeAt);
        wakeAt = command.indexOf("--wake");
      }
      command.add(1, "-XX:ArchiveClassesAtExit=" + trained);
      command.addAll(List.of("--wake", "http://127.0.0.1:9/v1/wake", "--store-file", work.resolve("train.db").toString(),
          "--resume-file", resumeFile.toString(), "--", host.get()));
      Path output = work.resolve("training.log");
      long started = System.nanoTime();
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
      boolean finished;
      try {
        finished = p.waitFor(CDS_TRAINING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        finished = false;
      }
      if (!finished) {
        p.destroyForcibly();
        return "no CDS archive: the training run took longer than " + CDS_TRAINING_TIMEOUT.toSeconds() + " s";
      }
      if (p.exitValue() != 0 || !Files.isRegularFile(trained)) {
        String last = Files.readAllLines(output).stream().reduce((a, b) -> b).orElse("no output");
        return "no CDS archive: the training run exited " + p.exitValue() + ": " + last;
      }
      writeAtomically(archive, Files.readAllBytes(trained), "rw-r--r--");
      return "wrote " + archive + " (class-data-sharing archive, training run " + (System.nanoTime() - started) / 1_000_000 + " ms)";
    } finally {
      try (Stream<Path> files = Files.walk(work)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /**
   * Copies sqlite-jdbc's JNI library for this system out of {@code jar} into {@code dir}/native,
   * where the wrappers point sqlite-jdbc at it. Empty when the jar does not have one there.
   */
  static Optional<Path> extractSqliteLibrary(Path jar, Path dir) throws IOException {
    String folder = org.sqlite.util.OSInfo.getNativeLibFolderPathForCurrentOS();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      ZipEntry entry = zip.getEntry("org/sqlite/native/" + folder + "/" + SQLITE_LIBRARY);
      if (entry == null) {
        return Optional.empty();
      }
      Path target = dir.resolve("native").resolve(SQLITE_LIBRARY);
      Files.createDirectories(target.getParent());
      try (InputStream in = zip.getInputStream(entry)) {
        writeAtomically(target, in.readAllBytes(), "rwxr-xr-x");
      }
      return Optional.of(target);
    }
  }

  /** Writes a sibling temporary file, sets its mode, and renames it over {@code target}. */
  static void writeAtomically(Path target, byte[] content, String mode) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
    try {
      Files.write(tmp, content);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(mode));
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static String checkPin(String pin) {
    try {
      return DaemonIdentity.requirePin(pin);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--wake-pin: " + e.getMessage());
    }
  }

  private static void checkUrl(String url) {
    try {
      URI uri = new URI(url);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new UsageException("--wake " + url + ": not an http(s) URL with a host");
      }
    } catch (URISyntaxException e) {
      throw new UsageException("--wake " + url + ": " + e.getMessage());
    }
  }

  /** The jar this JVM runs from, if it runs from one. */
  static Optional<Path> runningJar() {
    try {
      Path p = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? Optional.of(p) : Optional.empty();
    } catch (URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
