package dev.slipway.local.services;

/** A local service (munged, MariaDB, slurmdbd) could not be set up, started or stopped; the message says which and why. */
public final class ServiceException extends RuntimeException {
  public ServiceException(String message) {
    super(message);
  }

  public ServiceException(String message, Throwable cause) {
    super(message, cause);
  }
}
