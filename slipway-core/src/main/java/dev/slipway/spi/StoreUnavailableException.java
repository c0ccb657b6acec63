package dev.slipway.spi;

/** The state store cannot be reached or opened (exit code 4 at the CLI). */
public class StoreUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
