package dev.slipway.cli.daemon;

import dev.slipway.engine.Reconciler;
import dev.slipway.engine.Reconciler.PassResult;
import dev.slipway.hooks.SpoolImporter;
import dev.slipway.spi.Lease;
import dev.slipway.spi.StateStore;
import dev.slipway.spi.StoreActivity;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's loop: leadership, and reconcile passes when something may have changed.
 *
 * <p><b>Design.</b> Two threads. The lease thread runs {@link #renewTick()}: it renews the lease
 * every {@code renewEvery}, or, as standby, tries to take it about every {@code pollEvery} (it
 * succeeds once the leader stopped renewing for a TTL, or released it on shutdown). The pass thread
 * runs {@link #passTick()} about every {@code pollEvery} or at once when woken ({@link #wake()}: a
 * hook's {@code POST /v1/wake}, or a node that joined). As leader it runs a pass when woken, when the
 * store's newest intent sequence changed or a host joined (hooks' wake-ups are best-effort, so the
 * daemon polls {@link StateStore#activity()}, a counter and an index, rather than rely on them), every {@code joiningPeriod} while a host has joined but not
 * registered (registration is not pushed to the daemon), and every {@code period} regardless.
 *
 * <p><b>Why renewal has its own thread.</b> A pass can block longer than the lease: {@code scontrol}
 * waits about 20 s when the primary slurmctld is down, and the lease lasts 15 s. With renewal on
 * the pass thread, the leader lost its lease in every slow pass, exactly while the controllers
 * failed over. Bounding scontrol below the lease instead would fail calls that succeed through the
 * backup controller. So a live leader keeps its lease however long a call blocks; a frozen process
 * (GC, suspended VM) renews nothing and is replaced. What a pass changes goes through
 * {@link LeaderFence}: every store write, pool call and Slurm update first checks that the lease
 * held at the start of the pass is still held, with the same fencing token and at least
 * {@code leaseTtl / 10} to run. A pass stuck longer than 8 TTLs (2 minutes) stops the renewals and
 * gives the lease up, so a hung call cannot keep a useless leader in place; while it is stuck, this
 * daemon does not try to lead again.
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
 * <p><b>Event retention.</b> After a pass, at most every {@link EventRetention#every()}, the leader
 * deletes events older than {@link EventRetention#maxAge()} in bounded batches.
 *
 * <p><b>Time</b> comes from the injected clock; tests drive {@link #tick()} by hand with a fake
 * clock and never start the thread.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /** Timings of the loop; {@link #defaults()} are the production values. */
  public record Timings(Duration leaseTtl, Duration renewEvery, Duration period, Duration pollEvery, Duration joiningPeriod) {
    public Timings {
      Objects.requireNonNull(leaseTtl, "leaseTtl");
      Objects.requireNonNull(renewEvery, "renewEvery");
      Objects.requireNonNull(period, "period");
      Objects.requireNonNull(pollEvery, "pollEvery");
      Objects.requireNonNull(joiningPeriod, "joiningPeriod");
      if (joiningPeriod.isNegative() || joiningPeriod.isZero()) {
        throw new IllegalArgumentException("joining period " + joiningPeriod + " must be positive");
      }
      if (renewEvery.compareTo(leaseTtl) >= 0) {
        throw new IllegalArgumentException("lease renewal every " + renewEvery + " must be shorter than the lease TTL " + leaseTtl);
      }
      if (period.isNegative() || period.isZero() || pollEvery.isNegative() || pollEvery.isZero()) {
        throw new IllegalArgumentException("period " + period + " and poll interval " + pollEvery + " must be positive");
      }
    }

    /** Timings that poll joined hosts as often as the store ({@code pollEvery}). */
    public Timings(Duration leaseTtl, Duration renewEvery, Duration period, Duration pollEvery) {
      this(leaseTtl, renewEvery, period, pollEvery, pollEvery);
    }

    public static Timings defaults() {
      return new Timings(Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    public Timings withPeriod(Duration newPeriod) {
      return new Timings(leaseTtl, renewEvery, newPeriod, pollEvery, joiningPeriod);
    }

    /** A side effect needs this much lease left: the time from the check to the call, and clock skew. */
    public Duration fenceMargin() {
      return leaseTtl.dividedBy(10);
    }

    /** A pass running longer than this is stuck: the daemon stops renewing and gives the lease up. */
    public Duration stuckPass() {
      return leaseTtl.multipliedBy(8);
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
  private final Runnable onLead;
  private final Runnable afterPass;
  private final EventRetention retention;
  private volatile boolean running;
  private Thread thread;
  private Thread leaseThread;

  // lease thread
  private Instant nextRenewal = Instant.MIN;
  // pass thread
  private Instant nextPeriodicPass = Instant.MIN;
  private Instant nextPrune = Instant.MIN;
  private long passToken;
  private long preparedToken = Long.MIN_VALUE;
  // both
  private volatile Optional<Instant> passStartedAt = Optional.empty();
  private OptionalLong seenIntentSeq = OptionalLong.empty();
  private Set<String> seenJoined = Set.of();
  private boolean passFailed;
  private volatile Optional<Instant> lastPass = Optional.empty();
  private volatile Optional<Instant> lastStoreContact = Optional.empty();
  private volatile String lastProblem = "";
  private volatile boolean storeUnreachable;

  /**
   * How old events are deleted: the leader deletes events older than {@code maxAge} every
   * {@code every}, at most {@code batch} rows per store call (see docs/state-store.md, "Event
   * retention").
   */
  public record EventRetention(Duration maxAge, Duration every, int batch) {
    /** The configuration's default ({@code slipway.event_retention}). */
    public static final Duration DEFAULT_MAX_AGE = dev.slipway.config.SlipwaySettings.DEFAULT_EVENT_RETENTION;

    public EventRetention {
      Objects.requireNonNull(maxAge, "maxAge");
      Objects.requireNonNull(every, "every");
      if (maxAge.isNegative() || maxAge.isZero() || every.isNegative() || every.isZero() || batch < 1) {
        throw new IllegalArgumentException("event retention " + maxAge + ", every " + every + ", batch " + batch + " must be positive");
      }
    }

    /** Events kept for {@code maxAge}, pruned every 10 minutes, 1000 rows per call. */
    public static EventRetention keeping(Duration maxAge) {
      return new EventRetention(maxAge, Duration.ofMinutes(10), 1000);
    }

    public static EventRetention defaults() {
      return keeping(DEFAULT_MAX_AGE);
    }

    /** At most this many store calls per round, so a huge first backlog does not hold the pass thread. */
    static final int MAX_BATCHES_PER_ROUND = 50;
  }

  /**
   * A daemon around {@code store}, leading as {@code holderId}; {@code reconcilerFor} builds the
   * reconciler around the leadership check the daemon provides (the reconciler asks it after
   * planning, before applying). Everything else has a default the builder names.
   */
  public static Builder builder(StateStore store, String holderId, Function<Leadership, Reconciler> reconcilerFor) {
    return new Builder(store, holderId, reconcilerFor);
  }

  /** What a daemon is built from; callers set only what differs from the defaults. */
  public static final class Builder {
    private final StateStore store;
    private final String holderId;
    private final Function<Leadership, Reconciler> reconcilerFor;
    private Timings timings = Timings.defaults();
    private InstantSource clock = InstantSource.system();
    private DaemonMetrics metrics = new DaemonMetrics();
    private Runnable onLead = () -> {};
    private Runnable afterPass = () -> {};
    private Optional<SpoolImporter> spool = Optional.empty();
    private EventRetention eventRetention = EventRetention.defaults();

    private Builder(StateStore store, String holderId, Function<Leadership, Reconciler> reconcilerFor) {
      this.store = Objects.requireNonNull(store, "store");
      this.holderId = Objects.requireNonNull(holderId, "holderId");
      this.reconcilerFor = Objects.requireNonNull(reconcilerFor, "reconcilerFor");
    }

    /** Default {@link Timings#defaults()}. */
    public Builder timings(Timings timings) {
      this.timings = Objects.requireNonNull(timings, "timings");
      return this;
    }

    /** Default the system clock. */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Default a fresh, unshared set. */
    public Builder metrics(DaemonMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** Runs on the pass thread each time this daemon becomes leader, before its first pass. Default nothing. */
    public Builder onLead(Runnable onLead) {
      this.onLead = Objects.requireNonNull(onLead, "onLead");
      return this;
    }

    /** Runs on the pass thread after each pass that ran to the end (still leading). Default nothing. */
    public Builder afterPass(Runnable afterPass) {
      this.afterPass = Objects.requireNonNull(afterPass, "afterPass");
      return this;
    }

    /** Imported at the start of every pass-thread round, on standbys too. Default none. */
    public Builder spool(SpoolImporter spool) {
      this.spool = Optional.of(spool);
      return this;
    }

    /** Default {@link EventRetention#defaults()}. */
    public Builder eventRetention(EventRetention eventRetention) {
      this.eventRetention = Objects.requireNonNull(eventRetention, "eventRetention");
      return this;
    }

    public Daemon build() {
      return new Daemon(this);
    }
  }

  private Daemon(Builder b) {
    this.onLead = b.onLead;
    this.afterPass = b.afterPass;
    this.spool = b.spool;
    this.store = b.store;
    this.timings = b.timings;
    this.clock = b.clock;
    this.metrics = b.metrics;
    this.retention = b.eventRetention;
    this.lease = new LeaderLease(store, b.holderId, timings.leaseTtl(), clock);
    this.reconciler = b.reconcilerFor.apply(new Leadership() {
      @Override
      public boolean getAsBoolean() {
        return stillLeading();
      }

      @Override
      public boolean holds() {
        return fenceHolds();
      }
    });
  }

  /**
   * What the reconciler is built around: {@link #getAsBoolean()} confirms leadership against the
   * store (once per pass, after planning); {@link #holds()} is the cheap check {@link LeaderFence}
   * makes before every side effect.
   */
  public interface Leadership extends BooleanSupplier {
    boolean holds();
  }

  /** Starts the pass thread and the lease thread. */
  public synchronized void start() {
    if (thread != null) {
      throw new IllegalStateException("daemon already started");
    }
    running = true;
    leaseThread = new Thread(this::leaseLoop, "slipway-lease");
    leaseThread.setDaemon(true);
    leaseThread.start();
    thread = new Thread(this::loop, "slipway-daemon");
    thread.setDaemon(false);
    thread.start();
  }

  private void leaseLoop() {
    while (running) {
      renewTick();
      Duration wait = lease.isLeader() ? timings.renewEvery() : timings.pollEvery();
      synchronized (leaseSignal) {
        if (running) {
          try {
            leaseSignal.wait(Math.max(1, wait.toMillis()));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }
  }

  private final Object leaseSignal = new Object();

  /** Asks for a pass as soon as possible (cheap, any thread, never blocks). */
  public void wake() {
    woken.set(true);
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  private void loop() {
    while (running) {
      passTick();
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

  /** One round of both threads' work, for tests that drive the daemon by hand: lease, then maybe a pass. Never throws. */
  public void tick() {
    renewTick();
    passTick();
  }

  /**
   * The lease thread's round: renew the lease when due, or try to take it as standby. A pass stuck
   * past {@link Timings#stuckPass()} makes the leader give the lease up instead, and a daemon whose
   * pass is still running never takes the lease again until that pass ends. Never throws.
   */
  public void renewTick() {
    Instant now = clock.instant();
    Optional<Instant> started = passStartedAt;
    boolean stuck = started.map(t -> Duration.between(t, now).compareTo(timings.stuckPass()) > 0).orElse(false);
    try {
      if (lease.isLeader() && stuck) {
        log.warn("a reconcile pass has been running since {} (over {} s); giving leadership up", started.get(),
            timings.stuckPass().toSeconds());
        lease.release();
        nextRenewal = Instant.MIN;
      } else if (!lease.isLeader() && started.isPresent()) {
        // the old pass may still apply what it planned; its fence refuses, but only while we do not lead
      } else if (!now.isBefore(nextRenewal) || !lease.isLeader()) {
        boolean before = lease.isLeader();
        boolean leading = lease.tryLead();
        storeUnreachable = false;
        lastStoreContact = Optional.of(now);
        nextRenewal = now.plus(timings.renewEvery());
        if (leading && !before) {
          wake();
        }
      }
    } catch (RuntimeException e) {
      storeUnreachable = true;
      problem("cannot renew the lease", e);
    }
    metrics.leader(lease.isLeader(), lease.held().map(l -> l.fencingToken()).orElse(0L));
  }

  /** The pass thread's round: as leader, a pass when one is due. Never throws. */
  public void passTick() {
    // Standbys import too: the hooks' calls reach the store even while no daemon can lead.
    importSpool();
    Optional<Lease> leading = lease.held();
    if (leading.isEmpty()) {
      return;
    }
    // Keyed on the token, not on a flag the lease thread sets: the lease becomes visible before any
    // flag would, and a pass in between would run on an unprepared provider (LocalHaClusterIT saw
    // a new leader release every host as "node missing" that way).
    if (leading.get().fencingToken() != preparedToken) {
      try {
        onLead.run();
      } catch (RuntimeException e) {
        problem("cannot prepare to lead", e);
        return;
      }
      preparedToken = leading.get().fencingToken();
      nextPeriodicPass = Instant.MIN;
      seenIntentSeq = OptionalLong.empty();
      // Another leader may have acted meanwhile: the first pass of this leadership reads everything.
      reconciler.resync();
    }
    Instant now = clock.instant();
    try {
      String reason = passReason(now);
      if (reason.isEmpty()) {
        return;
      }
      Optional<Lease> held = lease.held();
      if (held.isEmpty() || !lease.confirm()) {
        metrics.leader(false, 0);
        return;
      }
      passToken = held.get().fencingToken();
      lastStoreContact = Optional.of(clock.instant());
      PassResult result;
      passStartedAt = Optional.of(clock.instant());
      try {
        result = reconciler.pass();
      } finally {
        passStartedAt = Optional.empty();
      }
      Instant done = clock.instant();
      lastPass = Optional.of(done);
      // Only the JOINED hosts: the intent sequence stays as last polled, so an intent recorded
      // during the pass still triggers the next one.
      seenJoined = store.activity().joinedHosts();
      boolean joining = !seenJoined.isEmpty();
      nextPeriodicPass = done.plus(joining && timings.joiningPeriod().compareTo(timings.period()) < 0 ? timings.joiningPeriod() : timings.period());
      passFailed = false;
      metrics.pass("ok");
      if (!result.plan().actions().isEmpty() || result.conflicts() > 0 || result.providerFailures() > 0 || result.slurmFailures() > 0) {
        log.info("pass ({}): {} actions, {} conflicts, {} provider failures, {} Slurm failures", reason,
            result.plan().actions().size(), result.conflicts(), result.providerFailures(), result.slurmFailures());
      } else {
        log.debug("pass ({}): nothing to do", reason);
      }
      if (fenceHolds()) {
        afterPass.run();
        if (!done.isBefore(nextPrune) && fenceHolds()) {
          pruneEvents(done);
        }
      }
    } catch (RuntimeException e) {
      passFailed = true;
      metrics.pass("error");
      metrics.error(e);
      problem("reconcile pass failed", e);
    }
  }

  /**
   * Deletes events older than the retention, a bounded batch per store call and a bounded number
   * of calls per round. A round that stopped with a backlog left runs again after the next pass
   * instead of waiting for {@link EventRetention#every()}, so a large first backlog drains in
   * steps that never hold the store (or this thread) for long. Failures are logged, never fatal.
   */
  private void pruneEvents(Instant now) {
    Instant before = now.minus(retention.maxAge());
    int deleted = 0;
    boolean backlog = false;
    try {
      for (int round = 0; round < EventRetention.MAX_BATCHES_PER_ROUND; round++) {
        int n = store.deleteEventsBefore(before, retention.batch());
        deleted += n;
        backlog = n >= retention.batch();
        if (!backlog) {
          break;
        }
      }
      nextPrune = backlog ? now : now.plus(retention.every());
    } catch (RuntimeException e) {
      nextPrune = now.plus(retention.every());
      problem("cannot delete old events", e);
    }
    if (deleted > 0) {
      log.info("deleted {} events older than {}{}", deleted, before, backlog ? " (more left)" : "");
    }
  }

  /**
   * The fence: the lease this pass started with is still held, with its fencing token and at least
   * {@link Timings#fenceMargin()} to run. Local and cheap (no store read): a standby can take the
   * lease only after it expired, and this daemon wrote that expiry itself.
   */
  private boolean fenceHolds() {
    Optional<Lease> held = lease.held();
    return held.isPresent() && held.get().fencingToken() == passToken
        && clock.instant().plus(timings.fenceMargin()).isBefore(held.get().expiresAt());
  }

  /** Why a pass is due now, or "" when none is. */
  private String passReason(Instant now) {
    // The idle poll: a counter and the few JOINED hosts, never every intent and binding, since it
    // runs every pollEvery however large the cluster is. Read before any other reason is taken, so
    // that what a pass for another reason covers does not cause a second pass.
    StoreActivity activity = store.activity();
    lastStoreContact = Optional.of(now);
    OptionalLong seq = OptionalLong.of(activity.intentSequence());
    boolean newIntents = !seq.equals(seenIntentSeq);
    seenIntentSeq = seq;
    // A join accepted by another daemon (standbys serve joins too) wakes only that daemon.
    Set<String> joined = activity.joinedHosts();
    boolean newJoin = !seenJoined.containsAll(joined);
    seenJoined = joined;
    if (woken.getAndSet(false)) {
      return "woken";
    }
    if (newIntents) {
      return "new intents";
    }
    if (newJoin) {
      return "node joined";
    }
    if (passFailed) {
      return "retry after failure";
    }
    return now.isBefore(nextPeriodicPass) ? "" : "periodic";
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
    Thread l;
    synchronized (this) {
      running = false;
      t = thread;
      l = leaseThread;
    }
    wake();
    synchronized (leaseSignal) {
      leaseSignal.notifyAll();
    }
    for (Thread each : new Thread[] {l, t}) {
      if (each != null && each != Thread.currentThread()) {
        try {
          each.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
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
