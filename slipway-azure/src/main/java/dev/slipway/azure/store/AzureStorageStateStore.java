package dev.slipway.azure.store;

import com.azure.core.exception.AzureException;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.Context;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableClientBuilder;
import com.azure.data.tables.models.ListEntitiesOptions;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableErrorCode;
import com.azure.data.tables.models.TableServiceException;
import com.azure.data.tables.models.TableTransactionAction;
import com.azure.data.tables.models.TableTransactionActionType;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.BlobServiceVersion;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import dev.slipway.model.ErrorClass;
import dev.slipway.spi.Backoff;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentRequest;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.Lease;
import dev.slipway.spi.PoolRecord;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.StateStore;
import dev.slipway.spi.StoreActivity;
import dev.slipway.spi.StoreUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The {@code azure-storage} {@link StateStore}: one Azure Table per cluster for intents, bindings,
 * pools and events, and one blob container per cluster for leases. For daemons on several
 * machines (or a controller that may move), where the SQLite file cannot be shared.
 *
 * <p>Layout. The table has one partition per kind: {@code intent} (row per host, plus the
 * {@code !seq} counter row), {@code binding} (row per host), {@code pool} (row per pool) and
 * {@code event} (row per event id, plus its own {@code !seq} counter). Keeping a counter in the
 * same partition as the rows it numbers is what makes the writes safe: an entity-group transaction
 * replaces the counter only if its ETag is unchanged and writes the numbered rows in the same
 * breath, so two writers can never hand out one number, a failed batch takes its numbers with it,
 * and all intent writes are serialised through the counter (a lower sequence never overwrites a
 * higher one). A writer that loses the race re-reads the counter and tries again with jittered
 * backoff.
 *
 * <p>Compare-and-set. Binding and pool rows carry a {@code Version} property; a put reads the row,
 * compares the version, and replaces the row only if its ETag is unchanged since that read (or
 * creates it, which fails if someone else created it first). A deleted binding stays as a
 * tombstone with a bumped version, so a later re-create continues from there and versions are
 * never reused (no ABA). The ETag alone is not used as the version because the SPI's versions are
 * longs and must survive a delete.
 *
 * <p>Leases. Each lease is a blob whose metadata holds the holder, the fencing token and the
 * expiry. The SPI's lease time is the caller's clock (the store reads none), which Azure's blob
 * leases (15 to 60 s of Azure's time, or infinite) cannot express, so the blob lease is used as
 * the lock around the read-modify-write: take a 15 s blob lease, read the metadata, write it with
 * the lease id (Azure refuses a metadata write on a leased blob without it), release. A crashed
 * writer's blob lease runs out after 15 s; contenders wait for it with a deadline.
 *
 * <p>Failures. Anything that is not an expected conflict (404, 409, 412) becomes a
 * {@link StoreUnavailableException} naming the account and table. The SDK's own retry (three tries,
 * exponential) handles throttling and dropped connections first.
 */
public final class AzureStorageStateStore implements StateStore {
  private static final String INTENTS = "intent";
  private static final String BINDINGS = "binding";
  private static final String POOLS = "pool";
  private static final String EVENTS = "event";
  private static final String COUNTER = "!seq";
  /** An entity-group transaction holds at most 100 operations; one is the counter. */
  private static final int ROWS_PER_TRANSACTION = 99;
  private static final Duration CONFLICT_DEADLINE = Duration.ofSeconds(60);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  /** Pinned rather than the SDK default so that the same code talks to Azure and to Azurite 3.35. */
  static final BlobServiceVersion BLOB_VERSION = BlobServiceVersion.V2025_11_05;

  private final TableClient table;
  private final LeaseBlobs leases;
  private final String description;
  private final Settings settings;

  /** What is needed to open the store: the account, and the names of the cluster's table and container. */
  public record Settings(StorageAccount account, StoreNames names) {
    public Settings {
      Objects.requireNonNull(account, "account");
      Objects.requireNonNull(names, "names");
    }
  }

  private AzureStorageStateStore(Settings settings, TableClient table, BlobContainerClient container) {
    this.settings = settings;
    this.table = table;
    this.description = "state store azure-storage " + settings.account().describe() + " table " + settings.names().table();
    this.leases = new LeaseBlobs(container, description);
  }

  /**
   * Opens the store of a configured cluster: the storage account named by
   * {@code slurm.storage_account_settings} in credentials.yaml (its key, else the VM's managed
   * identity), with the cluster's own table and container.
   */
  public static AzureStorageStateStore forCluster(dev.slipway.config.ClusterConfig config) {
    String alias = config.slurm().storageAccountSettings().orElseThrow(() -> new dev.slipway.spi.StoreUnavailableException(
        "the azure-storage state store needs slurm.storage_account_settings naming a credentials.yaml storage entry", null));
    dev.slipway.config.Credentials.StorageCredentials credentials = config.credentials()
        .flatMap(c -> java.util.Optional.ofNullable(c.storage().get(alias)))
        .orElseThrow(() -> new dev.slipway.spi.StoreUnavailableException(
            "no credentials.storage." + alias + " entry for the azure-storage state store", null));
    StorageAccount account = StorageAccount.fromCredentials(credentials, new JdkHttpClientBuilder().build());
    String prefix = config.global().map(g -> g.storageEntityPrefix()).filter(p -> !p.isBlank())
        .map(p -> p.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", ""))
        .filter(p -> p.matches("[a-z][a-z0-9]{1,19}")).orElse(StoreNames.DEFAULT_PREFIX);
    return open(new Settings(account, StoreNames.forCluster(prefix, config.slurm().clusterId())));
  }

  /** Opens the store, creating the table and the container if they do not exist yet. */
  public static AzureStorageStateStore open(Settings settings) {
    Objects.requireNonNull(settings, "settings");
    HttpClient http = new JdkHttpClientBuilder().build();
    RetryOptions tableRetries = new RetryOptions(new ExponentialBackoffOptions().setMaxRetries(3)
        .setBaseDelay(Duration.ofMillis(200)).setMaxDelay(Duration.ofSeconds(2)));
    RequestRetryOptions blobRetries = new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 4, 30, 200L, 2000L, null);
    TableClientBuilder tables = new TableClientBuilder().httpClient(http).retryOptions(tableRetries)
        .tableName(settings.names().table());
    BlobServiceClientBuilder blobs = new BlobServiceClientBuilder().httpClient(http).retryOptions(blobRetries)
        .serviceVersion(BLOB_VERSION);
    if (settings.account() instanceof StorageAccount.ConnectionString cs) {
      tables.connectionString(cs.value().reveal());
      blobs.connectionString(cs.value().reveal());
    } else if (settings.account() instanceof StorageAccount.Token t) {
      tables.endpoint(t.tableEndpoint().toString()).credential(t.credential());
      blobs.endpoint(t.blobEndpoint().toString()).credential(t.credential());
    }
    String what = "state store azure-storage " + settings.account().describe() + " table " + settings.names().table();
    TableClient table;
    BlobContainerClient container;
    try {
      table = tables.buildClient();
      container = blobs.buildClient().getBlobContainerClient(settings.names().container());
    } catch (IllegalArgumentException e) {
      // A malformed connection string or endpoint: say so without echoing the string itself.
      throw new StoreUnavailableException(what + ": cannot build the client: " + firstLine(e), null);
    }
    guarded(what, "open", () -> {
      try {
        table.createTable();
      } catch (TableServiceException e) {
        if (e.getResponse().getStatusCode() != 409) throw e;
      }
      container.createIfNotExists();
      return null;
    });
    return new AzureStorageStateStore(settings, table, container);
  }

  /** A second, independent client on the same account and names (another process, in effect). */
  public AzureStorageStateStore reopen() {
    return open(settings);
  }

  // ------------------------------------------------------------------ intents

  @Override
  public List<HostIntent> recordIntents(Collection<IntentRequest> requests, Instant at) {
    Objects.requireNonNull(requests, "requests");
    Objects.requireNonNull(at, "at");
    List<IntentRequest> all = List.copyOf(requests.stream().map(r -> Objects.requireNonNull(r, "intent request").requireValid()).toList());
    List<HostIntent> recorded = new ArrayList<>(all.size());
    for (int from = 0; from < all.size(); from += ROWS_PER_TRANSACTION) {
      List<IntentRequest> chunk = all.subList(from, Math.min(all.size(), from + ROWS_PER_TRANSACTION));
      recorded.addAll(guarded("record intents", () -> numberAndWrite(INTENTS, chunk.size(), first -> {
        List<HostIntent> numbered = new ArrayList<>(chunk.size());
        Map<String, TableEntity> rows = new LinkedHashMap<>();
        for (int i = 0; i < chunk.size(); i++) {
          IntentRequest r = chunk.get(i);
          HostIntent h = new HostIntent(r.host(), r.poolId(), r.intent(), r.source(), first + i, millis(at), r.jobIds());
          numbered.add(h);
          // The same host twice in one transaction is not allowed; the later request wins.
          rows.put(h.host(), intentEntity(h));
        }
        return new Numbered<>(numbered, List.copyOf(rows.values()));
      })));
    }
    return List.copyOf(recorded);
  }

  @Override
  public Map<String, HostIntent> intents() {
    return guarded("read intents", () -> {
      Map<String, HostIntent> out = new HashMap<>();
      for (TableEntity e : partition(INTENTS, Optional.empty())) {
        if (!COUNTER.equals(e.getRowKey())) {
          HostIntent h = intentOf(e);
          out.put(h.host(), h);
        }
      }
      return Map.copyOf(out);
    });
  }

  // ------------------------------------------------------------------ bindings

  @Override
  public Map<String, HostBinding> bindings() {
    return guarded("read bindings", () -> {
      Map<String, HostBinding> out = new HashMap<>();
      for (TableEntity e : partition(BINDINGS, Optional.of("Deleted eq false"))) {
        HostBinding b = bindingOf(e);
        out.put(b.host(), b);
      }
      return Map.copyOf(out);
    });
  }

  @Override
  public Optional<HostBinding> binding(String host) {
    Objects.requireNonNull(host, "host");
    return guarded("read binding " + host, () -> row(BINDINGS, RowKeys.escape(host))
        .filter(e -> !isDeleted(e)).map(AzureStorageStateStore::bindingOf));
  }

  @Override
  public List<HostBinding> bindings(String poolId, BindingPhase phase) {
    Objects.requireNonNull(poolId, "poolId");
    Objects.requireNonNull(phase, "phase");
    return guarded("read bindings of pool " + poolId, () -> partition(BINDINGS,
            Optional.of("Deleted eq false and Pool eq " + RowKeys.literal(poolId) + " and Phase eq " + RowKeys.literal(phase.name())))
        .stream().map(AzureStorageStateStore::bindingOf)
        .sorted(Comparator.comparingLong(HostBinding::intentSeq).thenComparing(HostBinding::host))
        .toList());
  }

  @Override
  public Optional<HostBinding> putBinding(HostBinding binding) {
    Objects.requireNonNull(binding, "binding");
    return guarded("put binding " + binding.host(), () -> {
      String key = RowKeys.escape(binding.host());
      Optional<TableEntity> stored = row(BINDINGS, key);
      long live = stored.filter(e -> !isDeleted(e)).map(e -> longOf(e, "Version")).orElse(0L);
      if (live != binding.version()) {
        return Optional.empty();
      }
      long next = stored.map(e -> longOf(e, "Version")).orElse(0L) + 1;
      HostBinding written = new HostBinding(binding.host(), binding.poolId(), binding.phase(), binding.nodeId(), binding.address(),
          binding.intentSeq(), millis(binding.since()), binding.error(), next);
      return compareAndWrite(stored, bindingEntity(key, written)) ? Optional.of(written) : Optional.empty();
    });
  }

  @Override
  public boolean deleteBinding(String host, long expectedVersion) {
    Objects.requireNonNull(host, "host");
    return guarded("delete binding " + host, () -> {
      String key = RowKeys.escape(host);
      Optional<TableEntity> stored = row(BINDINGS, key).filter(e -> !isDeleted(e));
      if (stored.isEmpty() || longOf(stored.get(), "Version") != expectedVersion) {
        return false;
      }
      TableEntity tombstone = new TableEntity(BINDINGS, key)
          .addProperty("Deleted", true)
          .addProperty("Version", expectedVersion + 1);
      return compareAndWrite(stored, tombstone);
    });
  }

  // ------------------------------------------------------------------ pools

  @Override
  public Map<String, PoolRecord> pools() {
    return guarded("read pools", () -> {
      Map<String, PoolRecord> out = new HashMap<>();
      for (TableEntity e : partition(POOLS, Optional.empty())) {
        PoolRecord p = poolOf(e);
        out.put(p.poolId(), p);
      }
      return Map.copyOf(out);
    });
  }

  @Override
  public Optional<PoolRecord> putPool(PoolRecord pool) {
    Objects.requireNonNull(pool, "pool");
    return guarded("put pool " + pool.poolId(), () -> {
      String key = RowKeys.escape(pool.poolId());
      Optional<TableEntity> stored = row(POOLS, key);
      long current = stored.map(e -> longOf(e, "Version")).orElse(0L);
      if (current != pool.version()) {
        return Optional.empty();
      }
      Backoff b = pool.backoff();
      PoolRecord written = new PoolRecord(pool.poolId(), pool.requested(), pool.resizeStartedAt().map(AzureStorageStateStore::millis),
          new Backoff(b.level(), b.until().map(AzureStorageStateStore::millis), b.lastErrorClass(), b.lastErrorCode()), current + 1);
      return compareAndWrite(stored, poolEntity(key, written)) ? Optional.of(written) : Optional.empty();
    });
  }

  // ------------------------------------------------------------------ events

  @Override
  public void appendEvents(Collection<HostEvent> events) {
    Objects.requireNonNull(events, "events");
    List<HostEvent> all = List.copyOf(events);
    for (int from = 0; from < all.size(); from += ROWS_PER_TRANSACTION) {
      List<HostEvent> chunk = all.subList(from, Math.min(all.size(), from + ROWS_PER_TRANSACTION));
      guarded("append events", () -> numberAndWrite(EVENTS, chunk.size(), first -> {
        List<TableEntity> rows = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
          rows.add(eventEntity(first + i, chunk.get(i)));
        }
        return new Numbered<>(null, rows);
      }));
    }
  }

  @Override
  public List<HostEvent> hostEvents(String host, int limit) {
    Objects.requireNonNull(host, "host");
    return events("Host eq " + RowKeys.literal(host), limit);
  }

  @Override
  public List<HostEvent> poolEvents(String poolId, int limit) {
    Objects.requireNonNull(poolId, "poolId");
    return events("Pool eq " + RowKeys.literal(poolId), limit);
  }

  @Override
  public int deleteEventsBefore(Instant before, int limit) {
    Objects.requireNonNull(before, "before");
    if (limit <= 0) {
      throw new IllegalArgumentException("event limit must be positive: " + limit);
    }
    return guarded("delete old events", () -> {
      // Tables have no secondary index: the filter is evaluated by the service over the partition,
      // but only the keys of at most limit old rows come back, lowest id (oldest append) first.
      ListEntitiesOptions options = new ListEntitiesOptions()
          .setFilter("PartitionKey eq " + RowKeys.literal(EVENTS) + " and AtMs lt " + before.toEpochMilli() + "L")
          .setSelect(List.of("PartitionKey", "RowKey"));
      List<TableEntity> old = new ArrayList<>();
      for (TableEntity e : table.listEntities(options, REQUEST_TIMEOUT, Context.NONE)) {
        if (old.size() >= limit) break;
        if (!COUNTER.equals(e.getRowKey())) old.add(e);
      }
      int deleted = 0;
      for (int from = 0; from < old.size(); from += ROWS_PER_TRANSACTION + 1) {
        List<TableEntity> chunk = old.subList(from, Math.min(old.size(), from + ROWS_PER_TRANSACTION + 1));
        deleted += deleteRows(chunk);
      }
      return deleted;
    });
  }

  /**
   * Deletes the rows (one partition, at most 100) in one transaction. A row already gone (a second
   * daemon pruning at the same moment) fails the whole transaction, so then each row is deleted on
   * its own and the missing ones are not counted.
   */
  private int deleteRows(List<TableEntity> rows) {
    List<TableTransactionAction> actions = rows.stream()
        .map(e -> new TableTransactionAction(TableTransactionActionType.DELETE, new TableEntity(e.getPartitionKey(), e.getRowKey())))
        .toList();
    try {
      table.submitTransactionWithResponse(actions, REQUEST_TIMEOUT, Context.NONE);
      return rows.size();
    } catch (TableServiceException e) {
      if (!isMissing(e)) throw e;
    }
    int deleted = 0;
    for (TableEntity e : rows) {
      try {
        table.deleteEntityWithResponse(new TableEntity(e.getPartitionKey(), e.getRowKey()), false, REQUEST_TIMEOUT, Context.NONE);
        deleted++;
      } catch (TableServiceException failure) {
        if (!isMissing(failure)) throw failure;
      }
    }
    return deleted;
  }

  private static boolean isMissing(TableServiceException e) {
    TableErrorCode code = e.getValue() == null ? null : e.getValue().getErrorCode();
    int status = e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
    return TableErrorCode.RESOURCE_NOT_FOUND.equals(code) || TableErrorCode.ENTITY_NOT_FOUND.equals(code) || status == 404;
  }

  // ------------------------------------------------------------------ daemon poll

  @Override
  public StoreActivity activity() {
    return guarded("read activity", () -> {
      // Two point-sized reads instead of every intent and binding: the intent counter row, and the
      // few JOINED rows (the service filters the partition; only their host names come back).
      long seq = row(INTENTS, COUNTER).map(e -> longOf(e, "Value")).orElse(0L);
      ListEntitiesOptions options = new ListEntitiesOptions()
          .setFilter("PartitionKey eq " + RowKeys.literal(BINDINGS) + " and Deleted eq false and Phase eq "
              + RowKeys.literal(BindingPhase.JOINED.name()))
          .setSelect(List.of("Host"));
      java.util.Set<String> joined = new java.util.HashSet<>();
      for (TableEntity e : table.listEntities(options, REQUEST_TIMEOUT, Context.NONE)) {
        stringOf(e, "Host").ifPresent(joined::add);
      }
      return new StoreActivity(seq, joined);
    });
  }

  private List<HostEvent> events(String filter, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("event limit must be positive: " + limit);
    }
    return guarded("read events", () -> {
      List<HostEvent> matching = partition(EVENTS, Optional.of(filter)).stream()
          .filter(e -> !COUNTER.equals(e.getRowKey()))
          .map(AzureStorageStateStore::eventOf)
          .sorted(Comparator.comparing(HostEvent::at).thenComparingLong(HostEvent::id))
          .toList();
      return List.copyOf(matching.subList(Math.max(0, matching.size() - limit), matching.size()));
    });
  }

  // ------------------------------------------------------------------ leases

  @Override
  public Optional<Lease> acquireLease(String name, String holder, Duration ttl, Instant now) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(holder, "holder");
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(now, "now");
    if (holder.isEmpty()) {
      throw new IllegalArgumentException("lease holder must not be empty");
    }
    return guarded("acquire lease " + name, () -> leases.acquire(name, holder, millis(now.plus(ttl)), millis(now)));
  }

  @Override
  public void releaseLease(String name, String holder) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(holder, "holder");
    guarded("release lease " + name, () -> {
      leases.release(name, holder);
      return null;
    });
  }

  @Override
  public Optional<Lease> lease(String name) {
    Objects.requireNonNull(name, "name");
    return guarded("read lease " + name, () -> leases.read(name));
  }

  @Override
  public void close() {
    // The JDK HTTP client holds no connection that needs closing; nothing is buffered.
  }

  @Override
  public String toString() {
    return description;
  }

  // ------------------------------------------------------------------ table mechanics

  private record Numbered<T>(T result, List<TableEntity> rows) {}

  private interface Numbering<T> {
    Numbered<T> rowsFrom(long firstNumber);
  }

  /**
   * Takes {@code count} numbers from the partition's counter and writes the rows numbered with
   * them, in one transaction that replaces the counter only if it is unchanged. Retries on a lost
   * race until {@link #CONFLICT_DEADLINE}.
   */
  private <T> T numberAndWrite(String partition, int count, Numbering<T> numbering) {
    long deadline = System.nanoTime() + CONFLICT_DEADLINE.toNanos();
    int attempt = 0;
    while (true) {
      Optional<TableEntity> counter = row(partition, COUNTER);
      long last = counter.map(e -> longOf(e, "Value")).orElse(0L);
      Numbered<T> numbered = numbering.rowsFrom(last + 1);
      TableEntity next = new TableEntity(partition, COUNTER).addProperty("Value", last + count);
      List<TableTransactionAction> actions = new ArrayList<>();
      if (counter.isPresent()) {
        next.addProperty("odata.etag", counter.get().getETag());
        actions.add(new TableTransactionAction(TableTransactionActionType.UPDATE_REPLACE, next, true));
      } else {
        actions.add(new TableTransactionAction(TableTransactionActionType.CREATE, next));
      }
      for (TableEntity row : numbered.rows()) {
        actions.add(new TableTransactionAction(TableTransactionActionType.UPSERT_REPLACE, row));
      }
      try {
        table.submitTransactionWithResponse(actions, REQUEST_TIMEOUT, Context.NONE);
        return numbered.result();
      } catch (TableServiceException e) {
        if (!isConflict(e) || System.nanoTime() > deadline) {
          throw e;
        }
      }
      pause(++attempt);
    }
  }

  /** Replaces {@code stored} if its ETag is unchanged, or creates the row if there was none. */
  private boolean compareAndWrite(Optional<TableEntity> stored, TableEntity replacement) {
    try {
      if (stored.isPresent()) {
        replacement.addProperty("odata.etag", stored.get().getETag());
        table.updateEntityWithResponse(replacement, TableEntityUpdateMode.REPLACE, true, REQUEST_TIMEOUT, Context.NONE);
      } else {
        table.createEntityWithResponse(replacement, REQUEST_TIMEOUT, Context.NONE);
      }
      return true;
    } catch (TableServiceException e) {
      if (isConflict(e)) {
        return false;
      }
      throw e;
    }
  }

  private Optional<TableEntity> row(String partition, String rowKey) {
    try {
      return Optional.of(table.getEntityWithResponse(partition, rowKey, null, REQUEST_TIMEOUT, Context.NONE).getValue());
    } catch (TableServiceException e) {
      if (e.getResponse().getStatusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private List<TableEntity> partition(String partition, Optional<String> filter) {
    String f = "PartitionKey eq " + RowKeys.literal(partition) + filter.map(x -> " and " + x).orElse("");
    List<TableEntity> out = new ArrayList<>();
    table.listEntities(new ListEntitiesOptions().setFilter(f), REQUEST_TIMEOUT, Context.NONE).forEach(out::add);
    return out;
  }

  /**
   * 412 UpdateConditionNotSatisfied: the ETag changed; 409 EntityAlreadyExists: someone else
   * created the row first. A failed transaction carries no HTTP response of its own, only the
   * failed action's error code, so both are looked at.
   */
  private static boolean isConflict(TableServiceException e) {
    TableErrorCode code = e.getValue() == null ? null : e.getValue().getErrorCode();
    if (TableErrorCode.UPDATE_CONDITION_NOT_SATISFIED.equals(code) || TableErrorCode.ENTITY_ALREADY_EXISTS.equals(code)) {
      return true;
    }
    int status = e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
    return status == 412 || status == 409;
  }

  static void pause(int attempt) {
    long cap = Math.min(200, 5L << Math.min(attempt, 6));
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(1, cap + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to retry a state store write", e);
    }
  }

  private <T> T guarded(String operation, Supplier<T> call) {
    return guarded(description, operation, call);
  }

  /**
   * Turns the SDK's failures into the one-line {@link StoreUnavailableException} of the SPI.
   * Argument errors of our own stay as they are.
   */
  private static <T> T guarded(String what, String operation, Supplier<T> call) {
    try {
      return call.get();
    } catch (HttpResponseException e) {
      String status = e.getResponse() == null ? "" : "HTTP " + e.getResponse().getStatusCode() + " ";
      throw new StoreUnavailableException(what + ": " + operation + " failed: " + status + firstLine(e), e);
    } catch (AzureException | UncheckedIOException e) {
      throw new StoreUnavailableException(what + ": " + operation + " failed: " + firstLine(e), e);
    } catch (RuntimeException e) {
      if (hasIoCause(e)) {
        throw new StoreUnavailableException(what + ": " + operation + " failed: " + firstLine(e), e);
      }
      throw e;
    }
  }

  private static boolean hasIoCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof IOException) return true;
    }
    return false;
  }

  static String firstLine(Throwable e) {
    Throwable root = e;
    while (root.getMessage() == null && root.getCause() != null) {
      root = root.getCause();
    }
    String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  // ------------------------------------------------------------------ entity mapping

  private static TableEntity intentEntity(HostIntent h) {
    return new TableEntity(INTENTS, RowKeys.escape(h.host()))
        .addProperty("Host", h.host())
        .addProperty("Pool", h.poolId())
        .addProperty("Intent", h.intent().name())
        .addProperty("Source", h.source().name())
        .addProperty("Seq", h.seq())
        .addProperty("AtMs", h.at().toEpochMilli())
        .addProperty("JobIds", String.join("\n", h.jobIds()));
  }

  private static HostIntent intentOf(TableEntity e) {
    String jobs = stringOf(e, "JobIds").orElse("");
    return new HostIntent(stringOf(e, "Host").orElseThrow(), stringOf(e, "Pool").orElseThrow(),
        Intent.valueOf(stringOf(e, "Intent").orElseThrow()), IntentSource.valueOf(stringOf(e, "Source").orElseThrow()),
        longOf(e, "Seq"), Instant.ofEpochMilli(longOf(e, "AtMs")), jobs.isEmpty() ? List.of() : List.of(jobs.split("\n", -1)));
  }

  private static TableEntity bindingEntity(String key, HostBinding b) {
    TableEntity e = new TableEntity(BINDINGS, key)
        .addProperty("Host", b.host())
        .addProperty("Pool", b.poolId())
        .addProperty("Phase", b.phase().name())
        .addProperty("IntentSeq", b.intentSeq())
        .addProperty("SinceMs", b.since().toEpochMilli())
        .addProperty("Version", b.version())
        .addProperty("Deleted", false);
    b.nodeId().ifPresent(v -> e.addProperty("NodeId", v));
    b.address().ifPresent(v -> e.addProperty("Address", v));
    b.error().ifPresent(err -> e.addProperty("ErrorClass", err.errorClass().name())
        .addProperty("ErrorCode", err.code()).addProperty("ErrorMessage", err.message()));
    return e;
  }

  private static HostBinding bindingOf(TableEntity e) {
    Optional<ProviderError> error = stringOf(e, "ErrorClass").map(c -> new ProviderError(ErrorClass.valueOf(c),
        stringOf(e, "ErrorCode").orElse(""), stringOf(e, "ErrorMessage").orElse("")));
    return new HostBinding(stringOf(e, "Host").orElseThrow(), stringOf(e, "Pool").orElseThrow(),
        BindingPhase.valueOf(stringOf(e, "Phase").orElseThrow()), stringOf(e, "NodeId"), stringOf(e, "Address"),
        longOf(e, "IntentSeq"), Instant.ofEpochMilli(longOf(e, "SinceMs")), error, longOf(e, "Version"));
  }

  private static boolean isDeleted(TableEntity e) {
    return Boolean.TRUE.equals(e.getProperty("Deleted"));
  }

  private static TableEntity poolEntity(String key, PoolRecord p) {
    TableEntity e = new TableEntity(POOLS, key)
        .addProperty("Pool", p.poolId())
        .addProperty("Dedicated", (long) p.requested().dedicated())
        .addProperty("LowPriority", (long) p.requested().lowPriority())
        .addProperty("BackoffLevel", (long) p.backoff().level())
        .addProperty("Version", p.version());
    p.resizeStartedAt().ifPresent(t -> e.addProperty("ResizeStartedMs", t.toEpochMilli()));
    p.backoff().until().ifPresent(t -> e.addProperty("BackoffUntilMs", t.toEpochMilli()));
    p.backoff().lastErrorClass().ifPresent(c -> e.addProperty("BackoffErrorClass", c.name()));
    p.backoff().lastErrorCode().ifPresent(c -> e.addProperty("BackoffErrorCode", c));
    return e;
  }

  private static PoolRecord poolOf(TableEntity e) {
    Backoff backoff = new Backoff((int) longOf(e, "BackoffLevel"), optionalLong(e, "BackoffUntilMs").map(Instant::ofEpochMilli),
        stringOf(e, "BackoffErrorClass").map(ErrorClass::valueOf), stringOf(e, "BackoffErrorCode"));
    return new PoolRecord(stringOf(e, "Pool").orElseThrow(),
        new PoolTarget((int) longOf(e, "Dedicated"), (int) longOf(e, "LowPriority")),
        optionalLong(e, "ResizeStartedMs").map(Instant::ofEpochMilli), backoff, longOf(e, "Version"));
  }

  private static TableEntity eventEntity(long id, HostEvent ev) {
    // Zero-padded so that row keys sort like ids.
    TableEntity e = new TableEntity(EVENTS, String.format("%019d", id))
        .addProperty("Id", id)
        .addProperty("AtMs", ev.at().toEpochMilli())
        .addProperty("Pool", ev.poolId())
        .addProperty("Kind", ev.kind())
        .addProperty("Message", ev.message());
    ev.host().ifPresent(h -> e.addProperty("Host", h));
    return e;
  }

  private static HostEvent eventOf(TableEntity e) {
    return new HostEvent(longOf(e, "Id"), Instant.ofEpochMilli(longOf(e, "AtMs")), stringOf(e, "Host"),
        stringOf(e, "Pool").orElseThrow(), stringOf(e, "Kind").orElseThrow(), stringOf(e, "Message").orElse(""));
  }

  private static Optional<String> stringOf(TableEntity e, String name) {
    return Optional.ofNullable(e.getProperty(name)).map(Object::toString);
  }

  private static long longOf(TableEntity e, String name) {
    return optionalLong(e, name).orElseThrow(() -> new IllegalStateException(
        "row " + e.getPartitionKey() + "/" + e.getRowKey() + " lacks " + name));
  }

  private static Optional<Long> optionalLong(TableEntity e, String name) {
    Object v = e.getProperty(name);
    if (v == null) return Optional.empty();
    if (v instanceof Number n) return Optional.of(n.longValue());
    return Optional.of(Long.parseLong(v.toString()));
  }

  private static Instant millis(Instant t) {
    return Instant.ofEpochMilli(t.toEpochMilli());
  }
}
