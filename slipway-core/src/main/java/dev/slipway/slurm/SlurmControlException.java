package dev.slipway.slurm;

/** A Slurm command failed or printed something that could not be read; the message holds the command and what it said. */
public class SlurmControlException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SlurmControlException(String message) {
    super(message);
  }

  public SlurmControlException(String message, Throwable cause) {
    super(message, cause);
  }
}
