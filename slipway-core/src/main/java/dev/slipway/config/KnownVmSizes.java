package dev.slipway.config;

/**
 * Tells the loader whether a VM size name is known to Slipway's catalog, so that an unknown size
 * becomes a warning at load time instead of a wrong node definition later. The catalog lives in
 * the slurm package; this interface keeps the config package independent of it. Names arrive
 * lower-cased.
 */
@FunctionalInterface
public interface KnownVmSizes {
  boolean contains(String lowerCaseName);

  /** For callers without a catalog: every size is unknown unless declared under {@code slipway.vm_sizes}. */
  static KnownVmSizes none() {
    return name -> false;
  }
}
