package dev.slipway.spi;

/**
 * Where a host's binding to a provider node stands:
 * REQUESTED (pool asked to grow) -> JOINED (a node claimed the host) -> REGISTERED (slurmd is up)
 * -> RELEASING (node removal asked) -> gone; or FAILED with an error class.
 */
public enum BindingPhase {
  REQUESTED,
  JOINED,
  REGISTERED,
  RELEASING,
  FAILED
}
