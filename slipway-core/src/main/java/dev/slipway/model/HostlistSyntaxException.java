package dev.slipway.model;

/**
 * A malformed Slurm hostlist expression. The message points at the offending character:
 * {@code malformed hostlist "gpu-[0-" at column 8: expected a digit}.
 */
public class HostlistSyntaxException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String expression;
  private final int position;

  public HostlistSyntaxException(String expression, int position, String reason) {
    super("malformed hostlist \"" + expression + "\" at column " + (position + 1) + ": " + reason);
    this.expression = expression;
    this.position = position;
  }

  public String expression() {
    return expression;
  }

  /** Zero-based index of the offending character. */
  public int position() {
    return position;
  }
}
