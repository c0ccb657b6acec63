package dev.slipway.azure.batch;

import java.util.Map;
import java.util.Objects;

/**
 * One pool of an account listing: what the engine reads of it and its metadata (name/value
 * pairs set at creation, by which Slipway recognises the pools it owns).
 */
public record BatchPoolListing(BatchPoolInfo pool, Map<String, String> metadata) {
  public BatchPoolListing {
    Objects.requireNonNull(pool, "pool");
    metadata = Map.copyOf(metadata);
  }
}
