package dev.slipway.simulate;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one simulation run measured (docs/simulate.md, "The report"). {@link #toMap()} is the JSON
 * form {@code slipway simulate --output json} prints; its keys are part of the CLI's interface.
 */
public record SimulationReport(
    Run run, Jobs jobs, Hosts hosts, ProviderCalls providerCalls, Invariants invariants, NodeSeconds nodeSeconds, Engine engine,
    Optional<Intake> intake) {

  /** The scenario, the seed, virtual time covered and wall time spent. */
  public record Run(String scenario, long seed, Instant start, Instant end, Instant finishedAt, boolean drained, long wallMillis) {}

  /** {@code unfinished}: accepted jobs neither completed nor failed when the run stopped. */
  public record Jobs(int submitted, int rejected, int completed, int failed, int unfinished, int requeues, Optional<DurationSummary> waitTime) {}

  public record Hosts(int resumed, int suspended, int resumeFailures, int unexpectedRegistrations,
      Optional<DurationSummary> resumeToRegistered) {}

  /** Calls the engine made ({@code list} is one status-and-nodes read of a pool); {@code failed} of them. */
  public record ProviderCalls(long resize, long remove, long list, long failed, Map<String, Long> resizeByPool) {
    public ProviderCalls {
      resizeByPool = Map.copyOf(resizeByPool);
    }

    public long total() {
      return resize + remove + list;
    }
  }

  /**
   * {@code doubleAssignedHosts}: hosts that at some moment had two live nodes claiming them, or
   * whose node the store bound to a second host; {@code maxSizeExceeded}: observations of a pool
   * above its max_compute_nodes (target or live nodes) plus resizes refused for that reason;
   * {@code leakedNodesAtEnd}: provider nodes left once every job ended and every host was
   * suspended (nodes serving SuspendExcNodes hosts are not leaks). {@code examples}: the first few
   * violations, described.
   */
  public record Invariants(int doubleAssignedHosts, int leakedNodesAtEnd, int maxSizeExceeded, List<String> examples) {
    public Invariants {
      examples = List.copyOf(examples);
    }

    public boolean held() {
      return doubleAssignedHosts == 0 && leakedNodesAtEnd == 0 && maxSizeExceeded == 0;
    }
  }

  /** Node lifetime from creation to removal, summed by node type (what the cloud bills). */
  public record NodeSeconds(double dedicated, double lowPriority) {}

  /**
   * {@code cpuMillis}: CPU time of the engine's passes and joins (ThreadMXBean), of which
   * {@code joinCpuMillis} in the join service's {@code joins} calls; {@code peakHeapMiB}:
   * the JVM's peak heap use during the run (all of it: model, provider and engine);
   * {@code fullReads}: passes that read every intent and binding; {@code wholeSlurmReads}: passes
   * that read every host's Slurm state (the others read only the hosts that may have moved).
   */
  public record Engine(int passes, int crashes, int restarts, long cpuMillis, long maxPassCpuMillis, int joins, long joinCpuMillis,
      long peakHeapMiB,
      int nodesPreempted, long fullReads, long wholeSlurmReads) {}

  /**
   * The burst intake: from the first resume call to the end of the first pass, after the last
   * resume call, at which every pool's resize target covers the hosts resumed in it (each host's
   * resize issued). {@code passCpuMillis}: CPU of the passes in that window; joins made in the
   * window (nodes that booted meanwhile) are counted apart. Meant for a burst scenario: resumes
   * later in the run stretch the window to them.
   */
  public record Intake(int hosts, Duration duration, int passes, long passCpuMillis, int joins, long joinCpuMillis) {}

  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("scenario", run.scenario());
    r.put("seed", run.seed());
    r.put("start", run.start().toString());
    r.put("end", run.end().toString());
    r.put("finished_at", run.finishedAt().toString());
    r.put("drained", run.drained());
    r.put("virtual_s", seconds(Duration.between(run.start(), run.finishedAt())));
    r.put("wall_ms", run.wallMillis());
    m.put("run", r);
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("submitted", jobs.submitted());
    j.put("rejected", jobs.rejected());
    j.put("completed", jobs.completed());
    j.put("failed", jobs.failed());
    j.put("unfinished", jobs.unfinished());
    j.put("requeues", jobs.requeues());
    j.put("wait_s", summary(jobs.waitTime()));
    m.put("jobs", j);
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("resumed", hosts.resumed());
    h.put("suspended", hosts.suspended());
    h.put("resume_failures", hosts.resumeFailures());
    h.put("unexpected_registrations", hosts.unexpectedRegistrations());
    h.put("resume_to_registered_s", summary(hosts.resumeToRegistered()));
    m.put("hosts", h);
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("resize", providerCalls.resize());
    p.put("remove", providerCalls.remove());
    p.put("list", providerCalls.list());
    p.put("total", providerCalls.total());
    p.put("failed", providerCalls.failed());
    p.put("resize_by_pool", new java.util.TreeMap<>(providerCalls.resizeByPool()));
    m.put("provider_calls", p);
    Map<String, Object> i = new LinkedHashMap<>();
    i.put("double_assigned_hosts", invariants.doubleAssignedHosts());
    i.put("leaked_nodes_at_end", invariants.leakedNodesAtEnd());
    i.put("max_size_exceeded", invariants.maxSizeExceeded());
    i.put("held", invariants.held());
    i.put("examples", invariants.examples());
    m.put("invariants", i);
    Map<String, Object> n = new LinkedHashMap<>();
    n.put("dedicated", Math.round(nodeSeconds.dedicated()));
    n.put("low_priority", Math.round(nodeSeconds.lowPriority()));
    m.put("node_seconds", n);
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("passes", engine.passes());
    e.put("crashes", engine.crashes());
    e.put("restarts", engine.restarts());
    e.put("cpu_ms", engine.cpuMillis());
    e.put("max_pass_cpu_ms", engine.maxPassCpuMillis());
    e.put("joins", engine.joins());
    e.put("join_cpu_ms", engine.joinCpuMillis());
    e.put("peak_heap_mib", engine.peakHeapMiB());
    e.put("nodes_preempted", engine.nodesPreempted());
    e.put("full_reads", engine.fullReads());
    e.put("whole_slurm_reads", engine.wholeSlurmReads());
    m.put("engine", e);
    intake.ifPresent(in -> {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("hosts", in.hosts());
      b.put("seconds", in.duration().toMillis() / 1000.0);
      b.put("passes", in.passes());
      b.put("pass_cpu_ms", in.passCpuMillis());
      b.put("joins", in.joins());
      b.put("join_cpu_ms", in.joinCpuMillis());
      m.put("burst_intake", b);
    });
    return m;
  }

  /** {@code {count, p50, p95, max, mean}} in seconds; counts 0 and nulls when nothing was measured. */
  static Map<String, Object> summary(Optional<DurationSummary> s) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("count", s.map(DurationSummary::count).orElse(0));
    out.put("p50", s.map(x -> seconds(x.p50())).orElse(null));
    out.put("p95", s.map(x -> seconds(x.p95())).orElse(null));
    out.put("max", s.map(x -> seconds(x.max())).orElse(null));
    out.put("mean", s.map(x -> seconds(x.mean())).orElse(null));
    return out;
  }

  static double seconds(Duration d) {
    return Math.round(d.toMillis() / 100.0) / 10.0;
  }
}
