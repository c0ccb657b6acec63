package dev.slipway.azure.arm;

/**
 * What applying a planned resource does when ARM already has one by that id. A resource that
 * carries this cluster's tag is always this cluster's own (an earlier, interrupted create made
 * it) and is kept; these rules are about resources someone else made.
 */
public enum OnExisting {
  /** The cluster must make it: someone else's resource by that name is an error. */
  FAIL,
  /** Use it as it is if it exists ({@code existing_ok: true}), else create it. */
  USE,
  /** It must exist already (an {@code arm_subnet_id}, or an existing network without an address space to create one). */
  REQUIRE;

  public String label() {
    switch (this) {
      case USE: return "use-or-create";
      case REQUIRE: return "must-exist";
      default: return "create";
    }
  }
}
