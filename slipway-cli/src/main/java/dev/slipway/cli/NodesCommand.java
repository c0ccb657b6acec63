package dev.slipway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slipway.config.ClusterConfig;
import dev.slipway.engine.ClusterTopology;
import dev.slipway.engine.PoolTopology;
import dev.slipway.hooks.PowerSaveHook;
import dev.slipway.hooks.SpoolImporter;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.StateStore;
import java.io.PrintWriter;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code slipway nodes why|list}: what the state store knows about elastic hosts, read without a
 * daemon. {@code why} answers "why is this host DOWN / not coming up?" from its intent, its binding
 * and its event history (the question Batch Shipyard could not answer). Both first import the
 * power-save calls the hook wrappers spooled on this machine, so a call made while no daemon runs
 * shows as the intent it is.
 */
@Command(name = "nodes", mixinStandardHelpOptions = true, description = "Show elastic hosts and their history from the state store.",
    subcommands = {NodesCommand.Why.class, NodesCommand.ListHosts.class})
final class NodesCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: why or list");
  }

  /**
   * Imports the spooled hook calls, as the daemon would. When that is not possible (another user's
   * spool, a store failure) the command still shows what the store holds, with one line on stderr
   * saying how many calls are waiting.
   */
  static void importSpool(ClusterConfig cfg, ClusterTopology topology, StateStore store, PrintWriter err) {
    ClusterHome home = ClusterHome.of(cfg);
    java.nio.file.Path spool = home.spool();
    try {
      new SpoolImporter(spool, new PowerSaveHook(topology, store, InstantSource.system()), store, InstantSource.system(),
          Optional.of(home.logs().resolve("power.log"))).importAll();
    } catch (RuntimeException e) {
      int waiting;
      try {
        waiting = SpoolImporter.pending(spool).size();
      } catch (RuntimeException again) {
        waiting = -1;
      }
      err.println("slipway: note: " + (waiting < 0 ? "the" : waiting + "") + " power-save call" + (waiting == 1 ? " is" : "s are")
          + " spooled in " + spool + " and not imported yet (cannot import: " + e.getMessage() + "); the daemon imports them");
      err.flush();
    }
  }

  @Command(name = "why", mixinStandardHelpOptions = true, description = "Print a host's intent, binding, last error and history.")
  static final class Why implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin ConfigOptions config;

    @Parameters(paramLabel = "HOST", description = "An elastic host, e.g. gpu-3.")
    String host;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "How many events to show, newest (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public void run() {
      if (limit < 1) {
        throw new UsageException("--limit must be at least 1, got " + limit);
      }
      ClusterConfig cfg = config.load().config();
      ClusterTopology topology = ClusterTopology.fromConfig(cfg.slurm().options());
      Optional<PoolTopology> pool = topology.poolOfHost(host);
      try (StateStore store = Backends.openStore(cfg)) {
        importSpool(cfg, topology, store, spec.commandLine().getErr());
        Optional<HostIntent> intent = Optional.ofNullable(store.intents().get(host));
        Optional<HostBinding> binding = store.binding(host);
        List<HostEvent> events = store.hostEvents(host, limit);
        if (pool.isEmpty() && intent.isEmpty() && binding.isEmpty() && events.isEmpty()) {
          throw new IllegalArgumentException("unknown host " + host + ": not an elastic host of cluster " + cfg.slurm().clusterId()
              + " (hosts: " + topology.pools().stream().map(p -> p.hostPrefix() + "-[0-" + (p.maxNodes() - 1) + "]")
                  .collect(Collectors.joining(", ")) + ")");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("host " + host + pool.map(p -> " (pool " + p.poolId() + ", partition " + p.partition()
            + (p.reclaimExcluded().contains(host) ? ", never suspended" : "") + ")").orElse(" (no longer in the configuration)"));
        out.println("intent:  " + intent.map(i -> i.intent() + " #" + i.seq() + " from " + i.source().name().toLowerCase(java.util.Locale.ROOT)
            + " at " + i.at() + (i.jobIds().isEmpty() ? "" : " for jobs " + String.join(",", i.jobIds()))).orElse("none (never resumed)"));
        out.println("binding: " + binding.map(b -> b.phase() + b.nodeId().map(n -> " node " + n).orElse("")
            + b.address().map(a -> " at " + a).orElse("") + " since " + b.since()).orElse("none (no node serves it)"));
        Optional<ProviderError> error = binding.flatMap(HostBinding::error);
        out.println("last error: " + error.map(e -> e.summary() + ": " + e.message()).orElse("none"));
        out.println("history (" + events.size() + (events.size() == limit ? ", newest only" : "") + "):");
        if (events.isEmpty()) {
          out.println("  (no events)");
        }
        for (HostEvent e : events) {
          out.printf("  %s  %-14s %s%n", e.at(), e.kind(), e.message());
        }
        out.flush();
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List hosts that have an intent or a binding.")
  static final class ListHosts implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin ConfigOptions config;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    String output;

    record Row(String host, String pool, String intent, String phase, String node, String address, String error) {}

    @Override
    public void run() {
      if (!output.equals("table") && !output.equals("json")) {
        throw new UsageException("--output must be table or json, got '" + output + "'");
      }
      ClusterConfig cfg = config.load().config();
      ClusterTopology topology = ClusterTopology.fromConfig(cfg.slurm().options());
      List<Row> rows = new ArrayList<>();
      try (StateStore store = Backends.openStore(cfg)) {
        importSpool(cfg, topology, store, spec.commandLine().getErr());
        Map<String, HostIntent> intents = store.intents();
        Map<String, HostBinding> bindings = store.bindings();
        TreeSet<String> hosts = new TreeSet<>(hostOrder(topology));
        hosts.addAll(intents.keySet());
        hosts.addAll(bindings.keySet());
        for (String h : hosts) {
          Optional<HostIntent> i = Optional.ofNullable(intents.get(h));
          Optional<HostBinding> b = Optional.ofNullable(bindings.get(h));
          String pool = b.map(HostBinding::poolId).or(() -> i.map(HostIntent::poolId))
              .or(() -> topology.poolOfHost(h).map(PoolTopology::poolId)).orElse("-");
          rows.add(new Row(h, pool, i.map(x -> x.intent().name()).orElse("-"), b.map(x -> x.phase().name()).orElse("-"),
              b.flatMap(HostBinding::nodeId).orElse("-"), b.flatMap(HostBinding::address).orElse("-"),
              b.flatMap(HostBinding::error).map(ProviderError::summary).orElse("-")));
        }
      }
      PrintWriter out = spec.commandLine().getOut();
      if (output.equals("json")) {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ArrayNode array = json.createArrayNode();
        for (Row r : rows) {
          ObjectNode o = array.addObject();
          o.put("host", r.host()).put("pool", r.pool());
          putOrNull(o, "intent", r.intent());
          putOrNull(o, "phase", r.phase());
          putOrNull(o, "node_id", r.node());
          putOrNull(o, "address", r.address());
          putOrNull(o, "error", r.error());
        }
        out.println(array.toPrettyString());
      } else {
        String format = "%-16s %-12s %-6s %-10s %-24s %-15s %s%n";
        out.printf(format, "HOST", "POOL", "INTENT", "PHASE", "NODE", "ADDRESS", "ERROR");
        rows.forEach(r -> out.printf(format, r.host(), r.pool(), r.intent(), r.phase(), r.node(), r.address(), r.error()));
      }
      out.flush();
    }

    private static void putOrNull(ObjectNode o, String key, String value) {
      if (value.equals("-")) {
        o.putNull(key);
      } else {
        o.put(key, value);
      }
    }

    /** Pool by pool in configuration order, then by index; hosts outside the configuration last, by name. */
    private static java.util.Comparator<String> hostOrder(ClusterTopology topology) {
      List<PoolTopology> pools = topology.pools();
      return java.util.Comparator.<String>comparingInt(h -> topology.poolOfHost(h).map(pools::indexOf).orElse(Integer.MAX_VALUE))
          .thenComparingInt(h -> topology.poolOfHost(h)
              .map(p -> dev.slipway.model.HostList.numericIndex(h, p.hostPrefix() + "-").orElse(0)).orElse(0))
          .thenComparing(h -> h);
    }
  }
}
