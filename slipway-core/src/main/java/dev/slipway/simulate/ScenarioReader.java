package dev.slipway.simulate;

import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import dev.slipway.simulate.YamlTree.ListNode;
import dev.slipway.simulate.YamlTree.MapNode;
import dev.slipway.simulate.YamlTree.Node;
import dev.slipway.simulate.YamlTree.Position;
import dev.slipway.simulate.YamlTree.Scalar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a scenario file and reports every problem at once as {@code file:line:col key.path:
 * message; allowed: ...} ({@link ConfigException}). Parsing never consults the Slipway
 * configuration; {@link Scenario#problemsAgainst} checks the names afterwards.
 */
public final class ScenarioReader {
  /** When a file gives no {@code start}: a fixed instant, so runs are reproducible. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

  private static final Set<String> TOP = Set.of("config", "start", "end", "burst_from", "seed", "cluster", "pool_defaults",
      "pools", "jobs", "events");
  private static final Set<String> CLUSTER = Set.of("suspend_time", "resume_timeout", "suspend_timeout",
      "sched_interval", "power_save_interval", "slurmd_timeout", "requeue_delay", "return_to_service",
      "idle_on_node_suspend");
  private static final Set<String> POOL = Set.of("boot_time", "faults", "capacity");
  private static final Set<String> FAULTS = Set.of("start_task_failure", "unusable");
  private static final Set<String> JOB = Set.of("at", "partition", "nodes", "duration", "constraint", "requeue");
  private static final Set<String> GENERATOR = Set.of("count", "every", "start", "partition", "nodes", "duration",
      "constraint", "requeue", "seed");
  private static final Set<String> EVENT = Set.of("at", "kind", "pool", "count", "duration");

  private final Path file;
  private final List<ConfigProblem> problems = new ArrayList<>();
  private final List<Scenario.Reference> references = new ArrayList<>();

  private ScenarioReader(Path file) {
    this.file = file;
  }

  public static Scenario read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(List.of(ConfigProblem.error(Optional.of(file), 0, 0, "", "cannot read the scenario: "
          + e.getMessage(), null)));
    }
    return parse(text, file);
  }

  /** Parses {@code text} as if read from {@code file} (which resolves {@code config}). */
  public static Scenario parse(String text, Path file) {
    return new ScenarioReader(file).parse(text);
  }

  private Scenario parse(String text) {
    YamlTree.Parsed parsed;
    try {
      parsed = YamlTree.parse(text);
    } catch (IOException e) {
      throw new ConfigException(List.of(ConfigProblem.error(Optional.of(file), 0, 0, "", "not valid YAML: "
          + e.getMessage().lines().findFirst().orElse(""), null)));
    }
    for (int i = 0; i < parsed.duplicateKeys().size(); i++) {
      error(parsed.duplicatePositions().get(i), parsed.duplicateKeys().get(i), "key appears twice", null);
    }
    if (parsed.root().isEmpty() || !(parsed.root().get() instanceof MapNode root)) {
      error(parsed.root().map(Node::position).orElse(Position.NONE), "", "a scenario is a mapping", String.join(", ",
          sorted(TOP)));
      throw new ConfigException(problems);
    }
    unknownKeys(root, "", TOP);

    Path base = Optional.ofNullable(file.toAbsolutePath().getParent()).orElse(Path.of(".").toAbsolutePath());
    Path configDir = text(root, "config", "", true).map(c -> base.resolve(c).normalize()).orElse(base);
    Instant start = text(root, "start", "", false).flatMap(s -> instant(root.entries().get("start"), "start", s))
        .orElse(DEFAULT_START);
    Duration endOffset = duration(root, "end", "", true, false).orElse(Duration.ZERO);
    Duration burstFrom = duration(root, "burst_from", "", false, false).orElse(Duration.ZERO);
    long seed = integer(root, "seed", "", false, Long.MIN_VALUE, Long.MAX_VALUE).orElse(1L);

    SlurmTiming timing = cluster(root);
    PoolBehaviour defaults = optionalMap(root, "pool_defaults", "")
        .map(m -> pool(m, "pool_defaults", PoolBehaviour.DEFAULT)).orElse(PoolBehaviour.DEFAULT);
    Map<String, PoolBehaviour> pools = new LinkedHashMap<>();
    optionalMap(root, "pools", "").ifPresent(m -> m.entries().forEach((id, node) -> {
      String path = "pools." + id;
      references.add(reference(Scenario.Reference.Kind.POOL, id, path, m.keyPositions().get(id)));
      asMap(node, path).ifPresent(pm -> pools.put(id, pool(pm, path, defaults)));
    }));
    List<JobSpec> jobs = jobs(root, start, seed);
    List<TimedEvent> events = events(root, start);

    if (endOffset.isNegative() || (root.entries().containsKey("end") && endOffset.isZero())) {
      error(root.entries().get("end").position(), "end", "must be after start", "a positive duration");
    }
    if (root.entries().containsKey("burst_from") && root.entries().containsKey("end") && burstFrom.compareTo(endOffset) >= 0) {
      error(root.entries().get("burst_from").position(), "burst_from", "must be before end", "a duration below end");
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new Scenario(file, configDir, start, start.plus(endOffset), start.plus(burstFrom), seed, timing, defaults, pools, jobs, events,
        references);
  }

  private SlurmTiming cluster(MapNode root) {
    SlurmTiming d = SlurmTiming.defaults();
    Optional<MapNode> c = optionalMap(root, "cluster", "");
    if (c.isEmpty()) {
      return d;
    }
    MapNode m = c.get();
    unknownKeys(m, "cluster", CLUSTER);
    Duration suspendTime = duration(m, "suspend_time", "cluster", false, true).orElse(d.suspendTime());
    Duration resumeTimeout = duration(m, "resume_timeout", "cluster", false, true).orElse(d.resumeTimeout());
    Duration suspendTimeout = duration(m, "suspend_timeout", "cluster", false, true).orElse(d.suspendTimeout());
    Duration sched = duration(m, "sched_interval", "cluster", false, true).orElse(d.schedInterval());
    Duration powerSave = duration(m, "power_save_interval", "cluster", false, true).orElse(d.powerSaveInterval());
    Duration slurmd = duration(m, "slurmd_timeout", "cluster", false, true).orElse(d.slurmdTimeout());
    Duration requeueDelay = duration(m, "requeue_delay", "cluster", false, false).orElse(d.requeueDelay());
    int rts = integer(m, "return_to_service", "cluster", false, 0, 2).map(Long::intValue).orElse(d.returnToService());
    boolean idleOnSuspend = bool(m, "idle_on_node_suspend", "cluster").orElse(d.idleOnNodeSuspend());
    return new SlurmTiming(suspendTime, resumeTimeout, suspendTimeout, sched, powerSave, slurmd, requeueDelay, rts,
        idleOnSuspend);
  }

  private PoolBehaviour pool(MapNode m, String path, PoolBehaviour defaults) {
    unknownKeys(m, path, POOL);
    BootTime boot = Optional.ofNullable(m.entries().get("boot_time"))
        .flatMap(n -> bootTime(n, path + ".boot_time")).orElse(defaults.bootTime());
    double startTaskFailure = defaults.startTaskFailure();
    double unusable = defaults.unusable();
    Optional<MapNode> faults = optionalMap(m, "faults", path);
    if (faults.isPresent()) {
      unknownKeys(faults.get(), path + ".faults", FAULTS);
      startTaskFailure = probability(faults.get(), "start_task_failure", path + ".faults").orElse(startTaskFailure);
      unusable = probability(faults.get(), "unusable", path + ".faults").orElse(unusable);
    }
    OptionalInt capacity = integer(m, "capacity", path, false, 0, Integer.MAX_VALUE)
        .map(v -> OptionalInt.of(v.intValue())).orElse(defaults.capacity());
    return new PoolBehaviour(boot, startTaskFailure, unusable, capacity);
  }

  private Optional<BootTime> bootTime(Node n, String path) {
    if (n instanceof Scalar s) {
      return s.text().flatMap(t -> durationValue(n, path, t, true)).map(BootTime.Fixed::new);
    }
    Optional<MapNode> map = asMap(n, path);
    if (map.isEmpty()) {
      return Optional.empty();
    }
    MapNode m = map.get();
    String kind = text(m, "distribution", path, true).orElse("");
    switch (kind) {
      case "fixed" -> {
        unknownKeys(m, path, Set.of("distribution", "value"));
        return duration(m, "value", path, true, false).map(BootTime.Fixed::new);
      }
      case "uniform" -> {
        unknownKeys(m, path, Set.of("distribution", "min", "max"));
        Optional<Duration> min = duration(m, "min", path, true, false);
        Optional<Duration> max = duration(m, "max", path, true, false);
        if (min.isPresent() && max.isPresent() && max.get().compareTo(min.get()) < 0) {
          error(m.entries().get("max").position(), path + ".max", "is less than min " + text(min.get()),
              "a duration >= min");
          return Optional.empty();
        }
        return min.flatMap(a -> max.map(b -> new BootTime.Uniform(a, b)));
      }
      case "lognormal" -> {
        unknownKeys(m, path, Set.of("distribution", "median", "sigma"));
        Optional<Duration> median = duration(m, "median", path, true, true);
        Optional<Double> sigma = number(m, "sigma", path, true, 0, 10);
        return median.flatMap(a -> sigma.map(b -> new BootTime.LogNormal(a, b)));
      }
      default -> {
        if (!kind.isEmpty()) {
          error(m.entries().get("distribution").position(), path + ".distribution", "unknown distribution '" + kind
              + "'", "fixed, uniform, lognormal");
        }
        return Optional.empty();
      }
    }
  }

  private List<JobSpec> jobs(MapNode root, Instant start, long seed) {
    List<JobSpec> jobs = new ArrayList<>();
    Optional<ListNode> list = optionalList(root, "jobs", "");
    if (list.isEmpty()) {
      return jobs;
    }
    List<Node> items = list.get().items();
    for (int i = 0; i < items.size(); i++) {
      String path = "jobs[" + i + "]";
      Optional<MapNode> m = asMap(items.get(i), path);
      if (m.isEmpty()) {
        continue;
      }
      if (m.get().entries().containsKey("generate")) {
        unknownKeys(m.get(), path, Set.of("generate"));
        long derived = seed ^ ((i + 1) * 0x9E3779B97F4A7C15L);
        asMap(m.get().entries().get("generate"), path + ".generate")
            .ifPresent(g -> jobs.addAll(generate(g, path + ".generate", start, derived)));
      } else {
        job(m.get(), path, start).ifPresent(jobs::add);
      }
    }
    // Stable sort: jobs at the same instant keep file order, which becomes their job id order.
    jobs.sort(Comparator.comparing(JobSpec::at));
    return jobs;
  }

  private Optional<JobSpec> job(MapNode m, String path, Instant start) {
    unknownKeys(m, path, JOB);
    Optional<Duration> at = duration(m, "at", path, true, false);
    Optional<String> partition = partition(m, path);
    Optional<Long> nodes = integer(m, "nodes", path, true, 1, 100_000);
    Optional<Duration> duration = duration(m, "duration", path, true, false);
    Optional<String> constraint = constraint(m, path);
    boolean requeue = bool(m, "requeue", path).orElse(true);
    if (at.isEmpty() || partition.isEmpty() || nodes.isEmpty() || duration.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new JobSpec(start.plus(at.get()), partition.get(), nodes.get().intValue(), duration.get(),
        constraint, requeue));
  }

  private List<JobSpec> generate(MapNode m, String path, Instant start, long derivedSeed) {
    unknownKeys(m, path, GENERATOR);
    Optional<Long> count = integer(m, "count", path, true, 1, 1_000_000);
    Optional<Duration> every = duration(m, "every", path, true, false);
    Duration first = duration(m, "start", path, false, false).orElse(Duration.ZERO);
    Optional<String> partition = partition(m, path);
    Optional<long[]> nodes = range(m, "nodes", path, v -> integerValue(v), "1-4 or 2 (whole numbers >= 1)");
    Optional<long[]> durations = range(m, "duration", path, v -> DurationText.parse(v).map(Duration::toMillis),
        "5m-20m or 10m (" + DurationText.ALLOWED + ")");
    Optional<String> constraint = constraint(m, path);
    boolean requeue = bool(m, "requeue", path).orElse(true);
    long seed = integer(m, "seed", path, false, Long.MIN_VALUE, Long.MAX_VALUE).orElse(derivedSeed);
    if (nodes.isPresent() && nodes.get()[0] < 1) {
      error(m.entries().get("nodes").position(), path + ".nodes", "must be at least 1", "1-4 or 2");
      nodes = Optional.empty();
    }
    if (count.isEmpty() || every.isEmpty() || partition.isEmpty() || nodes.isEmpty() || durations.isEmpty()) {
      return List.of();
    }
    Random random = new Random(seed);
    List<JobSpec> out = new ArrayList<>();
    for (long i = 0; i < count.get(); i++) {
      long n = between(random, nodes.get());
      long millis = between(random, durations.get());
      out.add(new JobSpec(start.plus(first).plus(every.get().multipliedBy(i)), partition.get(), (int) n,
          Duration.ofMillis(millis), constraint, requeue));
    }
    return out;
  }

  private static long between(Random random, long[] range) {
    return range[0] == range[1] ? range[0] : range[0] + random.nextLong(range[1] - range[0] + 1);
  }

  private List<TimedEvent> events(MapNode root, Instant start) {
    List<TimedEvent> events = new ArrayList<>();
    Optional<ListNode> list = optionalList(root, "events", "");
    if (list.isEmpty()) {
      return events;
    }
    List<Node> items = list.get().items();
    for (int i = 0; i < items.size(); i++) {
      String path = "events[" + i + "]";
      Optional<MapNode> mm = asMap(items.get(i), path);
      if (mm.isEmpty()) {
        continue;
      }
      MapNode m = mm.get();
      unknownKeys(m, path, EVENT);
      Optional<Duration> at = duration(m, "at", path, true, false);
      Optional<TimedEvent.Kind> kind = text(m, "kind", path, true).flatMap(k -> {
        try {
          return Optional.of(TimedEvent.Kind.valueOf(k.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          error(m.entries().get("kind").position(), path + ".kind", "unknown event kind '" + k + "'",
              "daemon_crash, daemon_restart, preempt, capacity_outage");
          return Optional.empty();
        }
      });
      if (kind.isEmpty()) {
        continue;
      }
      boolean poolEvent = kind.get() == TimedEvent.Kind.PREEMPT || kind.get() == TimedEvent.Kind.CAPACITY_OUTAGE;
      Optional<String> pool = text(m, "pool", path, poolEvent);
      pool.ifPresent(p -> references.add(reference(Scenario.Reference.Kind.POOL, p, path + ".pool",
          m.entries().get("pool").position())));
      if (!poolEvent) {
        forbid(m, path, "pool", kind.get());
        forbid(m, path, "count", kind.get());
      }
      if (kind.get() != TimedEvent.Kind.CAPACITY_OUTAGE && kind.get() != TimedEvent.Kind.DAEMON_CRASH) {
        forbid(m, path, "duration", kind.get());
      }
      boolean countRequired = kind.get() == TimedEvent.Kind.PREEMPT;
      long min = countRequired ? 1 : 0;
      long count = integer(m, "count", path, countRequired, min, 1_000_000).orElse(0L);
      Optional<Duration> duration = duration(m, "duration", path, kind.get() == TimedEvent.Kind.CAPACITY_OUTAGE, true);
      if (at.isPresent() && (!poolEvent || pool.isPresent())) {
        events.add(new TimedEvent(start.plus(at.get()), kind.get(), pool, (int) count, duration));
      }
    }
    events.sort(Comparator.comparing(TimedEvent::at));
    return events;
  }

  private void forbid(MapNode m, String path, String key, TimedEvent.Kind kind) {
    if (m.entries().containsKey(key)) {
      error(m.keyPositions().get(key), path + "." + key, "does not apply to " + kind.name().toLowerCase(Locale.ROOT)
          + " events", null);
    }
  }

  private Optional<String> partition(MapNode m, String path) {
    Optional<String> p = text(m, "partition", path, true);
    p.ifPresent(name -> references.add(reference(Scenario.Reference.Kind.PARTITION, name, path + ".partition",
        m.entries().get("partition").position())));
    return p;
  }

  private Optional<String> constraint(MapNode m, String path) {
    Optional<String> c = text(m, "constraint", path, false);
    if (c.isPresent()) {
      try {
        FeatureConstraint.parse(c.get());
      } catch (IllegalArgumentException e) {
        error(m.entries().get("constraint").position(), path + ".constraint", e.getMessage(), "a, a&b, a|b");
        return Optional.empty();
      }
    }
    return c;
  }

  // ---- typed access, each reporting its own problem ------------------------------------------

  private Optional<MapNode> optionalMap(MapNode parent, String key, String path) {
    return Optional.ofNullable(parent.entries().get(key)).flatMap(n -> asMap(n, join(path, key)));
  }

  private Optional<ListNode> optionalList(MapNode parent, String key, String path) {
    Node n = parent.entries().get(key);
    if (n == null || (n instanceof Scalar s && s.text().isEmpty())) {
      return Optional.empty();
    }
    if (n instanceof ListNode l) {
      return Optional.of(l);
    }
    error(n.position(), join(path, key), "must be a list", null);
    return Optional.empty();
  }

  private Optional<MapNode> asMap(Node n, String path) {
    if (n instanceof MapNode m) {
      return Optional.of(m);
    }
    if (n instanceof Scalar s && s.text().isEmpty()) {
      return Optional.empty();
    }
    error(n.position(), path, "must be a mapping", null);
    return Optional.empty();
  }

  private Optional<String> text(MapNode m, String key, String path, boolean required) {
    Node n = m.entries().get(key);
    if (n == null || (n instanceof Scalar s && s.text().isEmpty())) {
      if (required) {
        error(n == null ? m.position() : n.position(), join(path, key), "is required", null);
      }
      return Optional.empty();
    }
    if (n instanceof Scalar s && !s.text().get().isBlank()) {
      return s.text().map(String::trim);
    }
    error(n.position(), join(path, key), "must be a non-empty text value", null);
    return Optional.empty();
  }

  private Optional<Duration> duration(MapNode m, String key, String path, boolean required, boolean positive) {
    return text(m, key, path, required).flatMap(t -> durationValue(m.entries().get(key), join(path, key), t, positive));
  }

  private Optional<Duration> durationValue(Node n, String path, String t, boolean positive) {
    Optional<Duration> d = DurationText.parse(t);
    if (d.isEmpty() || d.get().isNegative() || (positive && d.get().isZero())) {
      error(n.position(), path, "'" + t + "' is not a " + (positive ? "positive " : "") + "duration",
          DurationText.ALLOWED);
      return Optional.empty();
    }
    return d;
  }

  private Optional<Long> integer(MapNode m, String key, String path, boolean required, long min, long max) {
    return text(m, key, path, required).flatMap(t -> {
      Optional<Long> v = integerValue(t);
      if (v.isEmpty() || v.get() < min || v.get() > max) {
        error(m.entries().get(key).position(), join(path, key), "'" + t + "' is not a whole number in range",
            min + ".." + max);
        return Optional.empty();
      }
      return v;
    });
  }

  private static Optional<Long> integerValue(String t) {
    try {
      return Optional.of(Long.parseLong(t.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private Optional<Double> number(MapNode m, String key, String path, boolean required, double min, double max) {
    return text(m, key, path, required).flatMap(t -> {
      try {
        double v = Double.parseDouble(t);
        if (v >= min && v <= max && !Double.isNaN(v)) {
          return Optional.of(v);
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      error(m.entries().get(key).position(), join(path, key), "'" + t + "' is not a number in range", min + ".." + max);
      return Optional.empty();
    });
  }

  private Optional<Double> probability(MapNode m, String key, String path) {
    return number(m, key, path, false, 0, 1);
  }

  private Optional<Boolean> bool(MapNode m, String key, String path) {
    return text(m, key, path, false).flatMap(t -> {
      switch (t.toLowerCase(Locale.ROOT)) {
        case "true", "yes" -> {
          return Optional.of(true);
        }
        case "false", "no" -> {
          return Optional.of(false);
        }
        default -> {
          error(m.entries().get(key).position(), join(path, key), "'" + t + "' is not a boolean", "true, false");
          return Optional.empty();
        }
      }
    });
  }

  /** {@code a-b} or a single value, or a mapping {@code {min, max}}; values parsed by {@code parse}. */
  private Optional<long[]> range(MapNode m, String key, String path, Function<String, Optional<Long>> parse,
      String allowed) {
    Node n = m.entries().get(key);
    String p = join(path, key);
    if (n == null) {
      error(m.position(), p, "is required", allowed);
      return Optional.empty();
    }
    Optional<Long> lo;
    Optional<Long> hi;
    if (n instanceof MapNode r) {
      unknownKeys(r, p, Set.of("min", "max"));
      lo = text(r, "min", p, true).flatMap(parse);
      hi = text(r, "max", p, true).flatMap(parse);
    } else if (n instanceof Scalar s && s.text().isPresent()) {
      String t = s.text().get().trim();
      int dash = t.indexOf('-', 1);
      lo = parse.apply(dash < 0 ? t : t.substring(0, dash));
      hi = dash < 0 ? lo : parse.apply(t.substring(dash + 1));
    } else {
      lo = Optional.empty();
      hi = Optional.empty();
    }
    if (lo.isEmpty() || hi.isEmpty() || lo.get() < 0 || hi.get() < lo.get()) {
      error(n.position(), p, "is not a range (low-high with low <= high, or one value)", allowed);
      return Optional.empty();
    }
    return Optional.of(new long[] {lo.get(), hi.get()});
  }

  private Optional<Instant> instant(Node n, String path, String t) {
    try {
      return Optional.of(Instant.parse(t));
    } catch (DateTimeParseException e) {
      error(n.position(), path, "'" + t + "' is not an instant", "ISO-8601 UTC, e.g. 2026-01-01T00:00:00Z");
      return Optional.empty();
    }
  }

  private void unknownKeys(MapNode m, String path, Set<String> allowed) {
    for (String key : m.entries().keySet()) {
      if (!allowed.contains(key)) {
        error(m.keyPositions().get(key), join(path, key), "unknown key", String.join(", ", sorted(allowed)));
      }
    }
  }

  private Scenario.Reference reference(Scenario.Reference.Kind kind, String name, String path, Position at) {
    return new Scenario.Reference(kind, name, path, at.line(), at.column());
  }

  private void error(Position at, String path, String message, String allowed) {
    problems.add(ConfigProblem.error(Optional.of(file), at.line(), at.column(), path, message, allowed));
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static List<String> sorted(Set<String> keys) {
    return keys.stream().sorted().toList();
  }

  private static String text(Duration d) {
    return d.toString().substring(2).toLowerCase(Locale.ROOT);
  }
}
