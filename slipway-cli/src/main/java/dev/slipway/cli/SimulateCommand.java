package dev.slipway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.slipway.azure.batch.AzureBatchNodeProvider;
import dev.slipway.cli.emulator.SimulatedBatchFront;
import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigLoader;
import dev.slipway.config.ConfigProblem;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.LoadedConfig;
import dev.slipway.simulate.DurationSummary;
import dev.slipway.simulate.Scenario;
import dev.slipway.simulate.ScenarioReader;
import dev.slipway.simulate.SimTopology;
import dev.slipway.simulate.Simulation;
import dev.slipway.simulate.SimulationReport;
import dev.slipway.simulate.SimulationSettings;
import dev.slipway.simulate.ShipyardBaseline;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code slipway simulate}: runs the real engine against the Slurm model and the sim provider for
 * a scenario and prints what happened (docs/simulate.md). Exits 1 when an invariant was broken.
 *
 * <p>The configuration directory defaults to the scenario's {@code config:} path (relative to the
 * scenario file), which is why this command does not use the {@link ConfigOptions} mixin: that
 * mixin defaults to the environment and the current directory.
 */
@Command(
    name = "simulate",
    description = {
      "Run Slipway's engine against a simulated Slurm and cloud for a scenario, on a virtual clock.",
      "Prints jobs, host latencies, provider calls, invariants and node-seconds; exits 1 if an invariant broke."
    })
final class SimulateCommand implements Callable<Integer> {
  enum Format {
    json,
    text
  }

  @Option(names = "--scenario", required = true, paramLabel = "FILE", description = "The scenario file (docs/simulate.md).")
  Path scenarioFile;

  @Option(names = {"-c", "--configdir"}, paramLabel = "DIR",
      description = "Slipway configuration directory (default: the scenario's config: path, relative to the scenario file).")
  Optional<Path> configDir = Optional.empty();

  @Option(names = "--seed", paramLabel = "N",
      description = "Seed of the simulated cloud's draws (boot times, faults); default: the scenario's seed. Job traces keep their own seeds.")
  Optional<Long> seed = Optional.empty();

  @Option(names = "--output", paramLabel = "json|text", description = "Report format (default: text).")
  Format output = Format.text;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "Where to keep the SQLite store (default: a temporary directory, deleted afterwards).")
  Optional<Path> stateDir = Optional.empty();

  @Option(names = "--baseline",
      description = "Also run Batch Shipyard's algorithm on the same trace and seed, and report both side by side with ratios.")
  boolean baseline;

  @Option(names = "--provider", paramLabel = "sim|azure-batch",
      description = "What the engine talks to: the simulated cloud (sim, default) or the azure-batch provider over HTTP to a Batch "
          + "emulator on loopback whose nodes are the simulated cloud's (azure-batch).")
  String provider = "sim";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Scenario scenario = ScenarioReader.read(scenarioFile);
    Path dir = configDir.orElse(scenario.configDir());
    LoadedConfig loaded = new ConfigLoader(ConfigOptions.knownVmSizes()).loadDirectory(dir);
    PrintWriter err = spec.commandLine().getErr();
    loaded.warnings().forEach(w -> err.println(w.format()));
    err.flush();
    List<ElasticPartition> partitions = loaded.config().slurm().options().elasticPartitions();
    if (partitions.isEmpty()) {
      throw new ConfigException(List.of(ConfigProblem.error(Optional.of(dir), 0, 0, "slurm.slurm_options.elastic_partitions",
          "the configuration has no elastic partitions to simulate", "at least one elastic partition with a pool")));
    }
    List<ConfigProblem> problems = scenario.problemsAgainst(SimTopology.from(partitions));
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    if (!provider.equals("sim") && !provider.equals(AzureBatchNodeProvider.NAME)) {
      throw new UsageException("--provider must be sim or " + AzureBatchNodeProvider.NAME + ", got '" + provider + "'");
    }
    SimulationSettings settings = stateDir.map(SimulationSettings.DEFAULTS::withStateDir).orElse(SimulationSettings.DEFAULTS);
    Optional<BatchRun> batch = Optional.empty();
    SimulationReport report;
    if (provider.equals(AzureBatchNodeProvider.NAME)) {
      BatchRun run = runThroughBatch(scenario, partitions, settings, seed.orElse(scenario.seed()));
      batch = Optional.of(run);
      report = run.report();
    } else {
      report = new Simulation(scenario, partitions, settings, seed.orElse(scenario.seed())).run();
    }
    Optional<ShipyardBaseline.Report> shipyard = baseline
        ? Optional.of(new ShipyardBaseline(scenario, partitions, settings, seed.orElse(scenario.seed())).run())
        : Optional.empty();
    PrintWriter out = spec.commandLine().getOut();
    if (output == Format.json) {
      Map<String, Object> json = report.toMap();
      shipyard.ifPresent(b -> json.putAll(comparison(report, b)));
      batch.ifPresent(b -> json.put("batch_rest_calls", b.callsByOperation()));
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json));
    } else {
      printText(out, report);
      shipyard.ifPresent(b -> printComparison(out, report, b));
      batch.ifPresent(b -> out.printf("batch REST: %d calls to the emulator: %s%n",
          b.callsByOperation().values().stream().mapToLong(Long::longValue).sum(), b.callsByOperation()));
    }
    out.flush();
    return report.invariants().held() ? ExitCodes.OK : ExitCodes.FAILURE;
  }

  /** A run through the azure-batch provider and the emulator: the report and the REST calls by operation. */
  record BatchRun(SimulationReport report, Map<String, Long> callsByOperation) {}

  /**
   * The same simulation, with the engine talking to the azure-batch provider over HTTP to a Batch
   * emulator on loopback whose nodes are the simulated cloud's ({@link SimulatedBatchFront}). The
   * simulated pools resize with no latency: the emulator asks for one node at a time, and Batch's
   * own "resizing" (until the nodes are allocated) takes the simulator's place.
   */
  static BatchRun runThroughBatch(Scenario scenario, List<ElasticPartition> partitions, SimulationSettings settings, long seed) {
    java.util.concurrent.atomic.AtomicReference<SimulatedBatchFront> front = new java.util.concurrent.atomic.AtomicReference<>();
    SimulationReport report = new Simulation(scenario, partitions, settings.withResizeLatency(java.time.Duration.ZERO), seed)
        .withEngineFront((cloud, clock) -> {
          SimulatedBatchFront f = (SimulatedBatchFront) SimulatedBatchFront.open(cloud, clock);
          front.set(f);
          return f;
        }).run();
    Map<String, Long> calls = new java.util.TreeMap<>();
    // The pools the front creates at the start are set-up, not the engine's calls.
    front.get().requests().stream().filter(r -> !(r.method().equals("POST") && r.path().equals("/pools")))
        .forEach(r -> calls.merge(operation(r), 1L, Long::sum));
    return new BatchRun(report, calls);
  }

  /** "METHOD kind" of a Batch REST call, e.g. {@code GET nodes}, {@code POST resize}. */
  static String operation(dev.slipway.azure.batch.emulator.BatchEmulator.RecordedRequest r) {
    String[] seg = r.path().replaceAll("^/+", "").split("/");
    String kind = switch (seg.length) {
      case 1 -> seg[0];
      case 2 -> "pool";
      case 3 -> seg[2];
      default -> seg[2] + "/" + (seg.length > 4 ? seg[4] : "node");
    };
    return r.method() + " " + kind;
  }

  static void printText(PrintWriter out, SimulationReport r) {
    SimulationReport.Run run = r.run();
    out.printf("scenario %s, seed %d: %s of cluster time in %.1f s (%s)%n", run.scenario(), run.seed(),
        human(java.time.Duration.between(run.start(), run.finishedAt())), run.wallMillis() / 1000.0,
        run.drained() ? "drained after the scenario's end" : "NOT drained within the drain limit");
    SimulationReport.Jobs j = r.jobs();
    out.printf("jobs:       %d submitted, %d completed, %d failed, %d unfinished, %d rejected, %d requeues%n",
        j.submitted(), j.completed(), j.failed(), j.unfinished(), j.rejected(), j.requeues());
    out.printf("            wait %s%n", summary(j.waitTime()));
    SimulationReport.Hosts h = r.hosts();
    out.printf("hosts:      %d resumed, %d suspended, %d resume failures, %d unexpected registrations%n",
        h.resumed(), h.suspended(), h.resumeFailures(), h.unexpectedRegistrations());
    out.printf("            resume to registered %s%n", summary(h.resumeToRegistered()));
    SimulationReport.ProviderCalls p = r.providerCalls();
    out.printf("provider:   %d calls: %d resize %s, %d remove, %d list; %d failed%n", p.total(), p.resize(),
        new java.util.TreeMap<>(p.resizeByPool()), p.remove(), p.list(), p.failed());
    out.printf("nodes:      %.1f dedicated node-hours, %.1f low-priority node-hours, %d preempted%n",
        r.nodeSeconds().dedicated() / 3600, r.nodeSeconds().lowPriority() / 3600, r.engine().nodesPreempted());
    SimulationReport.Engine e = r.engine();
    out.printf("engine:     %d passes, %d joins, %d crashes, %d restarts, %d ms CPU (joins %d ms, longest pass %d ms), peak heap %d MiB%n",
        e.passes(), e.joins(), e.crashes(), e.restarts(), e.cpuMillis(), e.joinCpuMillis(), e.maxPassCpuMillis(), e.peakHeapMiB());
    SimulationReport.Invariants i = r.invariants();
    out.printf("invariants: %s (double-assigned hosts %d, pools above max %d, leaked nodes at end %d)%n",
        i.held() ? "held" : "BROKEN", i.doubleAssignedHosts(), i.maxSizeExceeded(), i.leakedNodesAtEnd());
    i.examples().forEach(x -> out.println("            - " + x));
  }

  /** {@code baseline} (Batch Shipyard's figures) and {@code ratios} (baseline / Slipway; above 1: Slipway does better). */
  static Map<String, Object> comparison(SimulationReport r, ShipyardBaseline.Report b) {
    Map<String, Object> base = new LinkedHashMap<>();
    base.put("jobs", Map.of("completed", b.slurm().jobsCompleted(), "failed", b.slurm().jobsFailed()));
    base.put("wait_s", seconds(b.slurm().waitSummary()));
    base.put("resume_to_registered_s", seconds(b.slurm().bootSummary()));
    Map<String, Object> calls = new LinkedHashMap<>();
    calls.put("resize", b.resizeCalls());
    calls.put("remove", b.removeCalls());
    calls.put("pool_reads", b.poolReads());
    calls.put("total", b.totalCalls());
    base.put("provider_calls", calls);
    base.put("drained", b.drained());
    Map<String, Object> ratios = new LinkedHashMap<>();
    ratios.put("resume_to_registered_p50", ratio(b.slurm().bootSummary().map(DurationSummary::p50), r.hosts().resumeToRegistered().map(DurationSummary::p50)));
    ratios.put("resume_to_registered_p95", ratio(b.slurm().bootSummary().map(DurationSummary::p95), r.hosts().resumeToRegistered().map(DurationSummary::p95)));
    ratios.put("wait_p50", ratio(b.slurm().waitSummary().map(DurationSummary::p50), r.jobs().waitTime().map(DurationSummary::p50)));
    ratios.put("resize_calls", r.providerCalls().resize() == 0 ? null : round((double) b.resizeCalls() / r.providerCalls().resize()));
    ratios.put("provider_calls_total", r.providerCalls().total() == 0 ? null : round((double) b.totalCalls() / r.providerCalls().total()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("baseline", base);
    out.put("ratios", ratios);
    return out;
  }

  @SuppressWarnings("unchecked")
  static void printComparison(PrintWriter out, SimulationReport r, ShipyardBaseline.Report b) {
    Map<String, Object> c = comparison(r, b);
    Map<String, Object> ratios = (Map<String, Object>) c.get("ratios");
    out.printf("baseline:   Batch Shipyard's algorithm on the same trace: %d jobs completed, wait %s%n", b.slurm().jobsCompleted(),
        summary(b.slurm().waitSummary()));
    out.printf("            resume to registered %s%n", summary(b.slurm().bootSummary()));
    out.printf("            %d Batch calls: %d resize, %d remove, %d pool reads%n", b.totalCalls(), b.resizeCalls(), b.removeCalls(),
        b.poolReads());
    out.printf("ratios:     baseline / Slipway: resume-to-registered p50 %s, p95 %s; job wait p50 %s; resize calls %s; all calls %s%n",
        ratios.get("resume_to_registered_p50"), ratios.get("resume_to_registered_p95"), ratios.get("wait_p50"),
        ratios.get("resize_calls"), ratios.get("provider_calls_total"));
  }

  private static Map<String, Object> seconds(Optional<DurationSummary> s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", s.map(DurationSummary::count).orElse(0));
    m.put("p50", s.map(x -> x.p50().toMillis() / 1000.0).orElse(null));
    m.put("p95", s.map(x -> x.p95().toMillis() / 1000.0).orElse(null));
    m.put("max", s.map(x -> x.max().toMillis() / 1000.0).orElse(null));
    return m;
  }

  private static Double ratio(Optional<java.time.Duration> baseline, Optional<java.time.Duration> slipway) {
    if (baseline.isEmpty() || slipway.isEmpty() || slipway.get().isZero()) {
      return null;
    }
    return round((double) baseline.get().toMillis() / slipway.get().toMillis());
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static String summary(Optional<DurationSummary> s) {
    return s.map(x -> String.format("p50 %s, p95 %s, max %s (%d)", human(x.p50()), human(x.p95()), human(x.max()), x.count()))
        .orElse("(none measured)");
  }

  private static String human(java.time.Duration d) {
    long s = d.toSeconds();
    if (s >= 3600) {
      return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
    }
    if (s >= 60) {
      return String.format("%dm%02ds", s / 60, s % 60);
    }
    return String.format("%.1fs", d.toMillis() / 1000.0);
  }
}
