package dev.slipway.azure.pools;

import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import dev.slipway.config.Credentials;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.config.PoolSpec;
import dev.slipway.model.Secret;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The pools of a configured cluster as Batch pools: which account each lives in and what it is
 * created as. This is the entry point of the azure backend's {@code cluster orchestrate} (through
 * {@link #ensureAll}) and of {@code slipway pool add}.
 */
public final class ClusterPools {
  /** A pool that {@link #ensureAll} created or found. */
  public record EnsuredPool(String poolId, URI accountUrl, BatchPools.Outcome outcome) {}

  private ClusterPools() {}

  /**
   * The Batch account of a pool: its {@code account_service_url} in slurm.yaml's batch_pools entry,
   * else credentials.yaml's {@code batch.account_service_url}.
   *
   * @throws ConfigException when neither is set
   */
  public static URI accountUrl(ClusterConfig config, String poolId) {
    Optional<String> perPool = elasticPools(config).stream().filter(p -> p.id().equals(poolId)).findFirst()
        .flatMap(ElasticPool::accountServiceUrl);
    Optional<String> url = perPool.or(() -> config.credentials().flatMap(Credentials::batch)
        .flatMap(Credentials.BatchCredentials::accountServiceUrl));
    String allowed = "account_service_url in the pool's batch_pools entry or in credentials.yaml, https://<account>.<region>.batch.azure.com";
    String key = perPool.isPresent() ? "slurm.slurm_options.elastic_partitions.*.batch_pools." + poolId + ".account_service_url"
        : "credentials.batch.account_service_url";
    Optional<java.nio.file.Path> file = perPool.isPresent() ? Optional.of(config.sources().slurm()) : config.sources().credentials();
    if (url.isEmpty()) {
      throw new ConfigException(List.of(ConfigProblem.error(file, 0, 0, key, "pool " + poolId + " has no Batch account URL", allowed)));
    }
    try {
      URI u = new URI(url.get());
      if (u.getHost() == null || !List.of("http", "https").contains(u.getScheme())) throw new URISyntaxException(url.get(), "no http(s) host");
      return u;
    } catch (URISyntaxException e) {
      throw new ConfigException(List.of(ConfigProblem.error(file, 0, 0, key,
          "'" + url.get() + "' is not a URL (placeholder left from the recipe?)", allowed)));
    }
  }

  /** The Batch pool for pool.yaml's {@code pool}, joining through the controllers' daemons. */
  public static BatchPoolSpec template(ClusterConfig config, PoolSpec pool, Secret joinToken, String daemonPin,
      Optional<List<String>> joinUrls) {
    JoinEndpoint join = joinUrls.map(u -> new JoinEndpoint(config.slurm().clusterId(), u, joinToken, daemonPin))
        .orElseGet(() -> JoinEndpoint.forControllers(config.slurm().clusterId(), config.slurm().controller().vmCount(),
            config.slipway().daemonPort(), joinToken, daemonPin));
    return BatchPoolTemplate.from(config, pool, join);
  }

  /**
   * Creates every pool of pool.yaml that an elastic partition uses and that does not exist yet,
   * each in its account. Idempotent: existing pools of this cluster are left as they are.
   *
   * @param clients the client for an account URL (called once per account)
   * @param joinTokens each pool's join token, the same the daemon checks (its secrets directory)
   * @param daemonPin the pin of the daemons' TLS key ({@code DaemonIdentity}), which the nodes check
   * @throws ConfigException when a pool's settings cannot become a Batch pool (nothing is created then)
   * @throws PoolNotOwnedException when a pool id is taken by a pool this cluster did not create
   */
  public static List<EnsuredPool> ensureAll(ClusterConfig config, Function<URI, BatchClient> clients, Function<String, Secret> joinTokens,
      String daemonPin) {
    return ensureAll(config, clients, joinTokens, daemonPin, false);
  }

  /**
   * {@link #ensureAll(ClusterConfig, Function, Function, String)} for {@code cluster orchestrate}: pools
   * that exist already (this cluster's) also get the current start task, so nodes joining them
   * use this build's join script and the controllers' current addresses.
   */
  public static List<EnsuredPool> orchestrate(ClusterConfig config, Function<URI, BatchClient> clients, Function<String, Secret> joinTokens,
      String daemonPin) {
    return ensureAll(config, clients, joinTokens, daemonPin, true);
  }

  /**
   * Deletes this cluster's pools (by metadata, {@link PoolOwnership}) in every Batch account the
   * configuration names, for {@code cluster destroy}.
   *
   * @return the pools deleted, each with {@link BatchPools.Outcome#DELETED}
   */
  public static List<EnsuredPool> deleteAll(ClusterConfig config, Function<URI, BatchClient> clients) {
    java.util.Set<URI> accounts = new java.util.LinkedHashSet<>();
    for (ElasticPool p : elasticPools(config)) {
      try {
        accounts.add(accountUrl(config, p.id()));
      } catch (ConfigException e) {
        // a pool without an account cannot have been created; nothing to delete there
      }
    }
    List<EnsuredPool> out = new ArrayList<>();
    for (URI account : accounts) {
      for (String id : new BatchPools(clients.apply(account), config.slurm().clusterId()).deleteOwned()) {
        out.add(new EnsuredPool(id, account, BatchPools.Outcome.DELETED));
      }
    }
    return out;
  }

  private static List<EnsuredPool> ensureAll(ClusterConfig config, Function<URI, BatchClient> clients, Function<String, Secret> joinTokens,
      String daemonPin, boolean patchStartTask) {
    Templates t = templates(config, joinTokens, daemonPin);
    Map<String, BatchPoolSpec> templates = t.specs();
    Map<String, URI> accounts = t.accounts();
    Map<URI, BatchClient> byAccount = new HashMap<>();
    List<EnsuredPool> out = new ArrayList<>();
    for (Map.Entry<String, BatchPoolSpec> e : templates.entrySet()) {
      URI account = accounts.get(e.getKey());
      BatchPools pools = new BatchPools(byAccount.computeIfAbsent(account, clients), config.slurm().clusterId());
      out.add(new EnsuredPool(e.getKey(), account, patchStartTask ? pools.ensureWithStartTask(e.getValue()) : pools.ensure(e.getValue())));
    }
    return out;
  }

  private record Templates(Map<String, BatchPoolSpec> specs, Map<String, URI> accounts) {}

  /**
   * Builds every pool's template as {@link #ensureAll} would, creating nothing.
   *
   * @throws ConfigException listing every pool that cannot become a Batch pool
   */
  public static void check(ClusterConfig config, Function<String, Secret> joinTokens, String daemonPin) {
    templates(config, joinTokens, daemonPin);
  }

  private static Templates templates(ClusterConfig config, Function<String, Secret> joinTokens, String daemonPin) {
    Map<String, PoolSpec> wanted = new LinkedHashMap<>();
    for (ElasticPool p : elasticPools(config)) {
      PoolSpec spec = config.poolSpecs().get(p.id());
      if (spec != null) wanted.put(p.id(), spec);
    }
    // Build every template first so that a configuration error creates nothing.
    Map<String, BatchPoolSpec> templates = new LinkedHashMap<>();
    Map<String, URI> accounts = new LinkedHashMap<>();
    List<ConfigProblem> problems = new ArrayList<>();
    for (PoolSpec spec : wanted.values()) {
      try {
        accounts.put(spec.id(), accountUrl(config, spec.id()));
        templates.put(spec.id(), template(config, spec, joinTokens.apply(spec.id()), daemonPin, Optional.empty()));
      } catch (ConfigException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) throw new ConfigException(problems);
    return new Templates(templates, accounts);
  }

  private static List<ElasticPool> elasticPools(ClusterConfig config) {
    List<ElasticPool> out = new ArrayList<>();
    for (ElasticPartition partition : config.slurm().options().elasticPartitions()) out.addAll(partition.pools());
    return out;
  }
}
