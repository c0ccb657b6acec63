package dev.slipway.azure.batch;

import dev.slipway.spi.ProviderError;
import java.util.Map;
import java.util.Objects;

/** One entry of a pool's {@code resizeErrors}: why the last resize did not reach its target. */
public record BatchResizeError(String code, String message, Map<String, String> values) {
  public BatchResizeError {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
    values = Map.copyOf(values);
  }

  public ProviderError toProviderError() {
    return new ProviderError(BatchErrorMapping.classify(0, code), code, message);
  }
}
