package dev.slipway.azure.arm;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One resource of a plan: what ARM gets on PUT ({@code body}: location, tags, sku, identity,
 * properties, exactly as sent) and what to do if it exists already.
 *
 * @param id the full ARM id
 * @param name the resource's name ({@code vnet/subnet} for a subnet)
 * @param vm for a VM, the parts filled in at apply time
 */
public record ArmResource(
    ResourceKind kind, String id, String name, String resourceGroup, OnExisting onExisting, Map<String, Object> body,
    Optional<PlannedVm> vm) {
  public ArmResource {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    // Insertion order kept: plans print in the order ARM documents the fields.
    body = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(body));
  }
}
