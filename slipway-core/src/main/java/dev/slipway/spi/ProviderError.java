package dev.slipway.spi;

import dev.slipway.model.ErrorClass;
import java.util.Objects;

/**
 * An error reported by a provider, classified for the engine, with the provider's own code and
 * message kept verbatim so that {@code slipway nodes why} can show what the cloud said.
 */
public record ProviderError(ErrorClass errorClass, String code, String message) {
  public ProviderError {
    Objects.requireNonNull(errorClass, "errorClass");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }

  /** {@code CAPACITY AllocationFailed}: the form used in Slurm reasons. */
  public String summary() {
    return errorClass + " " + code;
  }

  /**
   * The error an injected or simulated allocation limit ends a resize with, in Azure Batch's
   * codes: {@code AccountCoreQuotaReached} / {@code AccountLowPriorityCoreQuotaReached} for QUOTA,
   * {@code AllocationFailed} for CAPACITY. {@code origin} says where it came from ("simulated").
   */
  public static ProviderError allocationShortfall(
      String origin, dev.slipway.model.ErrorClass errorClass, boolean lowPriority, int got, int wanted) {
    String what = got + " of " + wanted + (lowPriority ? " low-priority" : " dedicated") + " nodes allocated";
    if (errorClass == dev.slipway.model.ErrorClass.QUOTA) {
      return new ProviderError(errorClass, lowPriority ? "AccountLowPriorityCoreQuotaReached" : "AccountCoreQuotaReached",
          origin + ": the account's core quota is reached; " + what);
    }
    return new ProviderError(dev.slipway.model.ErrorClass.CAPACITY, "AllocationFailed",
        origin + ": no capacity for the VM size in the region; " + what);
  }
}
