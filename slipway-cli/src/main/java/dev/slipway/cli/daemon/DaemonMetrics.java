package dev.slipway.cli.daemon;

import dev.slipway.engine.EngineListener;
import dev.slipway.model.ErrorClass;
import dev.slipway.spi.BindingPhase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The daemon's metrics in Prometheus' text format ({@code GET /metrics}), fed by the engine through
 * {@link EngineListener} and by the daemon's own loop and join endpoint. Names (Prometheus form)
 * are listed in docs/daemon.md; they stay stable because dashboards depend on them.
 */
public final class DaemonMetrics implements EngineListener {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<BindingPhase, AtomicLong> phases = new EnumMap<>(BindingPhase.class);
  private final AtomicLong leader = new AtomicLong();
  private final AtomicLong fencingToken = new AtomicLong();

  public DaemonMetrics() {
    for (BindingPhase phase : BindingPhase.values()) {
      AtomicLong value = new AtomicLong();
      phases.put(phase, value);
      Gauge.builder("slipway.hosts", value, AtomicLong::get).tag("phase", phase.name().toLowerCase(Locale.ROOT))
          .description("Hosts with a binding in this phase after the last pass").register(registry);
    }
    Gauge.builder("slipway.leader", leader, AtomicLong::get).description("1 when this daemon holds the leader lease").register(registry);
    Gauge.builder("slipway.fencing.token", fencingToken, AtomicLong::get)
        .description("Fencing token of the lease this daemon holds (0 when standby)").register(registry);
  }

  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void providerCall(String poolId, String call, String outcome) {
    Counter.builder("slipway.provider.calls").tag("pool", poolId).tag("call", call).tag("outcome", outcome.toLowerCase(Locale.ROOT))
        .description("Node provider calls by kind and outcome (ok or the error class)").register(registry).increment();
  }

  @Override
  public void slurmCall(String call, String outcome) {
    Counter.builder("slipway.slurm.calls").tag("call", call).tag("outcome", outcome)
        .description("Slurm reads and updates by outcome").register(registry).increment();
  }

  @Override
  public void failure(String poolId, ErrorClass errorClass) {
    Counter.builder("slipway.failures").tag("pool", poolId).tag("class", errorClass.name())
        .description("Host and pool failures by error class").register(registry).increment();
  }

  @Override
  public void hostsByPhase(Map<BindingPhase, Integer> counts) {
    phases.forEach((phase, value) -> value.set(counts.getOrDefault(phase, 0)));
  }

  @Override
  public void resumeStage(String poolId, ResumeStage stage, Duration latency) {
    Timer.builder("slipway.resume.stage").tag("pool", poolId).tag("stage", stage.name().toLowerCase(Locale.ROOT))
        .description("Resume latency per stage: intent to node created, created to joined, joined to registered")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofSeconds(1)).maximumExpectedValue(Duration.ofHours(1))
        .register(registry).record(latency);
  }

  @Override
  public void passCompleted(Duration duration, int actions, int conflicts) {
    Timer.builder("slipway.pass.duration").description("Duration of reconcile passes that ran to the end")
        .register(registry).record(duration);
    Counter.builder("slipway.pass.actions").description("Actions planned by reconcile passes").register(registry).increment(actions);
    Counter.builder("slipway.pass.conflicts").description("Store writes refused by compare-and-set").register(registry).increment(conflicts);
  }

  /** A pass started by the daemon ended: {@code ok} or {@code error}. */
  void pass(String outcome) {
    Counter.builder("slipway.passes").tag("outcome", outcome).description("Reconcile passes by outcome").register(registry).increment();
  }

  /** An exception a pass did not survive, by class. */
  void error(Throwable e) {
    Counter.builder("slipway.errors").tag("class", e.getClass().getSimpleName())
        .description("Exceptions that ended a reconcile pass, by class").register(registry).increment();
  }

  void leader(boolean leading, long token) {
    leader.set(leading ? 1 : 0);
    fencingToken.set(leading ? token : 0);
  }

  /** A join request answered: {@code accepted} or the rejection. */
  void join(String poolId, String outcome) {
    Counter.builder("slipway.joins").tag("pool", poolId).tag("outcome", outcome.toLowerCase(Locale.ROOT))
        .description("Node join requests by outcome").register(registry).increment();
  }
}
