package dev.slipway.spi;

import java.util.List;

/**
 * What a pool is asked to be ({@code target}), whether a resize is still running, and the errors
 * the last resize ended with (Azure Batch's resizeErrors: capacity, quota...).
 */
public record PoolStatus(PoolTarget target, boolean resizing, List<ProviderError> resizeErrors) {
  public PoolStatus {
    resizeErrors = List.copyOf(resizeErrors);
  }
}
