package dev.slipway.azure.batch;

import dev.slipway.model.ErrorClass;
import java.util.Set;

/**
 * How Batch's error codes and HTTP statuses become the engine's {@link ErrorClass}. The table is
 * in docs/azure-batch.md; codes not listed fall back on the HTTP status. The service's own code
 * and message always travel with the class in a ProviderError, so nothing is lost here.
 */
public final class BatchErrorMapping {
  private static final Set<String> RESIZE_IN_PROGRESS = Set.of(
      "PoolResizeInProgress", "PoolNotSteady", "OperationConflict", "PoolIsResizing");
  private static final Set<String> CAPACITY = Set.of(
      "AllocationFailed", "AllocationTimedout", "AllocationTimedOut", "OverconstrainedAllocationRequest");
  private static final Set<String> CONFIGURATION_CONFLICTS = Set.of("PoolBeingDeleted", "PoolExists");

  private BatchErrorMapping() {}

  /**
   * Classifies a failed call ({@code status} is the HTTP status) or a pool's resize error
   * ({@code status} 0).
   */
  public static ErrorClass classify(int status, String code) {
    String c = code == null ? "" : code;
    if (RESIZE_IN_PROGRESS.contains(c)) return ErrorClass.RESIZE_IN_PROGRESS;
    if (CAPACITY.contains(c)) return ErrorClass.CAPACITY;
    if (isQuota(c)) return ErrorClass.QUOTA;
    if (CONFIGURATION_CONFLICTS.contains(c)) return ErrorClass.CONFIGURATION;
    if (status == 409) return ErrorClass.RESIZE_IN_PROGRESS;
    if (status == 408 || status == 429 || status >= 500) return ErrorClass.TRANSIENT;
    if ("ServerBusy".equals(c) || "OperationTimedOut".equals(c) || "InternalError".equals(c)) return ErrorClass.TRANSIENT;
    return ErrorClass.CONFIGURATION;
  }

  private static boolean isQuota(String code) {
    // AccountCoreQuotaReached, AccountLowPriorityCoreQuotaReached, AccountSpotCoreQuotaReached,
    // AccountVmSeriesCoreQuotaReached..., PoolQuotaReached...
    return code.startsWith("PoolQuota") || (code.startsWith("Account") && code.endsWith("QuotaReached"));
  }

  /** Whether a call that failed this way may simply be sent again after a pause. */
  public static boolean isRetryable(int status) {
    return status == 408 || status == 429 || status >= 500;
  }
}
