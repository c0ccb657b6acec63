package dev.slipway.azure.batch;

import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import java.util.Map;

/**
 * A Batch call that failed: the HTTP status (0 when no response arrived), and the service's
 * BatchError code, message and values, classified for the engine.
 */
public class BatchServiceException extends ProviderException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final transient Map<String, String> values;

  public BatchServiceException(int status, String code, String message, Map<String, String> values) {
    super(new ProviderError(BatchErrorMapping.classify(status, code), code, message));
    this.status = status;
    this.values = Map.copyOf(values);
  }

  public BatchServiceException(ProviderError error, Throwable cause) {
    super(error, cause);
    this.status = 0;
    this.values = Map.of();
  }

  public int status() {
    return status;
  }

  /** The {@code values} of the BatchError (key to value), for example the offending property. */
  public Map<String, String> values() {
    return values;
  }
}
