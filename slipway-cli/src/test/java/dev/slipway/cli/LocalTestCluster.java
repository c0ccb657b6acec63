package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One real local cluster for a real-cluster IT, made and destroyed through the shaded jar as a user
 * would: its own temporary directory, a random cluster id, /24 and daemon port (several helpers run
 * such clusters on this machine at once), the login namespace to run Slurm commands in, waits that
 * poll real state once a second with a deadline, and a teardown that deletes the namespaces and the
 * directory even when {@code cluster destroy} failed or never ran.
 *
 * <p>Typical use: {@link #requireMachine} in {@code @BeforeAll}, then {@link #configure} (nothing to
 * clean up yet), assign the result to a field, {@link #create}; {@link #close} in {@code @AfterAll}.
 */
final class LocalTestCluster implements AutoCloseable {
  static final CommandRunner RUNNER = new ProcessCommandRunner();
  static final Path JAR = Path.of("target", "slipway.jar").toAbsolutePath();
  /** Every state a job ends in; a wait for a job's end stops at the first of them. */
  static final List<String> ENDED = List.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL",
      "DEADLINE", "PREEMPTED");
  /** For one Slurm command; long enough for scontrol to fail over to a backup slurmctld. */
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(40);

  /** What a test's configuration may name: the cluster id and the test's temporary directory. */
  record Names(String id, Path dir) {}

  /** A check polled until it answers (non-null); it may throw, which fails the wait. */
  interface Probe {
    String get() throws Exception;
  }

  private final String name;
  private final String id;
  private final Path dir;
  private final Path conf;
  private final Path clusterDir;
  private final int port;
  private final LocalNetwork network;
  private Supplier<String> extraDiagnostics = () -> "";
  private boolean destroyed;

  private LocalTestCluster(String name, String id, Path dir, Subnet subnet, int port) {
    this.name = name;
    this.id = id;
    this.dir = dir;
    this.conf = dir.resolve("conf");
    this.clusterDir = dir.resolve("cluster");
    this.port = port;
    this.network = new LocalNetwork(id, subnet, RUNNER, InstantSource.system(), Pause.REAL);
  }

  /**
   * Skips the calling class (a JUnit assumption) unless it runs as root with every one of {@code
   * tools} on the PATH or in /usr/sbin; {@code packages} names the Debian packages for the reason.
   */
  static void requireMachine(List<String> tools, String packages) {
    assumeThat(System.getProperty("user.name")).as("local clusters need root (namespaces, mounts)").isEqualTo("root");
    for (String tool : tools) {
      assumeThat(RUNNER.run(List.of("sh", "-c", "command -v " + tool + " || test -x /usr/sbin/" + tool), Duration.ofSeconds(10)).ok())
          .as("needs " + tool + " (Debian: " + packages + ")").isTrue();
    }
  }

  /**
   * Writes the cluster's configuration and starts nothing. {@code body} is the YAML between {@code
   * cluster_id} and the local backend's settings: the rest of the {@code slurm:} section, then the
   * {@code slipway:} section's own keys, which must come last: the fixture appends {@code
   * daemon_port} and {@code local: {subnet, state_dir}} to it.
   *
   * @param name the test's name, for the log copies and messages
   * @param idPrefix two letters that tell whose cluster a leftover namespace was
   * @param secondOctet the test's own 10.X.0.0/16, in which a random /24 is picked
   */
  static LocalTestCluster configure(String name, String idPrefix, int secondOctet, Function<Names, String> body) throws IOException {
    assertThat(JAR).as("run through 'mvn verify', which builds the shaded jar first").isRegularFile();
    Path dir = Files.createTempDirectory("slipway-" + idPrefix);
    // munged wants every directory above its socket searchable by all.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    String id = idPrefix + Long.toHexString(System.nanoTime() & 0xffffff);
    Subnet subnet = Subnet.parse("10." + secondOctet + "." + ThreadLocalRandom.current().nextInt(256) + ".0/24");
    int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
    LocalTestCluster cluster = new LocalTestCluster(name, id, dir, subnet, port);
    Files.createDirectories(cluster.conf);
    String yaml = "slurm:\n  cluster_id: " + id + "\n" + body.apply(new Names(id, dir)).stripTrailing() + "\n"
        + "  daemon_port: " + port + "\n"
        + "  local:\n"
        + "    subnet: " + subnet + "\n"
        + "    state_dir: " + cluster.clusterDir + "\n";
    Files.writeString(cluster.conf.resolve("slurm.yaml"), yaml, StandardCharsets.UTF_8);
    return cluster;
  }

  /** Runs {@code cluster create} and fails with its output unless it succeeds; returns its result. */
  CommandRunner.Result create() {
    CommandRunner.Result r = cli(Duration.ofMinutes(4), "cluster", "create");
    assertThat(r.exitCode()).as("cluster create: " + r.stdout() + r.stderr()).isZero();
    return r;
  }

  /** Keeps the logs, then runs {@code cluster destroy}; returns its result for the test to judge. */
  CommandRunner.Result destroy() {
    keepLogs();
    CommandRunner.Result r = cli(Duration.ofMinutes(2), "cluster", "destroy");
    destroyed |= r.ok();
    return r;
  }

  /**
   * The teardown that always runs: {@link #destroy} unless it succeeded already, then the
   * namespaces and bridge by name and the temporary directory, whatever destroy left.
   */
  @Override
  public void close() throws InterruptedException {
    try {
      if (!destroyed && Files.exists(clusterDir)) {
        destroy();
      }
    } finally {
      try {
        network.teardown(Duration.ofSeconds(5));
      } finally {
        RUNNER.run(List.of("rm", "-rf", dir.toString()), COMMAND_TIMEOUT);
      }
    }
  }

  /** After destroy: no namespace, link, process or directory of the cluster is left. */
  void assertNothingLeft() {
    assertThat(network.namespaces()).as("no namespace of the cluster is left").isEmpty();
    assertThat(RUNNER.run(List.of("ip", "-o", "link", "show"), Duration.ofSeconds(10)).stdout())
        .as("no link of the cluster is left").doesNotContain(network.bridgeName());
    assertThat(RUNNER.run(List.of("sh", "-c", "ps -eo args | grep -F '" + clusterDir + "' | grep -v grep"), Duration.ofSeconds(10)).stdout())
        .as("no process of the cluster (daemon, slurmctld, slurmdbd, mariadbd, slurmd, munged, sshd) is left").isEmpty();
    assertThat(clusterDir).doesNotExist();
  }

  String id() {
    return id;
  }

  /** The test's temporary directory (configuration, job output, shared volumes). */
  Path dir() {
    return dir;
  }

  Path conf() {
    return conf;
  }

  /** The cluster's state_dir: etc/, log/, nodes/, infra/, state/. */
  Path clusterDir() {
    return clusterDir;
  }

  Path slurmConf() {
    return clusterDir.resolve("etc").resolve("slurm.conf");
  }

  int port() {
    return port;
  }

  LocalNetwork network() {
    return network;
  }

  /** The network namespace of the cluster's login node. */
  String loginNamespace() {
    return network.namespaceName(id + "-login-vm000");
  }

  /** Runs the shaded jar with {@code args}. */
  static CommandRunner.Result slipway(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return RUNNER.run(command, timeout);
  }

  /** Runs the shaded jar with {@code args} and this cluster's configuration ({@code -c}, before a {@code --}). */
  CommandRunner.Result cli(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of(args));
    int end = command.indexOf("--");
    command.addAll(end < 0 ? command.size() : end, List.of("-c", conf.toString()));
    return slipway(timeout, command.toArray(String[]::new));
  }

  /** {@code command} in the login namespace with the cluster's slurm.conf, as {@code user} if given. */
  List<String> inLogin(Optional<String> user, List<String> command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + loginNamespace()));
    user.ifPresent(u -> c.addAll(List.of("runuser", "-u", u, "--")));
    c.addAll(List.of("env", "SLURM_CONF=" + slurmConf()));
    c.addAll(command);
    return c;
  }

  /** Runs a Slurm command on the login node as root. */
  CommandRunner.Result slurm(Duration timeout, String... command) {
    return RUNNER.run(inLogin(Optional.empty(), List.of(command)), timeout);
  }

  /** A Slurm command's standard output on the login node. */
  String slurm(String... command) {
    return slurm(COMMAND_TIMEOUT, command).stdout();
  }

  /** Submits {@code sbatch args} from the login node, as {@code user} if given; returns the job id. */
  String sbatch(Optional<String> user, String... args) {
    List<String> command = new ArrayList<>(List.of("sbatch"));
    command.addAll(List.of(args));
    CommandRunner.Result r = RUNNER.run(inLogin(user, command), COMMAND_TIMEOUT);
    assertThat(r.exitCode()).as("sbatch " + command + ": " + r.stdout() + r.stderr()).isZero();
    Matcher m = Pattern.compile("Submitted batch job (\\d+)").matcher(r.stdout());
    assertThat(m.find()).as("sbatch " + command + ": " + r.stdout() + r.stderr()).isTrue();
    return m.group(1);
  }

  /** A field of {@code scontrol show job} (e.g. JobState, NodeList, Restarts), or "" when it has none. */
  String jobField(String job, String field) {
    Matcher m = Pattern.compile("\\b" + field + "=(\\S+)").matcher(slurm("scontrol", "show", "job", job));
    return m.find() ? m.group(1) : "";
  }

  /** Waits until {@code job} ended; returns its state, or fails with the job as scontrol shows it. */
  String awaitEnd(String job, Duration timeout) throws InterruptedException {
    try {
      return awaitValue(timeout, () -> {
        String state = jobField(job, "JobState");
        return ENDED.contains(state) ? state : null;
      }, "job " + job + " to end");
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + slurm("scontrol", "show", "job", job), e);
    }
  }

  /** Host -> sinfo's compact state (e.g. {@code idle~}, {@code down~}, {@code alloc#}). */
  Map<String, String> hostStates() {
    Map<String, String> states = new LinkedHashMap<>();
    slurm("sinfo", "-h", "-N", "-o", "%N %t").lines().map(l -> l.strip().split("\\s+")).filter(f -> f.length == 2)
        .forEach(f -> states.put(f[0], f[1]));
    return states;
  }

  /** The provider's live nodes (node directories with node.properties), by node id. */
  List<String> liveNodes() {
    Path nodes = clusterDir.resolve("nodes");
    if (!Files.isDirectory(nodes)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(nodes)) {
      return s.filter(d -> Files.isRegularFile(d.resolve("node.properties"))).map(d -> d.getFileName().toString()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Adds {@code extra} (e.g. sinfo's states) to what a timed-out wait reports besides the daemons' logs. */
  void alsoReportOnTimeout(Supplier<String> extra) {
    this.extraDiagnostics = extra;
  }

  /** Polls {@code probe} once a second until it answers, or fails with the daemons' logs after {@code timeout}. */
  String awaitValue(Duration timeout, Probe probe, String what) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      String v;
      try {
        v = probe.get();
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        throw new AssertionError("waiting for " + what + ": " + e, e);
      }
      if (v != null) {
        return v;
      }
      Thread.sleep(1000); // polling real state with a deadline
    }
    return fail("timed out after " + timeout.toSeconds() + " s waiting for " + what + extraDiagnostics.get() + "\n" + daemonLogs());
  }

  /** The last 40 lines of each daemon's log (one per controller). */
  String daemonLogs() {
    Path logs = clusterDir.resolve("log");
    try (Stream<Path> files = Files.list(logs)) {
      return files.filter(f -> f.getFileName().toString().startsWith("daemon") && f.getFileName().toString().endsWith(".log")).sorted()
          .map(f -> f.getFileName() + ":\n" + tail(f, 40)).reduce("", (a, b) -> a + b + "\n");
    } catch (IOException e) {
      return "(no daemon logs in " + logs + ")";
    }
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no " + file + ")";
    }
  }

  /** Copies every log of the cluster (daemons, slurmctld, slurmdbd, nodes) to target/e2e-logs/ for a failed CI run. */
  private void keepLogs() {
    Path target = Path.of("target", "e2e-logs", name).toAbsolutePath();
    try (Stream<Path> files = Files.walk(clusterDir)) {
      for (Path f : files.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
        Path copy = target.resolve(clusterDir.relativize(f).toString());
        Files.createDirectories(copy.getParent());
        Files.copy(f, copy, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | UncheckedIOException e) {
      System.out.println(name + ": cannot keep the logs: " + e);
    }
  }
}
