package dev.slipway.cli;

import dev.slipway.tls.DaemonIdentity;
import dev.slipway.config.ClusterConfig;
import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.PoolTopology;
import dev.slipway.local.netns.LocalNetwork;
import dev.slipway.local.netns.Pause;
import dev.slipway.local.netns.Subnet;
import dev.slipway.local.provision.LocalProvisioner;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.ProcessCommandRunner;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code slipway demo}: a local elastic cluster end to end. Installs the prerequisites when
 * missing, creates the cluster of {@code examples/local} (hooks and daemon included), submits a
 * small job mix from the login node, prints a line whenever a host or job changes state, then a
 * summary (jobs and their waits, node-seconds, resume latency per stage from the daemon's
 * /metrics), and destroys the cluster unless {@code --keep}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run a local elastic cluster end to end: create, submit jobs, watch nodes come and go, summarize, tear down.")
final class DemoCommand implements Callable<Integer> {
  static final Pattern FIELD = Pattern.compile("(\\w+)=(\\S*)");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The cluster's configuration; {@code -c} defaults to {@link #DEFAULT_DIR} here. */
  @CommandLine.Mixin ConfigOptions options;

  static final Path DEFAULT_DIR = Path.of("examples", "local");

  @Option(names = "--keep", description = "Leave the cluster running at the end (destroy it with 'slipway cluster destroy -c DIR').")
  boolean keep;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
      description = "Give up watching after this long (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  /** The job mix: partition, node count, command. */
  static final List<List<String>> JOBS = List.of(
      List.of("batch", "2", "srun sleep 5"),
      List.of("batch", "1", "sleep 3"),
      List.of("debug", "1", "srun hostname"),
      List.of("batch", "3", "srun hostname"));

  private final CommandRunner runner = new ProcessCommandRunner();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    java.io.StringWriter report = new java.io.StringWriter();
    if (Main.commandLine().setOut(new PrintWriter(report)).execute("prereqs") != ExitCodes.OK) {
      out.print(report);
      out.println("demo: installing the missing prerequisites");
      out.flush();
      int rc = Main.commandLine().execute("prereqs", "--install");
      if (rc != ExitCodes.OK) {
        return rc;
      }
    }
    if (options.configDir == null && System.getenv("SLIPWAY_CONFIGDIR") == null) {
      options.configDir = DEFAULT_DIR.toAbsolutePath().normalize();
    }
    Path dir = options.configDir == null ? Path.of(System.getenv("SLIPWAY_CONFIGDIR")) : options.configDir;
    ClusterConfig config = options.load().config();
    LocalProvisioner provisioner = ClusterCommand.provisioner(config, new LocalControlPlane(options));
    String id = config.slurm().clusterId();
    LocalNetwork network = new LocalNetwork(id, Subnet.parse(config.slipway().local().subnet()), runner, InstantSource.system(), Pause.REAL);
    String login = network.namespaceName(id.toLowerCase(Locale.ROOT) + "-login-vm000");
    Path slurmConf = provisioner.paths().slurmConf();
    Set<String> excluded = new HashSet<>();
    ClusterTopology.fromConfig(config.slurm().options()).pools().stream().map(PoolTopology::reclaimExcluded).forEach(excluded::addAll);
    boolean created = false;
    try {
      provisioner.create(ClusterCommand.progress(out));
      created = true;
      List<String> jobs = new ArrayList<>();
      for (List<String> j : JOBS) {
        CommandRunner.Result r = runner.run(List.of("nsenter", "--net=/run/netns/" + login, "env", "SLURM_CONF=" + slurmConf,
            "sbatch", "-p", j.get(0), "-N", j.get(1), "-o", "/dev/null", "--wrap", j.get(2)), Duration.ofSeconds(30));
        Matcher m = Pattern.compile("Submitted batch job (\\d+)").matcher(r.stdout());
        if (!m.find()) {
          throw new IllegalStateException("sbatch failed: " + r.stderr().strip());
        }
        jobs.add(m.group(1));
        line(out, "submitted job " + m.group(1) + " (-p " + j.get(0) + " -N " + j.get(1) + " --wrap '" + j.get(2) + "')");
      }
      watch(out, login, slurmConf, jobs, excluded);
      // the primary controller's daemon, the first to lead; its key is the one 'create' made in the secrets directory
      summary(out, login, slurmConf, jobs, provisioner.daemonUrls().get(0) + "/metrics", provisioner.paths().secrets());
    } finally {
      if (keep && created) {
        out.println("demo: the cluster keeps running; destroy it with: slipway cluster destroy -c " + dir);
      } else {
        provisioner.destroy(ClusterCommand.progress(out));
      }
      out.flush();
    }
    return ExitCodes.OK;
  }

  private final Map<String, Instant> upSince = new LinkedHashMap<>();
  private long nodeMillis;

  private void watch(PrintWriter out, String login, Path slurmConf, List<String> jobs, Set<String> excluded) throws InterruptedException {
    Map<String, String> hostStates = new TreeMap<>();
    Map<String, String> jobStates = new LinkedHashMap<>();
    Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
    while (Instant.now().isBefore(deadline)) {
      String sinfo = slurm(login, slurmConf, "sinfo", "-h", "-N", "-o", "%N %t");
      for (String l : sinfo.split("\n")) {
        String[] f = l.strip().split("\\s+");
        if (f.length != 2) {
          continue;
        }
        String before = hostStates.put(f[0], f[1]);
        if (before != null && !before.equals(f[1])) {
          hostChanged(out, f[0], before, f[1]);
        } else if (before == null && !f[1].endsWith("~")) {
          upSince.put(f[0], Instant.now());
        }
      }
      boolean allEnded = true;
      for (String job : jobs) {
        Map<String, String> info = fields(slurm(login, slurmConf, "scontrol", "show", "job", job));
        String state = info.getOrDefault("JobState", "UNKNOWN");
        if (!state.equals(jobStates.put(job, state))) {
          line(out, "job " + job + " " + state + (state.equals("RUNNING") ? " on " + info.getOrDefault("NodeList", "?") : ""));
        }
        allEnded &= List.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL").contains(state);
      }
      boolean allReturned = hostStates.entrySet().stream().allMatch(e -> e.getValue().endsWith("~") || excluded.contains(e.getKey()));
      if (allEnded && allReturned && !hostStates.isEmpty()) {
        line(out, "every job ended and every host (but those excluded from reclaim: " + excluded + ") is powered down again");
        break;
      }
      Thread.sleep(2000);
    }
    upSince.values().forEach(since -> nodeMillis += Duration.between(since, Instant.now()).toMillis());
    upSince.clear();
  }

  private void hostChanged(PrintWriter out, String host, String before, String now) {
    if (now.endsWith("#")) {
      line(out, "host " + host + " powering up");
      upSince.putIfAbsent(host, Instant.now());
    } else if (now.endsWith("%")) {
      line(out, "host " + host + " powering down (node returned to the pool)");
    } else if (now.endsWith("~")) {
      line(out, "host " + host + " powered down");
      Instant since = upSince.remove(host);
      if (since != null) {
        nodeMillis += Duration.between(since, Instant.now()).toMillis();
      }
    } else if (before.endsWith("#")) {
      line(out, "host " + host + " up (" + now + ")");
    }
  }

  private void summary(PrintWriter out, String login, Path slurmConf, List<String> jobs, String metricsUrl, Path secrets) {
    out.println();
    out.println("summary");
    for (String job : jobs) {
      Map<String, String> f = fields(slurm(login, slurmConf, "scontrol", "show", "job", job));
      Optional<Duration> wait = between(f.get("SubmitTime"), f.get("StartTime"));
      Optional<Duration> run = between(f.get("StartTime"), f.get("EndTime"));
      out.printf("  job %-4s %-10s %-8s nodes %-14s wait %s run %s%n", job, f.getOrDefault("JobState", "?"), f.getOrDefault("Partition", "?"),
          f.getOrDefault("NodeList", "?"), wait.map(DemoCommand::seconds).orElse("-"), run.map(DemoCommand::seconds).orElse("-"));
    }
    out.printf("  node-seconds (hosts not powered down): %.0f%n", nodeMillis / 1000.0);
    try {
      HttpClient http = HttpClient.newBuilder().sslContext(DaemonIdentity.pinnedClientContext(DaemonIdentity.readPin(secrets))).build();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(metricsUrl)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      Map<String, double[]> stages = new TreeMap<>();
      Matcher m = Pattern.compile("slipway_resume_stage_seconds_(sum|count)\\{([^}]*)\\}\\s+(\\S+)").matcher(r.body());
      while (m.find()) {
        double[] v = stages.computeIfAbsent(m.group(2), k -> new double[2]);
        v[m.group(1).equals("sum") ? 0 : 1] = Double.parseDouble(m.group(3));
      }
      stages.forEach((labels, v) -> {
        if (v[1] > 0) {
          out.printf("  resume latency {%s}: mean %.1f s over %.0f hosts%n", labels, v[0] / v[1], v[1]);
        }
      });
      if (stages.isEmpty()) {
        out.println("  resume latency: the daemon reported none");
      }
    } catch (Exception e) {
      out.println("  resume latency: cannot read " + metricsUrl + ": " + e.getMessage());
    }
    out.flush();
  }

  private static String seconds(Duration d) {
    return d.toSeconds() + " s";
  }

  private static Optional<Duration> between(String from, String to) {
    try {
      return Optional.of(Duration.between(LocalDateTime.parse(from).atZone(ZoneId.systemDefault()),
          LocalDateTime.parse(to).atZone(ZoneId.systemDefault())));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  static Map<String, String> fields(String scontrolOutput) {
    Map<String, String> f = new LinkedHashMap<>();
    Matcher m = FIELD.matcher(scontrolOutput);
    while (m.find()) {
      f.putIfAbsent(m.group(1), m.group(2));
    }
    return f;
  }

  private String slurm(String login, Path slurmConf, String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + login, "env", "SLURM_CONF=" + slurmConf));
    c.addAll(List.of(command));
    return runner.run(c, Duration.ofSeconds(30)).stdout();
  }

  private static void line(PrintWriter out, String text) {
    out.println(java.time.LocalTime.now().withNano(0) + "  " + text);
    out.flush();
  }
}
