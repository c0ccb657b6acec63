package dev.slipway.azure.arm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigException;
import dev.slipway.spi.ClusterStatus;
import dev.slipway.spi.EngineEvent;
import dev.slipway.spi.EventSink;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * The provisioner against {@link FakeArm}: request bodies and their order, continuing after a
 * partial failure, someone else's resources in the way, destroy by tag only, suspend/start/status.
 * One fake server for the class; each test works on a fresh subscription (its own cluster state).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArmProvisionerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final InstantSource CLOCK = InstantSource.fixed(Instant.parse("2026-11-26T12:00:00Z"));
  private static final TokenCredential FAKE_TOKEN =
      request -> Mono.just(new AccessToken("fake-token", OffsetDateTime.now().plusHours(1)));

  @TempDir Path tmp;
  private FakeArm arm;
  private ClusterConfig config;
  private ArmPlan plan;
  private final List<EngineEvent> events = new ArrayList<>();

  @BeforeAll
  void startServer(@TempDir Path dir) throws Exception {
    arm = FakeArm.start(dir);
  }

  @AfterAll
  void stopServer() {
    if (arm != null) {
      arm.close();
    }
  }

  @BeforeEach
  void freshCluster() {
    config = ArmFixtures.load("azure");
    plan = ArmPlanner.plan(config, ArmSettings.defaults(tmp.resolve("cluster")));
    // Each test in its own resource groups: forget what an earlier test left behind.
    for (String rg : plan.resourceGroups()) {
      String id = "/subscriptions/" + plan.subscriptionId() + "/resourceGroups/" + rg;
      if (arm.has(id)) {
        arm.resource(id);
      }
    }
    arm.clearRequests();
    events.clear();
  }

  private ArmProvisioner provisioner(ArmPlan p, ArmProvisioner.DestroyOptions options) {
    ArmConnection c = ArmConnection.of(arm.endpoint(), p.subscriptionId(), Optional.of("tenant"), FAKE_TOKEN)
        .withHttpClient(arm.httpClient()).withTimings(Duration.ofMillis(1), Duration.ofMillis(1));
    UserDataSource userData = (role, index) -> "#cloud-config\n# " + role.label() + " " + index + "\n";
    return new ArmProvisioner(p, () -> ArmGateway.connect(c), userData, CLOCK, Optional::empty, options);
  }

  private ArmProvisioner provisioner() {
    return provisioner(plan, ArmProvisioner.DestroyOptions.DEFAULT);
  }

  private EventSink sink() {
    return events::add;
  }

  /** A plan for this fixture in a resource group of its own, so tests do not see each other's resources. */
  private void isolate(String suffix) {
    plan = ArmPlanner.plan(withGroups(suffix), ArmSettings.defaults(tmp.resolve("cluster")));
  }

  private ClusterConfig withGroups(String suffix) {
    var s = config.slurm();
    var vnet = s.controller().virtualNetwork().orElseThrow();
    var lvnet = s.login().virtualNetwork().orElseThrow();
    var c = new dev.slipway.config.NodeGroupSpec(s.controller().ssh(), s.controller().publicIp(),
        Optional.of(new dev.slipway.config.VirtualNetworkSpec(vnet.name(), Optional.of("net-rg-" + suffix), vnet.existingOk(),
            vnet.addressSpace(), vnet.subnetName(), vnet.subnetAddressPrefix(), vnet.armSubnetId())),
        s.controller().networkSecurity(), s.controller().vmSize(), s.controller().vmCount(), s.controller().acceleratedNetworking(),
        s.controller().additionalPrepScript());
    var l = new dev.slipway.config.NodeGroupSpec(s.login().ssh(), s.login().publicIp(),
        Optional.of(new dev.slipway.config.VirtualNetworkSpec(lvnet.name(), Optional.of("net-rg-" + suffix), lvnet.existingOk(),
            lvnet.addressSpace(), lvnet.subnetName(), lvnet.subnetAddressPrefix(), lvnet.armSubnetId())),
        s.login().networkSecurity(), s.login().vmSize(), s.login().vmCount(), s.login().acceleratedNetworking(), s.login().additionalPrepScript());
    var slurm = new dev.slipway.config.SlurmClusterSpec(s.clusterId(), s.storageAccountSettings(), s.location(),
        Optional.of("hpc-rg-" + suffix), c, l, s.sharedDataVolumes(), s.options());
    return new ClusterConfig(config.sources(), slurm, config.slipway(), config.global(), config.credentials(), config.poolSpecs(), config.remoteFs());
  }

  private void seedGroup(String rg) {
    arm.seed("/subscriptions/" + plan.subscriptionId() + "/resourceGroups/" + rg, Map.of("location", "westeurope", "properties",
        Map.of("provisioningState", "Succeeded")));
  }

  private List<String> puts() {
    return arm.requests().stream().filter(r -> r.method().equals("PUT")).map(FakeArm.Request::path).collect(Collectors.toList());
  }

  private JsonNode putBody(String id) throws Exception {
    FakeArm.Request r = arm.requests().stream().filter(q -> q.method().equals("PUT") && q.path().equals(id)).reduce((a, b) -> b).orElseThrow();
    return JSON.readTree(r.body());
  }

  @Test
  void create_onAnEmptySubscription_putsEveryPlannedResourceInOrder_thenTheRoleAssignments() throws Exception {
    isolate("order");
    provisioner().create(sink());

    List<String> expected = new ArrayList<>();
    plan.resources().forEach(r -> expected.add(r.id()));
    plan.roleAssignments().forEach(g -> expected.add(g.id()));
    assertThat(puts()).containsExactlyElementsOf(expected);
    assertThat(arm.requests()).allSatisfy(r -> {
      if (!r.path().startsWith("/fakeops/")) {
        assertThat(r.query()).containsKey("api-version");
      }
    });
    // Every resource is read before it is written.
    List<FakeArm.Request> reqs = arm.requests();
    for (ArmResource r : plan.resources()) {
      int get = indexOf(reqs, "GET", r.id());
      int put = indexOf(reqs, "PUT", r.id());
      assertThat(get).as("GET before PUT of " + r.name()).isGreaterThanOrEqualTo(0).isLessThan(put);
      assertThat(reqs.get(put).query().get("api-version")).isEqualTo(r.kind().apiVersion());
    }
  }

  private static int indexOf(List<FakeArm.Request> reqs, String method, String path) {
    for (int i = 0; i < reqs.size(); i++) {
      if (reqs.get(i).method().equals(method) && reqs.get(i).path().equals(path)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void create_vmBodies_carryTheKeyTheCustomDataTheTagsAndAnIdentityOnControllersOnly() throws Exception {
    isolate("bodies");
    provisioner().create(sink());

    ArmResource ctl = plan.vms(VmRole.CONTROLLER).get(0);
    JsonNode c = putBody(ctl.id());
    assertThat(c.path("identity").path("type").asText()).isEqualTo("SystemAssigned");
    assertThat(c.path("tags").path("slipway-cluster").asText()).isEqualTo("hpc");
    JsonNode os = c.path("properties").path("osProfile");
    assertThat(os.path("linuxConfiguration").path("ssh").path("publicKeys").get(0).path("keyData").asText())
        .startsWith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyForTestsOnly");
    assertThat(new String(Base64.getDecoder().decode(os.path("customData").asText()), StandardCharsets.UTF_8))
        .isEqualTo("#cloud-config\n# controller 0\n");
    assertThat(c.path("properties").path("storageProfile").path("imageReference").path("offer").asText()).isEqualTo("ubuntu-24_04-lts");
    assertThat(c.path("properties").path("availabilitySet").path("id").asText()).endsWith("/availabilitySets/hpc-controller-as");

    ArmResource login = plan.vms(VmRole.LOGIN).get(0);
    JsonNode l = putBody(login.id());
    assertThat(l.has("identity")).isFalse();
    String loginKey = l.path("properties").path("osProfile").path("linuxConfiguration").path("ssh").path("publicKeys").get(0)
        .path("keyData").asText();
    // No key configured for login: generated under the cluster directory, private half 0600.
    Path priv = tmp.resolve("cluster/ssh/id_rsa_slipway_login");
    assertThat(loginKey).startsWith("ssh-rsa ").isEqualTo(java.nio.file.Files.readString(Path.of(priv + ".pub")).strip());
    assertThat(java.nio.file.Files.getPosixFilePermissions(priv)).containsExactlyInAnyOrder(
        java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

    // Role assignments name each controller's identity and exactly the planned scopes.
    for (RoleGrant g : plan.roleAssignments()) {
      JsonNode body = putBody(g.id());
      String principal = (String) ((Map<?, ?>) arm.resource(g.vmId()).get("identity")).get("principalId");
      assertThat(body.path("properties").path("principalId").asText()).isEqualTo(principal);
      assertThat(body.path("properties").path("principalType").asText()).isEqualTo("ServicePrincipal");
      assertThat(body.path("properties").path("roleDefinitionId").asText()).endsWith(g.roleDefinitionGuid());
    }
    assertThat(plan.roleAssignments()).extracting(RoleGrant::scope).allSatisfy(s -> assertThat(s)
        .matches(".*/providers/Microsoft\\.(Batch/batchAccounts/hpc(gpu)?batch|Storage/storageAccounts/hpcstate)"));
  }

  @Test
  void create_afterAFailedVm_continuesWhereItStopped_andWritesOnlyWhatIsMissingOrFailed() throws Exception {
    isolate("resume");
    ArmResource loginVm = plan.vms(VmRole.LOGIN).get(0);
    arm.failNextPut(id -> id.equals(loginVm.id()));
    assertThatThrownBy(() -> provisioner().create(sink())).isInstanceOf(ArmException.class)
        .hasMessageContaining("AllocationFailed").hasMessageContaining(loginVm.name());
    assertThat(puts()).last().isEqualTo(loginVm.id());
    assertThat(puts()).noneMatch(p -> p.contains("roleAssignments"));

    arm.clearRequests();
    provisioner().create(sink());
    List<String> expected = new ArrayList<>();
    expected.add(loginVm.id());
    plan.roleAssignments().forEach(g -> expected.add(g.id()));
    assertThat(puts()).containsExactlyElementsOf(expected);

    arm.clearRequests();
    provisioner().create(sink());
    assertThat(puts()).as("a third create finds everything in place").isEmpty();
  }

  @Test
  void create_whenSomeoneElsesNetworkHasTheName_andExistingOkIsFalse_stopsBeforeTouchingIt() throws Exception {
    isolate("foreign");
    ArmResource vnet = plan.resources().stream().filter(r -> r.kind() == ResourceKind.VIRTUAL_NETWORK).findFirst().orElseThrow();
    seedGroup(vnet.resourceGroup());
    arm.seed(vnet.id(), Map.of("location", "westeurope", "tags", Map.of("owner", "someone-else"),
        "properties", Map.of("provisioningState", "Succeeded")));

    assertThatThrownBy(() -> provisioner().create(sink())).isInstanceOf(ArmException.class)
        .hasMessageContaining("virtual network hpcvnet exists").hasMessageContaining("existing_ok: true");
    assertThat(puts()).containsExactly(plan.resources().get(0).id());
  }

  @Test
  void create_withProblemsInThePlan_isAConfigErrorAndCallsNothing() {
    ArmPlan broken = ArmPlanner.plan(ArmFixtures.load("rich"), ArmSettings.defaults(tmp));
    assertThatThrownBy(() -> provisioner(broken, ArmProvisioner.DestroyOptions.DEFAULT).create(sink()))
        .isInstanceOf(ConfigException.class);
    assertThat(arm.requests()).isEmpty();
  }

  @Test
  void destroy_removesExactlyWhatIsTaggedWithThisCluster_andKeepsTheNetworkUnlessAsked() throws Exception {
    isolate("destroy");
    provisioner().create(sink());
    String rgId = plan.resources().get(0).id();
    String nameAlike = rgId + "/providers/Microsoft.Network/networkSecurityGroups/hpc-controller-nsg-copy";
    String otherCluster = rgId + "/providers/Microsoft.Network/publicIPAddresses/hpc-gateway-pip009";
    arm.seed(nameAlike, Map.of("location", "westeurope", "tags", Map.of("owner", "me")));
    arm.seed(otherCluster, Map.of("location", "westeurope", "tags", Map.of(ArmPlan.CLUSTER_TAG, "hpc2")));
    arm.clearRequests();

    provisioner().destroy(sink());

    List<String> deleted = arm.requests().stream().filter(r -> r.method().equals("DELETE")).map(FakeArm.Request::path).toList();
    List<String> expected = new ArrayList<>();
    plan.roleAssignments().forEach(g -> expected.add(g.id()));
    for (ResourceKind k : List.of(ResourceKind.VIRTUAL_MACHINE, ResourceKind.NETWORK_INTERFACE, ResourceKind.PUBLIC_IP,
        ResourceKind.NETWORK_SECURITY_GROUP, ResourceKind.AVAILABILITY_SET)) {
      plan.resources().stream().filter(r -> r.kind() == k).forEach(r -> expected.add(r.id()));
    }
    assertThat(deleted).containsExactlyInAnyOrderElementsOf(expected);
    // Role assignments go first, and VMs before the NICs and IPs they use.
    assertThat(deleted.subList(0, plan.roleAssignments().size())).allMatch(p -> p.contains("roleAssignments"));
    assertThat(deleted.indexOf(plan.vms().get(2).id())).isLessThan(deleted.indexOf(
        plan.resources().stream().filter(r -> r.kind() == ResourceKind.NETWORK_INTERFACE).findFirst().orElseThrow().id()));
    assertThat(arm.requests()).filteredOn(r -> r.path().endsWith("/resources"))
        .allSatisfy(r -> assertThat(r.query().get("$filter")).isEqualTo("tagName eq 'slipway-cluster' and tagValue eq 'hpc'"));
    assertThat(arm.has(nameAlike)).isTrue();
    assertThat(arm.has(otherCluster)).isTrue();
    ArmResource vnet = plan.resources().stream().filter(r -> r.kind() == ResourceKind.VIRTUAL_NETWORK).findFirst().orElseThrow();
    assertThat(arm.has(vnet.id())).isTrue();
    assertThat(arm.has(rgId)).isTrue();
    assertThat(events).extracting(EngineEvent::message).anyMatch(m -> m.contains("--delete-virtual-network removes it"));
  }

  @Test
  void destroy_withBothOptions_removesTheNetworkAndTheGroupThisClusterMade() throws Exception {
    isolate("all");
    provisioner().create(sink());
    ArmResource vnet = plan.resources().stream().filter(r -> r.kind() == ResourceKind.VIRTUAL_NETWORK).findFirst().orElseThrow();
    String rgId = plan.resources().get(0).id();

    provisioner(plan, new ArmProvisioner.DestroyOptions(true, true)).destroy(sink());

    assertThat(arm.has(vnet.id())).isFalse();
    assertThat(arm.has(rgId)).isFalse();
    assertThat(arm.requests()).filteredOn(r -> r.method().equals("DELETE")).last().extracting(FakeArm.Request::path).isEqualTo(rgId);
  }

  @Test
  void destroy_withDeleteResourceGroup_keepsAGroupThisClusterDidNotMake() throws Exception {
    isolate("theirs");
    seedGroup(plan.resourceGroup());
    provisioner().create(sink());

    provisioner(plan, new ArmProvisioner.DestroyOptions(true, false)).destroy(sink());

    assertThat(arm.has(plan.resources().get(0).id())).isTrue();
    assertThat(plan.vms()).allSatisfy(vm -> assertThat(arm.has(vm.id())).isFalse());
    assertThat(events).extracting(EngineEvent::message).anyMatch(m -> m.contains("was not created by this cluster"));
  }

  @Test
  void suspend_deallocatesEveryVm_startRunsThemAgain_andStatusShowsPowerStateAndAddresses() throws Exception {
    isolate("power");
    assertThat(provisioner().status().phase()).isEqualTo("absent");
    provisioner().create(sink());
    assertThat(provisioner().status().phase()).isEqualTo("running");
    arm.clearRequests();

    provisioner().suspend(sink());
    assertThat(arm.requests()).filteredOn(r -> r.method().equals("POST")).extracting(FakeArm.Request::path)
        .containsExactly(plan.vms().stream().map(v -> v.id() + "/deallocate").toArray(String[]::new));
    ClusterStatus s = provisioner().status();
    assertThat(s.phase()).isEqualTo("suspended");
    assertThat(s.controllers()).extracting(ClusterStatus.Machine::state).containsExactly("deallocated", "deallocated");

    provisioner().start(sink());
    s = provisioner().status();
    assertThat(s.phase()).isEqualTo("running");
    assertThat(s.controllers()).extracting(ClusterStatus.Machine::name).containsExactly("hpc-controller-vm000", "hpc-controller-vm001");
    assertThat(s.controllers()).allSatisfy(m -> assertThat(m.address()).startsWith("10.40."));
    assertThat(s.logins()).singleElement().satisfies(m -> assertThat(m.address()).startsWith("198.51.100."));
  }
}
