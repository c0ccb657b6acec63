package dev.slipway.azure.arm;

import java.util.Map;
import java.util.Optional;

/**
 * What the provisioner reads back from ARM about one resource.
 *
 * @param provisioningState {@code properties.provisioningState} when ARM reports one
 * @param principalId the system-assigned identity's object id, for a VM that has one
 * @param properties the resource's {@code properties} as plain maps and lists
 */
public record ArmObject(String id, String type, Map<String, String> tags, Optional<String> provisioningState,
    Optional<String> principalId, Map<String, Object> properties) {
  public ArmObject {
    tags = Map.copyOf(tags);
    properties = properties == null ? Map.of() : properties;
  }

  /** True if the resource carries {@code slipway-cluster: clusterId}: it is this cluster's own. */
  public boolean taggedFor(String clusterId) {
    return clusterId.equals(tags.get(ArmPlan.CLUSTER_TAG));
  }
}
