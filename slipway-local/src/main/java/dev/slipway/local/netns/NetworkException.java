package dev.slipway.local.netns;

import java.util.List;

/** An {@code ip} (or {@code kill}) command failed; the message carries the command and its stderr. */
public class NetworkException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NetworkException(List<String> command, int exitCode, String stderr) {
    super(String.join(" ", command) + " exited " + exitCode + (stderr.isBlank() ? "" : ": " + stderr.strip()));
  }

  public NetworkException(String message) {
    super(message);
  }
}
