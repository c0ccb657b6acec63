package dev.slipway.config;

import java.util.Optional;

/** {@code virtual_network:}; either a name (with subnet) or an ARM subnet id. */
public record VirtualNetworkSpec(
    Optional<String> name,
    Optional<String> resourceGroup,
    boolean existingOk,
    Optional<String> addressSpace,
    Optional<String> subnetName,
    Optional<String> subnetAddressPrefix,
    Optional<String> armSubnetId) {}
