package dev.slipway.azure.arm;

/**
 * An ARM call that failed, or a resource in the way: the message names the resource, what was
 * tried and ARM's error code, so the one line the CLI prints is enough to act on.
 */
public final class ArmException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ArmException(String message) {
    super(message);
  }

  public ArmException(String message, Throwable cause) {
    super(message, cause);
  }
}
