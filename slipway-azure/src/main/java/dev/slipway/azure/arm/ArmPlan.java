package dev.slipway.azure.arm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.slipway.config.ConfigProblem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every ARM resource of a cluster's fixed part in creation order, and every role assignment, as
 * computed from the configuration alone (no Azure call). {@code problems} lists what the
 * configuration lacks for an apply (a subscription id, a Batch account); a plan with problems
 * still prints, with placeholders, but is never applied.
 *
 * @param resourceGroups the groups destroy searches for this cluster's tag (the cluster's, and
 *     those of its virtual networks)
 * @param fileServer the storage cluster's NFS server when the plan makes one ({@code --storage-cluster-id})
 */
public record ArmPlan(
    String clusterId,
    String subscriptionId,
    String location,
    String resourceGroup,
    List<String> resourceGroups,
    List<ArmResource> resources,
    List<RoleGrant> roleAssignments,
    List<String> notes,
    List<ConfigProblem> problems,
    Optional<PlannedFileServer> fileServer) {
  /** The tag every created resource carries; destroy finds resources by it and by nothing else. */
  public static final String CLUSTER_TAG = "slipway-cluster";

  public static final String ROLE_TAG = "slipway-role";

  public ArmPlan {
    resourceGroups = List.copyOf(resourceGroups);
    resources = List.copyOf(resources);
    roleAssignments = List.copyOf(roleAssignments);
    notes = List.copyOf(notes);
    problems = List.copyOf(problems);
    java.util.Objects.requireNonNull(fileServer, "fileServer");
  }

  /** Storage cluster id to its servers' private addresses, for the cluster VMs' mounts. */
  public Map<String, List<String>> fileServers() {
    return fileServer.map(f -> Map.of(f.storageClusterId(), List.of(f.privateAddress()))).orElse(Map.of());
  }

  public List<ArmResource> vms() {
    return resources.stream().filter(r -> r.kind() == ResourceKind.VIRTUAL_MACHINE).toList();
  }

  public List<ArmResource> vms(VmRole role) {
    return vms().stream().filter(r -> r.vm().orElseThrow().role() == role).toList();
  }

  public Optional<ArmResource> resource(ResourceKind kind, String name) {
    return resources.stream().filter(r -> r.kind() == kind && r.name().equals(name)).findFirst();
  }

  /** The plan as JSON, without custom data. */
  public String toJson() {
    return toJson(Map.of());
  }

  /**
   * The plan as {@code --dry-run --output json} prints it.
   *
   * @param customData VM name to what may be shown of its custom data (a size and hash: the text holds secrets)
   */
  public String toJson(Map<String, String> customData) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("cluster_id", clusterId);
    root.put("subscription_id", subscriptionId);
    root.put("location", location);
    root.put("resource_group", resourceGroup);
    root.put("tag", Map.of(CLUSTER_TAG, clusterId));
    List<Object> list = new ArrayList<>();
    for (ArmResource r : resources) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("type", r.kind().type());
      m.put("name", r.name());
      m.put("resource_group", r.resourceGroup());
      m.put("id", r.id());
      m.put("api_version", r.kind().apiVersion());
      m.put("if_exists", r.onExisting().label());
      r.vm().ifPresent(vm -> {
        m.put("role", vm.role().label());
        m.put("ssh_public_key", vm.sshKey().describe());
        m.put("custom_data", customData.getOrDefault(r.name(), "from the user data source for " + vm.role().label() + " " + vm.index()));
      });
      m.put("body", r.body());
      list.add(m);
    }
    root.put("resources", list);
    List<Object> grants = new ArrayList<>();
    for (RoleGrant g : roleAssignments) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("principal", "system-assigned identity of " + g.vmName());
      m.put("role", g.roleName());
      m.put("role_definition_id", g.roleDefinitionId(subscriptionId));
      m.put("scope", g.scope());
      m.put("name", g.name());
      m.put("why", g.why());
      grants.add(m);
    }
    root.put("role_assignments", grants);
    root.put("notes", notes);
    List<String> p = new ArrayList<>();
    problems.forEach(pr -> p.add(pr.format()));
    root.put("problems", p);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a plan is plain maps and strings; it always serialises", e);
    }
  }

  /** Resource groups in a stable order, for destroy's tag search. */
  static List<String> distinct(List<String> groups) {
    Set<String> seen = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    List<String> out = new ArrayList<>();
    for (String g : groups) {
      if (seen.add(g)) {
        out.add(g);
      }
    }
    return out;
  }
}
