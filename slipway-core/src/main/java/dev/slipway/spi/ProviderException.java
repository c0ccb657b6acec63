package dev.slipway.spi;

/** A provider call failed; {@link #error()} says how the engine should treat it. */
public class ProviderException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient ProviderError error;

  public ProviderException(ProviderError error) {
    super(error.summary() + ": " + error.message());
    this.error = error;
  }

  public ProviderException(ProviderError error, Throwable cause) {
    super(error.summary() + ": " + error.message(), cause);
    this.error = error;
  }

  public ProviderError error() {
    return error;
  }
}
