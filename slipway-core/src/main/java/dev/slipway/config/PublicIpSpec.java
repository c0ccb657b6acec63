package dev.slipway.config;

/** {@code public_ip:}; Batch Shipyard defaults: enabled, dynamic. */
public record PublicIpSpec(boolean enabled, boolean isStatic) {
  public static final PublicIpSpec DEFAULT = new PublicIpSpec(true, false);
}
