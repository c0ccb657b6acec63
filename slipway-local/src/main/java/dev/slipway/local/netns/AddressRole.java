package dev.slipway.local.netns;

/**
 * Which range of the cluster subnet an address comes from. The layout, as host offsets in the
 * subnet (a /24 shown): {@code .1} is the bridge, the root namespace's side where the daemon and
 * the host's munged live; {@code .2}-{@code .9} are controllers and login nodes; {@code .10} and
 * up are compute nodes. Fixed ranges keep controller addresses stable across restarts and make a
 * node's role visible in its address.
 */
public enum AddressRole {
  /** Controllers (slurmctld, the daemon in HA) and login nodes: offsets 2 to 9. */
  INFRASTRUCTURE(2, 9),
  /** Compute nodes: offset 10 to the last host address. */
  COMPUTE(10, Integer.MAX_VALUE);

  /** The bridge's host offset. */
  public static final int BRIDGE = 1;

  private final int first;
  private final int last;

  AddressRole(int first, int last) {
    this.first = first;
    this.last = last;
  }

  int first() {
    return first;
  }

  int last(Subnet subnet) {
    return Math.min(last, subnet.lastHostOffset());
  }
}
