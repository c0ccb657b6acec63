package dev.slipway.local.provision;

/** A provisioning step failed; the message says which command or check and why. */
public final class ProvisionException extends RuntimeException {
  public ProvisionException(String message) {
    super(message);
  }

  public ProvisionException(String message, Throwable cause) {
    super(message, cause);
  }
}
