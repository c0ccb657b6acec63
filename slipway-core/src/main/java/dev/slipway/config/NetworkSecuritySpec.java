package dev.slipway.config;

import java.util.List;

/** {@code network_security:}: SSH source prefixes and custom inbound rules. */
public record NetworkSecuritySpec(List<String> ssh, List<InboundRule> customInboundRules) {
  public NetworkSecuritySpec {
    ssh = List.copyOf(ssh);
    customInboundRules = List.copyOf(customInboundRules);
  }

  /** One custom inbound rule; protocol is {@code *}, {@code tcp} or {@code udp}. */
  public record InboundRule(String name, String destinationPortRange, String protocol, List<String> sourceAddressPrefix) {
    public InboundRule {
      sourceAddressPrefix = List.copyOf(sourceAddressPrefix);
    }
  }
}
