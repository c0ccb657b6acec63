package dev.slipway.azure.store;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.specialized.BlobLeaseClient;
import com.azure.storage.blob.specialized.BlobLeaseClientBuilder;
import dev.slipway.spi.Lease;
import dev.slipway.spi.StoreUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The leases of {@link AzureStorageStateStore}: one empty blob per lease name, whose metadata is
 * the lease record ({@code holder}, {@code fencingtoken}, {@code expiresms}). Every change is made
 * under a short Azure blob lease, which Azure enforces: a leased blob's metadata can only be set
 * with the lease id, so two contenders cannot both read "free" and both write themselves in. The
 * record stays after a release, without holder, so the fencing token never goes back.
 */
final class LeaseBlobs {
  private static final int LOCK_SECONDS = 15;
  /** A crashed writer's blob lease lapses after {@link #LOCK_SECONDS}; wait a little longer than that. */
  private static final Duration LOCK_DEADLINE = Duration.ofSeconds(LOCK_SECONDS + 10);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String HOLDER = "holder";
  private static final String TOKEN = "fencingtoken";
  private static final String EXPIRES = "expiresms";

  private final BlobContainerClient container;
  private final String description;

  LeaseBlobs(BlobContainerClient container, String description) {
    this.container = container;
    this.description = description;
  }

  Optional<Lease> acquire(String name, String holder, Instant expiresAt, Instant now) {
    return underLock(name, record -> {
      Optional<String> current = Optional.ofNullable(record.get(HOLDER)).map(RowKeys::unescape);
      long token = Long.parseLong(record.getOrDefault(TOKEN, "0"));
      boolean mine = current.isPresent() && current.get().equals(holder);
      boolean free = current.isEmpty() || now.toEpochMilli() >= Long.parseLong(record.getOrDefault(EXPIRES, "0"));
      if (!mine && !free) {
        return new Change<>(Optional.empty(), Optional.empty());
      }
      // A renewal keeps the token (even after its own expiry: nobody held it in between).
      long newToken = mine ? token : token + 1;
      Map<String, String> next = Map.of(HOLDER, RowKeys.escape(holder), TOKEN, Long.toString(newToken),
          EXPIRES, Long.toString(expiresAt.toEpochMilli()));
      return new Change<>(Optional.of(new Lease(name, holder, newToken, expiresAt)), Optional.of(next));
    });
  }

  void release(String name, String holder) {
    if (read(name).filter(l -> l.holder().equals(holder)).isEmpty()) {
      return;
    }
    underLock(name, record -> {
      boolean mine = Optional.ofNullable(record.get(HOLDER)).map(RowKeys::unescape).filter(holder::equals).isPresent();
      if (!mine) {
        return new Change<>(null, Optional.empty());
      }
      return new Change<>(null, Optional.of(Map.of(TOKEN, record.getOrDefault(TOKEN, "0"))));
    });
  }

  Optional<Lease> read(String name) {
    try {
      Map<String, String> record = blob(name).getPropertiesWithResponse(null, TIMEOUT, Context.NONE).getValue().getMetadata();
      return leaseOf(name, record);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private static Optional<Lease> leaseOf(String name, Map<String, String> record) {
    if (record == null || !record.containsKey(HOLDER)) {
      return Optional.empty();
    }
    return Optional.of(new Lease(name, RowKeys.unescape(record.get(HOLDER)), Long.parseLong(record.get(TOKEN)),
        Instant.ofEpochMilli(Long.parseLong(record.get(EXPIRES)))));
  }

  private record Change<T>(T result, Optional<Map<String, String>> newRecord) {}

  /**
   * Creates the lease blob if needed, takes its blob lease (waiting for a contender to finish),
   * hands the current record to {@code decide}, writes what it returns with the lease id, and
   * releases the blob lease even when something failed.
   */
  private <T> T underLock(String name, Function<Map<String, String>, Change<T>> decide) {
    BlobClient blob = blob(name);
    BlobLeaseClient lock = new BlobLeaseClientBuilder().blobClient(blob).buildClient();
    String leaseId = takeLock(name, blob, lock);
    try {
      Map<String, String> record = new HashMap<>(blob.getPropertiesWithResponse(
          new BlobRequestConditions().setLeaseId(leaseId), TIMEOUT, Context.NONE).getValue().getMetadata());
      Change<T> change = decide.apply(record);
      change.newRecord().ifPresent(m -> blob.setMetadataWithResponse(m, new BlobRequestConditions().setLeaseId(leaseId), TIMEOUT,
          Context.NONE));
      return change.result();
    } finally {
      try {
        lock.releaseLeaseWithResponse((com.azure.core.http.RequestConditions) null, TIMEOUT, Context.NONE);
      } catch (BlobStorageException e) {
        // It lapses by itself after LOCK_SECONDS; the write above either happened or threw already.
      }
    }
  }

  private String takeLock(String name, BlobClient blob, BlobLeaseClient lock) {
    long deadline = System.nanoTime() + LOCK_DEADLINE.toNanos();
    int attempt = 0;
    while (true) {
      try {
        return lock.acquireLeaseWithResponse(LOCK_SECONDS, null, TIMEOUT, Context.NONE).getValue();
      } catch (BlobStorageException e) {
        if (e.getStatusCode() == 404) {
          // First use of this lease name: make its (empty) blob and try again at once.
          ensureExists(blob);
          continue;
        }
        if (!BlobErrorCode.LEASE_ALREADY_PRESENT.equals(e.getErrorCode()) && e.getStatusCode() != 409) {
          throw e;
        }
        if (System.nanoTime() > deadline) {
          throw new StoreUnavailableException(description + ": lease " + name + " record still locked by another writer after "
              + LOCK_DEADLINE.toSeconds() + " s", e);
        }
      }
      AzureStorageStateStore.pause(++attempt);
    }
  }

  private void ensureExists(BlobClient blob) {
    try {
      blob.getBlockBlobClient().uploadWithResponse(
          new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(new byte[0]))
              .setRequestConditions(new BlobRequestConditions().setIfNoneMatch("*")),
          TIMEOUT, Context.NONE);
    } catch (BlobStorageException e) {
      // 409 BlobAlreadyExists, or 412 with If-None-Match: someone made it first; 412 also when leased.
      if (e.getStatusCode() != 409 && e.getStatusCode() != 412) {
        throw e;
      }
    }
  }

  private BlobClient blob(String name) {
    return container.getBlobClient("lease-" + RowKeys.escape(name));
  }
}
