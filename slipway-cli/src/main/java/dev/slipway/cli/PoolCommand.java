package dev.slipway.cli;

import java.time.InstantSource;
import dev.slipway.tls.DaemonIdentity;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slipway.azure.batch.AzureBatchNodeProvider;
import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchClientOptions;
import dev.slipway.azure.batch.BatchPoolInfo;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchServiceException;
import dev.slipway.azure.pools.BatchPools;
import dev.slipway.azure.pools.ClusterPools;
import dev.slipway.azure.pools.PoolRow;
import dev.slipway.cli.daemon.JoinSecrets;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import dev.slipway.config.Credentials;
import dev.slipway.config.PoolSpec;
import java.io.PrintWriter;
import java.net.URI;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code slipway pool add|del|list}: the cluster's Azure Batch pools from pool.yaml. {@code add}
 * creates the pool empty with the node join start task (docs/azure-pools.md), {@code del} deletes
 * a pool this cluster created, {@code list} shows sizes, states and node counts.
 */
@Command(name = "pool", mixinStandardHelpOptions = true,
    description = "Create, delete and list the cluster's Azure Batch pools (pool.yaml).",
    subcommands = {PoolCommand.Add.class, PoolCommand.Del.class, PoolCommand.ListPools.class})
final class PoolCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: add, del or list");
  }

  /** How the commands reach Batch: a client per account URL for a configuration. Tests pass the emulator's. */
  @FunctionalInterface
  interface BatchAccess {
    Function<URI, BatchClient> clients(ClusterConfig config);

    /** Clients from credentials.yaml's batch section (shared key or Microsoft Entra ID). */
    static BatchAccess fromCredentials() {
      return config -> {
        Credentials.BatchCredentials batch = config.credentials().flatMap(Credentials::batch).orElseThrow(() ->
            new ConfigException(List.of(ConfigProblem.error(config.sources().credentials(), 0, 0, "credentials.batch",
                "is missing; Slipway needs it to reach the Batch account", "account_service_url with account_key or aad"))));
        return AzureBatchNodeProvider.clientsFor(batch, BatchClientOptions.defaults());
      };
    }
  }

  /** Common to the three subcommands: configuration, Batch access, and Batch failures as exit codes. */
  abstract static class PoolSubcommand implements Runnable {
    @Mixin ConfigOptions configOptions;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    final BatchAccess access;

    PoolSubcommand(BatchAccess access) {
      this.access = access;
    }

    ClusterConfig config() {
      return configOptions.load().config();
    }

    PoolSpec poolYaml(ClusterConfig config) {
      if (config.poolSpecs().isEmpty()) {
        throw new ConfigException(List.of(ConfigProblem.error(config.sources().pool(), 0, 0, "pool_specification",
            "no pool.yaml was found", "pool.yaml in the configuration directory, or --pool FILE")));
      }
      return config.poolSpecs().values().iterator().next();
    }

    /** The pools of the account that holds {@code poolId}; a pool slurm.yaml does not name is looked for in pool.yaml's pool's account. */
    BatchPools pools(ClusterConfig config, String poolId) {
      boolean named = config.slurm().options().elasticPartitions().stream().flatMap(p -> p.pools().stream()).anyMatch(p -> p.id().equals(poolId));
      URI account = ClusterPools.accountUrl(config, named ? poolId : poolYaml(config).id());
      return new BatchPools(access.clients(config).apply(account), config.slurm().clusterId());
    }

    /** A Batch call; no answer at all means the account is unreachable (exit 4), any refusal is a failure (exit 1). */
    static <T> T batch(String account, Supplier<T> call) {
      try {
        return call.get();
      } catch (BatchServiceException e) {
        if (e.status() == 0) throw new UnreachableException("Batch account " + account + " did not answer: " + e.error().message(), e);
        throw e;
      }
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Create pool.yaml's pool in Batch with zero nodes and the node join start task; an existing pool of this cluster is left as it is.")
  static final class Add extends PoolSubcommand {
    @Option(names = "--join-url", paramLabel = "URL",
        description = "Daemon URL nodes join through (repeatable, in controller order; default https://<cluster_id>-controller-vmNNN:<slipway.daemon_port>).")
    List<String> joinUrls;

    Add() {
      this(BatchAccess.fromCredentials());
    }

    Add(BatchAccess access) {
      super(access);
    }

    @Override
    public void run() {
      ClusterConfig config = config();
      PoolSpec pool = poolYaml(config);
      JoinSecrets secrets = JoinSecrets.loadOrCreate(ClusterHome.of(config).secrets(), List.of(pool.id()), new SecureRandom());
      // The daemons serve this key; the pool's nodes pin it.
      String pin = DaemonIdentity.loadOrCreate(ClusterHome.of(config).secrets(), config.slurm().clusterId(), new SecureRandom(),
          InstantSource.system()).pin();
      BatchPoolSpec template = ClusterPools.template(config, pool, secrets.joinTokens().get(pool.id()), pin,
          Optional.ofNullable(joinUrls).filter(l -> !l.isEmpty()));
      BatchPools pools = pools(config, pool.id());
      BatchPools.Outcome outcome = batch(pools.accountUrl(), () -> pools.ensure(template));
      out().println(outcome == BatchPools.Outcome.CREATED
          ? "pool " + pool.id() + " created in " + pools.accountUrl() + " (" + template.vmSize() + ", 0 nodes; Slurm's power saving grows it)"
          : "pool " + pool.id() + " already exists in " + pools.accountUrl() + " and belongs to this cluster; left as it is");
      out().flush();
    }
  }

  @Command(name = "del", mixinStandardHelpOptions = true,
      description = "Delete a pool this cluster created (default: pool.yaml's), with its nodes. Asks nothing.")
  static final class Del extends PoolSubcommand {
    @Parameters(arity = "0..1", paramLabel = "POOL_ID", description = "The pool to delete (default: pool.yaml's id).")
    String poolId;

    Del() {
      this(BatchAccess.fromCredentials());
    }

    Del(BatchAccess access) {
      super(access);
    }

    @Override
    public void run() {
      ClusterConfig config = config();
      String id = poolId != null ? poolId : poolYaml(config).id();
      BatchPools pools = pools(config, id);
      boolean deleted = batch(pools.accountUrl(), () -> pools.delete(id));
      if (!deleted) {
        throw new IllegalStateException("pool " + id + " does not exist in " + pools.accountUrl());
      }
      out().println("pool " + id + " is being deleted from " + pools.accountUrl());
      out().flush();
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List this cluster's pools (in the account of pool.yaml's pool): VM size, allocation state, nodes current/target, node counts.")
  static final class ListPools extends PoolSubcommand {
    @Option(names = "--all", description = "Every pool of the account, not only this cluster's.")
    boolean all;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    String output;

    ListPools() {
      this(BatchAccess.fromCredentials());
    }

    ListPools(BatchAccess access) {
      super(access);
    }

    @Override
    public void run() {
      if (!output.equals("table") && !output.equals("json")) {
        throw new UsageException("--output must be table or json, not '" + output + "'");
      }
      ClusterConfig config = config();
      BatchPools pools = pools(config, poolYaml(config).id());
      List<PoolRow> rows = batch(pools.accountUrl(), () -> pools.list(all));
      if (output.equals("json")) printJson(rows);
      else printTable(rows);
      out().flush();
    }

    private void printTable(List<PoolRow> rows) {
      String format = "%-20s %-20s %-10s %-9s %-9s %-16s %s%n";
      out().printf(format, "POOL", "VM SIZE", "ALLOC", "DEDICATED", "LOW-PRIO", "CLUSTER", "NODES");
      for (PoolRow r : rows) {
        BatchPoolInfo p = r.pool();
        String nodes = r.nodeCounts().isEmpty() ? "-"
            : r.nodeCounts().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
        out().printf(format, p.id(), p.vmSize().orElse("-"), p.allocationState(),
            p.currentDedicatedNodes() + "/" + p.targetDedicatedNodes(), p.currentLowPriorityNodes() + "/" + p.targetLowPriorityNodes(),
            r.owner().orElse("-"), nodes);
      }
    }

    private void printJson(List<PoolRow> rows) {
      ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      ArrayNode array = json.createArrayNode();
      for (PoolRow r : rows) {
        BatchPoolInfo p = r.pool();
        ObjectNode o = array.addObject();
        o.put("id", p.id());
        o.put("vmSize", p.vmSize().orElse(null));
        o.put("state", p.state());
        o.put("allocationState", p.allocationState());
        o.put("currentDedicatedNodes", p.currentDedicatedNodes());
        o.put("targetDedicatedNodes", p.targetDedicatedNodes());
        o.put("currentLowPriorityNodes", p.currentLowPriorityNodes());
        o.put("targetLowPriorityNodes", p.targetLowPriorityNodes());
        o.put("cluster", r.owner().orElse(null));
        ObjectNode counts = o.putObject("nodeCounts");
        for (Map.Entry<String, Integer> e : r.nodeCounts().entrySet()) counts.put(e.getKey(), e.getValue());
      }
      try {
        out().println(json.writeValueAsString(array));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
