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
}
