package dev.slipway.azure.arm;

/**
 * A role assignment for a controller VM's system-assigned identity.
 *
 * @param vmName the VM whose identity is the principal
 * @param vmId its ARM id
 * @param roleName the built-in role's name
 * @param roleDefinitionGuid the built-in role's id (the same in every cloud)
 * @param scope the ARM id of the one resource the role is granted on
 * @param name the assignment's name: a name-based UUID of scope, VM and role, so that re-running
 *     create finds its own assignment and destroy can remove it without listing anything
 * @param why one sentence for the plan: why this role, on this scope
 */
public record RoleGrant(String vmName, String vmId, String roleName, String roleDefinitionGuid, String scope, String name, String why) {
  public String id() {
    return scope + "/providers/Microsoft.Authorization/roleAssignments/" + name;
  }

  public String roleDefinitionId(String subscriptionId) {
    return "/subscriptions/" + subscriptionId + "/providers/Microsoft.Authorization/roleDefinitions/" + roleDefinitionGuid;
  }
}
