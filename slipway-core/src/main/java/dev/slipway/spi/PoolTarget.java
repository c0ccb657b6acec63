package dev.slipway.spi;

/** Requested pool size, split by node type. */
public record PoolTarget(int dedicated, int lowPriority) {
  public static final PoolTarget ZERO = new PoolTarget(0, 0);

  public PoolTarget {
    if (dedicated < 0 || lowPriority < 0) {
      throw new IllegalArgumentException("negative target: " + dedicated + "/" + lowPriority);
    }
  }

  public int total() {
    return dedicated + lowPriority;
  }
}
