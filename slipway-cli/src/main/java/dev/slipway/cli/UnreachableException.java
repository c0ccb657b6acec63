package dev.slipway.cli;

/** A daemon, controller or service the command needs did not answer (exit code 4). */
public class UnreachableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}
