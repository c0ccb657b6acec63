package dev.slipway.cli.daemon;

import dev.slipway.engine.Reconciler;
import dev.slipway.engine.Reconciler.PassResult;
import dev.slipway.hooks.SpoolImporter;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.StateStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's loop: leadership, and reconcile passes when something may have changed.
 *
 * <p><b>Design.</b> One thread runs {@link #tick()} about every {@code pollEvery} (1 s) or at
 * once when woken ({@link #wake()}: a hook's {@code POST /v1/wake}, or a node that joined). A tick
 * renews the lease every {@code renewEvery} (a standby tries to take it: it succeeds once the
 * leader stopped renewing for a TTL, or released it on shutdown). As leader it runs a pass when
 * woken, when the store's newest intent sequence changed (hooks' wake-ups are best-effort, so the
 * daemon polls this cheap read rather than rely on them), and every {@code period} regardless.
 *
 * <p><b>Failure handling</b> (HikariCP's housekeeper is the model): every tick catches what it
 * throws, logs what it saw and carries on; nothing kills the loop but {@link #close()}. A failed
 * pass is retried on the next tick, not only after a period. Before each pass the fencing token is
 * checked against the store, and the reconciler asks again after planning, so a daemon deposed
 * while paused applies nothing.
 *
 * <p><b>Spool.</b> The power-save wrappers leave their calls in the spool directory; every tick
 * first imports them ({@link SpoolImporter}, one directory listing when there is nothing), on a
 * standby too, so a call is in the store within a tick of its wake-up or of the next poll, and the
 * pass that follows sees it as new intents.
 *
 * <p><b>Time</b> comes from the injected clock; tests drive {@link #tick()} by hand with a fake
 * clock and never start the thread.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /** Timings of the loop; {@link #defaults()} are the production values. */
  public record Timings(Duration leaseTtl, Duration renewEvery, Duration period, Duration pollEvery) {
    public Timings {
      Objects.requireNonNull(leaseTtl, "leaseTtl");
      Objects.requireNonNull(renewEvery, "renewEvery");
      Objects.requireNonNull(period, "period");
      Objects.requireNonNull(pollEvery, "pollEvery");
      if (renewEvery.compareTo(leaseTtl) >= 0) {
        throw new IllegalArgumentException("lease renewal every " + renewEvery + " must be shorter than the lease TTL " + leaseTtl);
      }
      if (period.isNegative() || period.isZero() || pollEvery.isNegative() || pollEvery.isZero()) {
        throw new IllegalArgumentException("period " + period + " and poll interval " + pollEvery + " must be positive");
      }
    }

    public static Timings defaults() {
      return new Timings(Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(1));
    }

    public Timings withPeriod(Duration newPeriod) {
      return new Timings(leaseTtl, renewEvery, newPeriod, pollEvery);
    }
  }

  /** What /healthz reports. */
  public record Health(boolean healthy, boolean leader, Optional<Instant> lastPass, Optional<Instant> lastStoreContact, String detail) {}

  private final StateStore store;
  private final LeaderLease lease;
  private final Reconciler reconciler;
  private final Timings timings;
  private final InstantSource clock;
  private final DaemonMetrics metrics;
  private final Optional<SpoolImporter> spool;
  private final AtomicBoolean woken = new AtomicBoolean();
  private final Object signal = new Object();
  private volatile boolean running;
  private Thread thread;

  private Instant nextRenewal = Instant.MIN;
  private Instant nextPeriodicPass = Instant.MIN;
  private OptionalLong seenIntentSeq = OptionalLong.empty();
  private boolean passFailed;
  private volatile Optional<Instant> lastPass = Optional.empty();
  private volatile Optional<Instant> lastStoreContact = Optional.empty();
  private volatile String lastProblem = "";
  private volatile boolean storeUnreachable;

  /**
   * {@code reconcilerFor} builds the reconciler around the leadership check the daemon provides
   * (the reconciler asks it after planning, before applying).
   */
  public Daemon(StateStore store, String holderId, Timings timings, InstantSource clock, DaemonMetrics metrics,
      Function<BooleanSupplier, Reconciler> reconcilerFor) {
    this(store, holderId, timings, clock, metrics, reconcilerFor, Optional.empty());
  }

  /** As above, importing the power-save spool at the start of every tick. */
  public Daemon(StateStore store, String holderId, Timings timings, InstantSource clock, DaemonMetrics metrics,
      Function<BooleanSupplier, Reconciler> reconcilerFor, Optional<SpoolImporter> spool) {
    this.spool = Objects.requireNonNull(spool, "spool");
    this.store = Objects.requireNonNull(store, "store");
    this.timings = Objects.requireNonNull(timings, "timings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.lease = new LeaderLease(store, holderId, timings.leaseTtl(), clock);
    this.reconciler = reconcilerFor.apply(this::stillLeading);
  }

  /** Starts the loop thread. */
  public synchronized void start() {
    if (thread != null) {
      throw new IllegalStateException("daemon already started");
    }
    running = true;
    thread = new Thread(this::loop, "slipway-daemon");
    thread.setDaemon(false);
    thread.start();
  }

  /** Asks for a pass as soon as possible (cheap, any thread, never blocks). */
  public void wake() {
    woken.set(true);
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  private void loop() {
    while (running) {
      tick();
      synchronized (signal) {
        if (running && !woken.get()) {
          try {
            signal.wait(Math.max(1, timings.pollEvery().toMillis()));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }
  }

  /** One round of the loop: renew or take the lease, then maybe a pass. Never throws. */
  public void tick() {
    importSpool();
    Instant now = clock.instant();
    try {
      if (!now.isBefore(nextRenewal) || !lease.isLeader()) {
        boolean before = lease.isLeader();
        boolean leading = lease.tryLead();
        storeUnreachable = false;
        lastStoreContact = Optional.of(now);
        nextRenewal = now.plus(timings.renewEvery());
        if (leading && !before) {
          nextPeriodicPass = Instant.MIN;
          seenIntentSeq = OptionalLong.empty();
        }
      }
    } catch (RuntimeException e) {
      storeUnreachable = true;
      problem("cannot renew the lease", e);
      metrics.leader(lease.isLeader(), lease.held().map(l -> l.fencingToken()).orElse(0L));
      return;
    }
    metrics.leader(lease.isLeader(), lease.held().map(l -> l.fencingToken()).orElse(0L));
    if (!lease.isLeader()) {
      return;
    }
    try {
      String reason = passReason(now);
      if (reason.isEmpty()) {
        return;
      }
      if (!lease.confirm()) {
        metrics.leader(false, 0);
        return;
      }
      lastStoreContact = Optional.of(clock.instant());
      PassResult result = reconciler.pass();
      Instant done = clock.instant();
      lastPass = Optional.of(done);
      nextPeriodicPass = done.plus(timings.period());
      passFailed = false;
      metrics.pass("ok");
      if (!result.plan().actions().isEmpty() || result.conflicts() > 0 || result.providerFailures() > 0 || result.slurmFailures() > 0) {
        log.info("pass ({}): {} actions, {} conflicts, {} provider failures, {} Slurm failures", reason,
            result.plan().actions().size(), result.conflicts(), result.providerFailures(), result.slurmFailures());
      } else {
        log.debug("pass ({}): nothing to do", reason);
      }
    } catch (RuntimeException e) {
      passFailed = true;
      metrics.pass("error");
      metrics.error(e);
      problem("reconcile pass failed", e);
    }
  }

  /** Why a pass is due now, or "" when none is. */
  private String passReason(Instant now) {
    if (woken.getAndSet(false)) {
      return "woken";
    }
    OptionalLong seq = newestIntentSeq();
    lastStoreContact = Optional.of(now);
    if (!seq.equals(seenIntentSeq)) {
      seenIntentSeq = seq;
      return "new intents";
    }
    if (passFailed) {
      return "retry after failure";
    }
    return now.isBefore(nextPeriodicPass) ? "" : "periodic";
  }

  private OptionalLong newestIntentSeq() {
    return store.intents().values().stream().mapToLong(HostIntent::seq).max();
  }

  private void importSpool() {
    if (spool.isEmpty()) {
      return;
    }
    try {
      SpoolImporter.Report report = spool.get().importAll();
      report.lines().forEach(line -> log.info("spool: {}", line));
    } catch (RuntimeException e) {
      problem("cannot import the power-save spool", e);
    }
  }

  private boolean stillLeading() {
    try {
      return lease.confirm();
    } catch (RuntimeException e) {
      problem("cannot confirm the lease", e);
      return false;
    }
  }

  private void problem(String what, RuntimeException e) {
    lastProblem = what + ": " + e.getClass().getSimpleName() + ": " + e.getMessage();
    log.warn("{}; will retry", lastProblem, log.isDebugEnabled() ? e : null);
  }

  /**
   * Healthy: the last lease renewal reached the store, and a leader passed (a standby reached the
   * store) within 3 periods.
   */
  public Health health() {
    Instant now = clock.instant();
    Duration limit = timings.period().multipliedBy(3);
    boolean leader = lease.isLeader();
    Optional<Instant> reference = leader ? lastPass : lastStoreContact;
    boolean fresh = reference.map(t -> Duration.between(t, now).compareTo(limit) <= 0).orElse(false);
    // A new leader has not passed yet: judge it by its store contact until the first pass is due.
    if (leader && lastPass.isEmpty()) {
      fresh = lastStoreContact.map(t -> Duration.between(t, now).compareTo(limit) <= 0).orElse(false);
    }
    boolean healthy = fresh && !storeUnreachable;
    return new Health(healthy, leader, lastPass, lastStoreContact, healthy ? "" : lastProblem);
  }

  public boolean isLeader() {
    return lease.isLeader();
  }

  public Optional<Long> fencingToken() {
    return lease.held().map(l -> l.fencingToken());
  }

  public String holderId() {
    return lease.holder();
  }

  /** Stops the loop and gives leadership up so a standby takes over at once. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
    }
    wake();
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(Duration.ofSeconds(30).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      lease.release();
    } catch (RuntimeException e) {
      log.warn("could not release the lease ({}); a standby takes over when it expires", e.getMessage());
    }
    metrics.leader(false, 0);
  }
}
