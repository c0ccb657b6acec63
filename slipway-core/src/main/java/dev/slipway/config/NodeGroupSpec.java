package dev.slipway.config;

import java.nio.file.Path;
import java.util.Optional;

/** {@code controller:} or {@code login:}: a group of identical VMs (or namespaces, locally). */
public record NodeGroupSpec(
    SshSpec ssh,
    PublicIpSpec publicIp,
    Optional<VirtualNetworkSpec> virtualNetwork,
    NetworkSecuritySpec networkSecurity,
    String vmSize,
    int vmCount,
    boolean acceleratedNetworking,
    Optional<Path> additionalPrepScript) {}
