package dev.slipway.cli;

/** The exit codes of every slipway command (architecture section 6). */
public final class ExitCodes {
  public static final int OK = 0;
  public static final int FAILURE = 1;
  public static final int USAGE = 2;
  public static final int INVALID_CONFIG = 3;
  public static final int UNREACHABLE = 4;

  private ExitCodes() {}
}
