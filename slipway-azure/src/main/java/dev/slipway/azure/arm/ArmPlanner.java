package dev.slipway.azure.arm;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigProblem;
import dev.slipway.config.Credentials;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.config.NetworkSecuritySpec;
import dev.slipway.config.NodeGroupSpec;
import dev.slipway.config.PoolSpec;
import dev.slipway.config.SshSpec;
import dev.slipway.config.VirtualNetworkSpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Turns a cluster configuration into an {@link ArmPlan}: a pure function, no I/O, so dry runs and
 * golden tests see exactly what create will send.
 *
 * <p>Order (each resource only refers to ones before it): resource group; each distinct virtual
 * network once, then each distinct subnet once (Batch Shipyard ensured the network once per VM,
 * so {@code existing_ok: false} failed for any two VMs sharing it, its bug 6.2 #24); one NSG per
 * role; public IPs; an availability set per role with more than one VM; NICs; VMs, controllers
 * first. Names follow Batch Shipyard ({@code <id>-controller-vm000}, {@code <id>-gateway-ni001}),
 * so an operator finds the same names as before.
 *
 * <p>Identity: controllers get a system-assigned identity with data-plane roles on exactly the
 * Batch accounts of the cluster's pools and the cluster's storage account; login VMs get no
 * identity (Batch Shipyard gave every VM, login included, Contributor on the subscription, its
 * bug 6.3 #40: any login user could take that token from IMDS).
 */
public final class ArmPlanner {
  /** Slurm's fixed ports: slurmctld 6817, slurmd 6818, slurmdbd 6819. */
  static final String SLURM_PORTS = "6817-6819";
  static final String BATCH_DATA_CONTRIBUTOR = "6aaa78f1-f7de-44ca-8722-c64a23943cae";
  static final String STORAGE_TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
  static final String STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
  private static final String MISSING_SUBSCRIPTION = "<subscription_id>";

  private final ClusterConfig config;
  private final ArmSettings settings;
  private final List<ConfigProblem> problems = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final String clusterId;
  private String subscription = MISSING_SUBSCRIPTION;
  private String location = "<location>";
  private String resourceGroup = "<resource_group>";

  private ArmPlanner(ClusterConfig config, ArmSettings settings) {
    this.config = config;
    this.settings = settings;
    this.clusterId = config.slurm().clusterId();
  }

  /** The plan for {@code config}; never throws for missing Azure settings (they become {@link ArmPlan#problems()}). */
  public static ArmPlan plan(ClusterConfig config, ArmSettings settings) {
    return new ArmPlanner(config, settings).build();
  }

  private ArmPlan build() {
    Optional<Credentials> creds = config.credentials();
    creds.flatMap(Credentials::management).flatMap(Credentials.ManagementCredentials::subscriptionId).filter(s -> !s.isBlank())
        .ifPresentOrElse(s -> subscription = s, () -> problem(credentialsFile(), "credentials.management.subscription_id",
            "the azure backend needs the subscription to create the cluster in", "a subscription id (GUID)"));
    config.slurm().location().ifPresentOrElse(l -> location = l,
        () -> problem(slurmFile(), "slurm.location", "no Azure region given", "a region name such as eastus"));
    config.slurm().resourceGroup().ifPresentOrElse(g -> resourceGroup = g,
        () -> problem(slurmFile(), "slurm.resource_group", "no resource group given", "a resource group name"));

    List<ArmResource> resources = new ArrayList<>();
    List<String> groups = new ArrayList<>();
    groups.add(resourceGroup);
    resources.add(new ArmResource(ResourceKind.RESOURCE_GROUP, rgId(resourceGroup), resourceGroup, resourceGroup, OnExisting.USE,
        ordered("location", location, "tags", tags("cluster")), Optional.empty()));

    Network controllerNet = network(VmRole.CONTROLLER, config.slurm().controller());
    Network loginNet = network(VmRole.LOGIN, config.slurm().login());
    Optional<StorageSpec> storage = settings.storageClusterId().flatMap(this::storageSpec);
    List<Network> nets = new ArrayList<>(List.of(controllerNet, loginNet));
    storage.ifPresent(st -> nets.add(st.net()));
    addNetworks(resources, groups, nets);

    List<String> clusterPrefixes = clusterSubnetPrefixes(controllerNet, loginNet);
    addNsg(resources, VmRole.CONTROLLER, config.slurm().controller(), clusterPrefixes);
    addNsg(resources, VmRole.LOGIN, config.slurm().login(), clusterPrefixes);
    storage.ifPresent(st -> addStorageNsg(resources, st, clusterPrefixes));

    List<PlannedVm> vms = new ArrayList<>();
    int offset = 0;
    for (int i = 0; i < config.slurm().controller().vmCount(); i++) {
      vms.add(plannedVm(VmRole.CONTROLLER, i, offset++, config.slurm().controller().ssh()));
    }
    for (int i = 0; i < config.slurm().login().vmCount(); i++) {
      vms.add(plannedVm(VmRole.LOGIN, i, offset++, config.slurm().login().ssh()));
    }
    for (PlannedVm vm : vms) {
      NodeGroupSpec g = group(vm.role());
      if (g.publicIp().enabled()) {
        resources.add(publicIp(vm));
      }
    }
    storage.filter(StorageSpec::publicIp).ifPresent(st -> resources.add(new ArmResource(ResourceKind.PUBLIC_IP,
        id(resourceGroup, ResourceKind.PUBLIC_IP, st.prefix() + "-pip000"), st.prefix() + "-pip000", resourceGroup, OnExisting.FAIL,
        ordered("location", location, "tags", tags("storage"), "sku", ordered("name", "Standard", "tier", "Regional"),
            "properties", ordered("publicIPAllocationMethod", "Static", "publicIPAddressVersion", "IPv4", "idleTimeoutInMinutes", 30,
                "dnsSettings", ordered("domainNameLabel", (st.prefix() + "000").toLowerCase(Locale.ROOT)))), Optional.empty())));
    for (VmRole role : List.of(VmRole.CONTROLLER, VmRole.LOGIN)) {
      if (group(role).vmCount() > 1) {
        resources.add(new ArmResource(ResourceKind.AVAILABILITY_SET, id(resourceGroup, ResourceKind.AVAILABILITY_SET, availabilitySetName(role)),
            availabilitySetName(role), resourceGroup, OnExisting.FAIL, ordered(
                "location", location, "tags", tags(role.label()), "sku", ordered("name", "Aligned"),
                "properties", ordered("platformFaultDomainCount", 2, "platformUpdateDomainCount", 5)), Optional.empty()));
      }
    }
    storage.ifPresent(st -> addStorageDisks(resources, st));
    for (PlannedVm vm : vms) {
      resources.add(nic(vm, vm.role() == VmRole.CONTROLLER ? controllerNet : loginNet));
    }
    storage.ifPresent(st -> resources.add(storageNic(st)));
    List<RoleGrant> grants = new ArrayList<>();
    List<String> batchScopes = batchAccountScopes();
    Optional<String> storageScope = storageAccountScope();
    logShare(storageScope).ifPresent(resources::add);
    for (PlannedVm vm : vms) {
      ArmResource r = vmResource(vm);
      resources.add(r);
      if (vm.role() == VmRole.CONTROLLER) {
        for (String scope : batchScopes) {
          grants.add(grant(r, "Azure Batch Data Contributor", BATCH_DATA_CONTRIBUTOR, scope,
              "the daemon resizes this account's pools and removes specific nodes (data plane), and needs nothing of the account itself"));
        }
        storageScope.ifPresent(scope -> {
          grants.add(grant(r, "Storage Table Data Contributor", STORAGE_TABLE_DATA_CONTRIBUTOR, scope,
              "the state store keeps intents, bindings and events in tables of this account (ETag compare-and-set)"));
          grants.add(grant(r, "Storage Blob Data Contributor", STORAGE_BLOB_DATA_CONTRIBUTOR, scope,
              "leadership is a blob lease in this account; no key is ever handed to a VM"));
        });
      }
    }
    Optional<PlannedFileServer> fileServer = storage.map(st -> {
      resources.add(storageVm(st));
      return st.fileServer(storagePrefixes);
    });
    for (VmRole role : List.of(VmRole.CONTROLLER, VmRole.LOGIN)) {
      if (group(role).publicIp().enabled() && !group(role).publicIp().isStatic()) {
        notes.add(role.label() + ": public_ip.static is false, but Standard public IPs (the only SKU Azure still offers) are always static");
      }
    }
    notes.add("login VMs get no managed identity and no role assignment");
    notes.add("OS disks are deleted with their VM (deleteOption: Delete); subnets and role assignments take no tags, so destroy "
        + "finds role assignments by their names and leaves subnets to --delete-virtual-network");
    return new ArmPlan(clusterId, subscription, location, resourceGroup, ArmPlan.distinct(groups), resources, grants, notes, problems, fileServer);
  }

  // ------------------------------------------------------------------ network

  /** Where a role's NICs attach: a subnet id, plus what is known of its address prefix. */
  private record Network(VmRole role, String subnetId, Optional<String> subnetPrefix, Optional<VnetPlan> vnet, Optional<SubnetPlan> subnet) {}

  private record VnetPlan(String resourceGroup, String name, Optional<String> addressSpace, boolean existingOk) {}

  private record SubnetPlan(String resourceGroup, String vnet, String name, String prefix, boolean existingOk) {}

  private Network network(VmRole role, NodeGroupSpec g) {
    return network(role, g.virtualNetwork(), "slurm." + role.label() + ".virtual_network");
  }

  private Network network(VmRole role, Optional<VirtualNetworkSpec> spec, String key) {
    if (spec.isEmpty()) {
      problem(slurmFile(), key, "the azure backend needs a virtual network for " + role.label() + " VMs", "name and subnet, or arm_subnet_id");
      String placeholder = id(resourceGroup, ResourceKind.SUBNET, "<vnet>/<subnet>");
      return new Network(role, placeholder, Optional.empty(), Optional.empty(), Optional.empty());
    }
    VirtualNetworkSpec v = spec.get();
    if (v.armSubnetId().isPresent()) {
      return new Network(role, v.armSubnetId().get(), Optional.empty(), Optional.empty(), Optional.empty());
    }
    String vnetRg = v.resourceGroup().orElse(resourceGroup);
    String vnetName = v.name().orElse("<vnet>");
    VnetPlan vnet = new VnetPlan(vnetRg, vnetName, v.addressSpace(), v.existingOk());
    if (v.subnetName().isEmpty() || v.subnetAddressPrefix().isEmpty()) {
      problem(slurmFile(), key + ".subnet", "no subnet given for " + role.label() + " VMs", "subnet.name and subnet.address_prefix, or arm_subnet_id");
      return new Network(role, id(vnetRg, ResourceKind.SUBNET, vnetName + "/<subnet>"), Optional.empty(), Optional.of(vnet), Optional.empty());
    }
    SubnetPlan subnet = new SubnetPlan(vnetRg, vnetName, v.subnetName().get(), v.subnetAddressPrefix().get(), v.existingOk());
    return new Network(role, id(vnetRg, ResourceKind.SUBNET, vnetName + "/" + subnet.name()), Optional.of(subnet.prefix()),
        Optional.of(vnet), Optional.of(subnet));
  }

  /** Each distinct network and subnet once, whichever roles share them. */
  private void addNetworks(List<ArmResource> resources, List<String> groups, List<Network> nets) {
    Map<String, VnetPlan> vnets = new LinkedHashMap<>();
    for (Network n : nets) {
      n.vnet().ifPresent(v -> {
        String k = (v.resourceGroup() + "/" + v.name()).toLowerCase(Locale.ROOT);
        VnetPlan seen = vnets.get(k);
        if (seen == null) {
          vnets.put(k, v);
          return;
        }
        if (seen.addressSpace().isPresent() && v.addressSpace().isPresent() && !seen.addressSpace().equals(v.addressSpace())) {
          problem(slurmFile(), "slurm." + n.role().label() + ".virtual_network.address_space", "virtual network " + v.name()
              + " is given address space " + v.addressSpace().get() + " here and " + seen.addressSpace().get() + " for the other role",
              "the same address_space (or none) wherever the network is named");
        }
        if (seen.existingOk() != v.existingOk()) {
          problem(slurmFile(), "slurm." + n.role().label() + ".virtual_network.existing_ok", "virtual network " + v.name()
              + " has existing_ok " + v.existingOk() + " here and " + seen.existingOk() + " for the other role",
              "the same existing_ok wherever the network is named");
        }
        vnets.put(k, new VnetPlan(seen.resourceGroup(), seen.name(), seen.addressSpace().or(v::addressSpace), seen.existingOk()));
      });
    }
    for (VnetPlan v : vnets.values()) {
      // A network in a group of its own needs that group first (made, and tagged, only if missing).
      if (ArmPlan.distinct(groups).stream().noneMatch(g -> g.equalsIgnoreCase(v.resourceGroup()))) {
        resources.add(new ArmResource(ResourceKind.RESOURCE_GROUP, rgId(v.resourceGroup()), v.resourceGroup(), v.resourceGroup(),
            OnExisting.USE, ordered("location", location, "tags", tags("network")), Optional.empty()));
      }
      groups.add(v.resourceGroup());
    }
    for (VnetPlan v : vnets.values()) {
      OnExisting on = !v.existingOk() ? OnExisting.FAIL : v.addressSpace().isPresent() ? OnExisting.USE : OnExisting.REQUIRE;
      if (!v.existingOk() && v.addressSpace().isEmpty()) {
        problem(slurmFile(), "slurm.controller.virtual_network.address_space", "virtual network " + v.name()
            + " is to be created (existing_ok: false) but has no address space", "an address_space such as 10.0.0.0/16, or existing_ok: true");
      }
      Map<String, Object> props = ordered("addressSpace", ordered("addressPrefixes", v.addressSpace().map(List::of).orElse(List.of())));
      resources.add(new ArmResource(ResourceKind.VIRTUAL_NETWORK, id(v.resourceGroup(), ResourceKind.VIRTUAL_NETWORK, v.name()), v.name(),
          v.resourceGroup(), on, ordered("location", location, "tags", tags("network"), "properties", props), Optional.empty()));
    }
    Set<String> seenSubnets = new TreeSet<>();
    for (Network n : nets) {
      n.subnet().ifPresent(s -> {
        if (!seenSubnets.add(n.subnetId().toLowerCase(Locale.ROOT))) {
          return;
        }
        // Subnets take no tags; a subnet of a network this cluster creates is removed with it.
        resources.add(new ArmResource(ResourceKind.SUBNET, n.subnetId(), s.vnet() + "/" + s.name(), s.resourceGroup(),
            s.existingOk() ? OnExisting.USE : OnExisting.FAIL, ordered("properties", ordered("addressPrefix", s.prefix())), Optional.empty()));
      });
    }
  }

  /** Address prefixes of every subnet the cluster's machines live in: controllers, login nodes, Batch pools. */
  private List<String> clusterSubnetPrefixes(Network controller, Network login) {
    Set<String> prefixes = new LinkedHashSet<>();
    boolean unknown = false;
    for (Network n : List.of(controller, login)) {
      if (n.subnetPrefix().isPresent()) {
        prefixes.add(n.subnetPrefix().get());
      } else {
        unknown = true;
      }
    }
    for (String poolId : poolIds()) {
      Optional<PoolSpec> spec = Optional.ofNullable(config.poolSpecs().get(poolId));
      Optional<String> prefix = spec.flatMap(PoolSpec::subnetAddressPrefix);
      if (prefix.isPresent()) {
        prefixes.add(prefix.get());
      } else {
        unknown = true;
      }
    }
    if (unknown) {
      notes.add("some cluster subnets have no known address prefix (arm_subnet_id, or a pool without pool.yaml), so Slurm ports"
          + " are opened to the VirtualNetwork service tag");
      return List.of("VirtualNetwork");
    }
    return List.copyOf(prefixes);
  }

  private void addNsg(List<ArmResource> resources, VmRole role, NodeGroupSpec g, List<String> clusterPrefixes) {
    List<Object> rules = new ArrayList<>();
    NetworkSecuritySpec sec = g.networkSecurity();
    if (!sec.ssh().isEmpty()) {
      rules.add(rule("ssh", 100, "Tcp", "22", sec.ssh()));
    }
    int priority = 110;
    for (NetworkSecuritySpec.InboundRule r : sec.customInboundRules()) {
      String protocol = switch (r.protocol()) {
        case "tcp" -> "Tcp";
        case "udp" -> "Udp";
        default -> "*";
      };
      rules.add(rule(r.name(), priority, protocol, r.destinationPortRange(), r.sourceAddressPrefix()));
      priority += 10;
    }
    rules.add(rule("slurm", 1000, "Tcp", SLURM_PORTS, clusterPrefixes));
    if (role == VmRole.CONTROLLER) {
      // Nodes join through the daemon (docs/join-protocol.md), from the pools' subnets.
      rules.add(rule("slipway-join", 1010, "Tcp", Integer.toString(config.slipway().daemonPort()), clusterPrefixes));
    }
    if (role == VmRole.LOGIN && settings.srunPortRange().isPresent()) {
      rules.add(rule("srun", 1020, "Tcp", settings.srunPortRange().get(), clusterPrefixes));
    }
    String name = prefix(role) + "-nsg";
    resources.add(new ArmResource(ResourceKind.NETWORK_SECURITY_GROUP, id(resourceGroup, ResourceKind.NETWORK_SECURITY_GROUP, name), name,
        resourceGroup, OnExisting.FAIL, ordered("location", location, "tags", tags(role.label()), "properties", ordered("securityRules", rules)),
        Optional.empty()));
  }

  private static Map<String, Object> rule(String name, int priority, String protocol, String ports, List<String> sources) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("priority", priority);
    p.put("direction", "Inbound");
    p.put("access", "Allow");
    p.put("protocol", protocol);
    p.put("sourcePortRange", "*");
    p.put("destinationPortRange", ports);
    p.put("destinationAddressPrefix", "*");
    // ARM takes one prefix (or '*', or a service tag) in the singular field and several in the plural.
    if (sources.size() == 1) {
      p.put("sourceAddressPrefix", sources.get(0));
    } else {
      p.put("sourceAddressPrefixes", List.copyOf(sources));
    }
    return ordered("name", name, "properties", p);
  }

  // ------------------------------------------------------------------ VMs

  private PlannedVm plannedVm(VmRole role, int index, int offset, SshSpec ssh) {
    return new PlannedVm(role, index, offset, ssh.username(), keySource(role, ssh));
  }

  private SshKeySource keySource(VmRole role, SshSpec ssh) {
    Path base = config.sources().baseDir();
    if (ssh.sshPublicKeyData().isPresent()) {
      return SshKeySource.data(ssh.sshPublicKeyData().get());
    }
    if (ssh.sshPublicKey().isPresent()) {
      return SshKeySource.file(base.resolve(ssh.sshPublicKey().get()), ssh.sshPrivateKey().map(base::resolve));
    }
    Path dir = ssh.generatedFileExportPath().map(base::resolve).orElse(settings.clusterDir().resolve("ssh"));
    return SshKeySource.generated(dir.resolve("id_rsa_slipway_" + role.label()));
  }

  private ArmResource publicIp(PlannedVm vm) {
    String name = prefix(vm.role()) + "-pip" + nnn(vm.offset());
    Map<String, Object> props = ordered("publicIPAllocationMethod", "Static", "publicIPAddressVersion", "IPv4", "idleTimeoutInMinutes", 30,
        "dnsSettings", ordered("domainNameLabel", (prefix(vm.role()) + nnn(vm.offset())).toLowerCase(Locale.ROOT)));
    return new ArmResource(ResourceKind.PUBLIC_IP, id(resourceGroup, ResourceKind.PUBLIC_IP, name), name, resourceGroup, OnExisting.FAIL,
        ordered("location", location, "tags", tags(vm.role().label()), "sku", ordered("name", "Standard", "tier", "Regional"),
            "properties", props), Optional.empty());
  }

  private ArmResource nic(PlannedVm vm, Network net) {
    String name = prefix(vm.role()) + "-ni" + nnn(vm.offset());
    Map<String, Object> ip = new LinkedHashMap<>();
    ip.put("primary", true);
    ip.put("privateIPAllocationMethod", "Dynamic");
    ip.put("subnet", ordered("id", net.subnetId()));
    if (group(vm.role()).publicIp().enabled()) {
      ip.put("publicIPAddress", ordered("id", id(resourceGroup, ResourceKind.PUBLIC_IP, prefix(vm.role()) + "-pip" + nnn(vm.offset()))));
    }
    Map<String, Object> props = ordered(
        "enableAcceleratedNetworking", group(vm.role()).acceleratedNetworking(),
        "networkSecurityGroup", ordered("id", id(resourceGroup, ResourceKind.NETWORK_SECURITY_GROUP, prefix(vm.role()) + "-nsg")),
        "ipConfigurations", List.of(ordered("name", "ipconfig1", "properties", ip)));
    return new ArmResource(ResourceKind.NETWORK_INTERFACE, id(resourceGroup, ResourceKind.NETWORK_INTERFACE, name), name, resourceGroup,
        OnExisting.FAIL, ordered("location", location, "tags", tags(vm.role().label()), "properties", props), Optional.empty());
  }

  private ArmResource vmResource(PlannedVm vm) {
    NodeGroupSpec g = group(vm.role());
    String name = vmName(vm.role(), vm.offset());
    ImageReference image = settings.image();
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("hardwareProfile", ordered("vmSize", azureVmSize(g.vmSize())));
    props.put("storageProfile", ordered(
        "imageReference", ordered("publisher", image.publisher(), "offer", image.offer(), "sku", image.sku(), "version", image.version()),
        "osDisk", ordered("name", name + "-osdisk", "createOption", "FromImage", "caching", "ReadWrite",
            "managedDisk", ordered("storageAccountType", "StandardSSD_LRS"), "deleteOption", "Delete")));
    props.put("osProfile", ordered("computerName", name, "adminUsername", vm.adminUsername(),
        "linuxConfiguration", ordered("disablePasswordAuthentication", true, "provisionVMAgent", true,
            "ssh", ordered("publicKeys", List.of(ordered("path", "/home/" + vm.adminUsername() + "/.ssh/authorized_keys"))))));
    props.put("networkProfile", ordered("networkInterfaces", List.of(ordered(
        "id", id(resourceGroup, ResourceKind.NETWORK_INTERFACE, prefix(vm.role()) + "-ni" + nnn(vm.offset())),
        "properties", ordered("primary", true, "deleteOption", "Detach")))));
    if (g.vmCount() > 1) {
      props.put("availabilitySet", ordered("id", id(resourceGroup, ResourceKind.AVAILABILITY_SET, availabilitySetName(vm.role()))));
    }
    // Managed boot diagnostics: no storage account, nothing for destroy to leak (Batch Shipyard left containers behind).
    props.put("diagnosticsProfile", ordered("bootDiagnostics", ordered("enabled", true)));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("location", location);
    body.put("tags", tags(vm.role().label()));
    if (vm.role() == VmRole.CONTROLLER) {
      body.put("identity", ordered("type", "SystemAssigned"));
    }
    body.put("properties", props);
    return new ArmResource(ResourceKind.VIRTUAL_MACHINE, id(resourceGroup, ResourceKind.VIRTUAL_MACHINE, name), name, resourceGroup,
        OnExisting.FAIL, body, Optional.of(vm));
  }

  /** Batch Shipyard's configs write sizes in upper case ({@code STANDARD_D2_V2}); ARM's canonical form is {@code Standard_D2_v2}. */
  static String azureVmSize(String size) {
    String lower = size.toLowerCase(Locale.ROOT);
    if (!lower.startsWith("standard_") && !lower.startsWith("basic_")) {
      return size;
    }
    String[] parts = lower.split("_");
    StringBuilder b = new StringBuilder(Character.toUpperCase(parts[0].charAt(0)) + parts[0].substring(1));
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      b.append('_').append(i == 1 && !p.isEmpty() ? Character.toUpperCase(p.charAt(0)) + p.substring(1) : p);
    }
    return b.toString();
  }

  private RoleGrant grant(ArmResource vm, String roleName, String roleGuid, String scope, String why) {
    String key = (scope + "\n" + vm.id() + "\n" + roleGuid).toLowerCase(Locale.ROOT);
    String name = UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString();
    return new RoleGrant(vm.name(), vm.id(), roleName, roleGuid, scope, name, why);
  }

  private List<String> poolIds() {
    Set<String> ids = new LinkedHashSet<>();
    for (ElasticPartition p : config.slurm().options().elasticPartitions()) {
      p.pools().forEach(pool -> ids.add(pool.id()));
    }
    return List.copyOf(ids);
  }

  /** The ARM id of each Batch account behind the cluster's pools, each once. */
  private List<String> batchAccountScopes() {
    Optional<Credentials.BatchCredentials> batch = config.credentials().flatMap(Credentials::batch);
    Set<String> scopes = new LinkedHashSet<>();
    Set<String> seenPools = new LinkedHashSet<>();
    for (ElasticPartition part : config.slurm().options().elasticPartitions()) {
      for (ElasticPool pool : part.pools()) {
        if (!seenPools.add(pool.id())) {
          continue;
        }
        Optional<String> url = pool.accountServiceUrl().or(() -> batch.flatMap(Credentials.BatchCredentials::accountServiceUrl));
        Optional<String> account = url.flatMap(ArmPlanner::batchAccountName);
        if (account.isEmpty()) {
          problem(slurmFile(), "slurm.slurm_options.elastic_partitions." + part.name() + ".batch_pools." + pool.id() + ".account_service_url",
              url.map(u -> "'" + u + "' names no Batch account").orElse("pool " + pool.id() + " has no Batch account URL"),
              "https://<account>.<region>.batch.azure.com here or in credentials.batch.account_service_url");
          continue;
        }
        String rg = batch.flatMap(Credentials.BatchCredentials::resourceGroup).orElse(resourceGroup);
        scopes.add(id(rg, "Microsoft.Batch/batchAccounts", account.get()));
      }
    }
    return List.copyOf(scopes);
  }

  static Optional<String> batchAccountName(String url) {
    try {
      String host = URI.create(url).getHost();
      if (host == null || !host.matches("[a-z0-9]{3,24}\\..+")) {
        return Optional.empty();
      }
      return Optional.of(host.substring(0, host.indexOf('.')));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * Batch Shipyard's share for Slurm logs ({@code <storage_entity_prefix>slurm}), made when
   * credentials.yaml gives the state storage account's key: mounting Azure Files with SMB needs
   * the key on the VMs, so without one the logs stay on the VMs.
   */
  public static Optional<String> logShareName(ClusterConfig config) {
    Optional<Credentials.StorageCredentials> storage = config.slurm().storageAccountSettings()
        .flatMap(a -> config.credentials().map(c -> c.storage().get(a)));
    if (storage.flatMap(Credentials.StorageCredentials::accountKey).isEmpty() || storage.flatMap(Credentials.StorageCredentials::account).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(config.global().map(g -> g.storageEntityPrefix()).orElse("shipyard") + "slurm");
  }

  private Optional<ArmResource> logShare(Optional<String> scope) {
    Optional<String> share = logShareName(config);
    if (share.isEmpty() || scope.isEmpty()) {
      return Optional.empty();
    }
    String sid = scope.get() + "/fileServices/default/shares/" + share.get();
    String account = scope.get().substring(scope.get().lastIndexOf('/') + 1);
    String rg = scope.get().split("/")[4];
    notes.add("the Azure Files share " + share.get() + " (power-save logs) is used if it exists and never removed by destroy");
    return Optional.of(new ArmResource(ResourceKind.FILE_SHARE, sid, account + "/default/" + share.get(), rg, OnExisting.USE,
        ordered("properties", ordered("shareQuota", 100)), Optional.empty()));
  }

  private Optional<String> storageAccountScope() {
    Optional<String> alias = config.slurm().storageAccountSettings();
    if (alias.isEmpty()) {
      problem(slurmFile(), "slurm.storage_account_settings", "the azure backend keeps cluster state in a storage account",
          "an alias defined under credentials.storage");
      return Optional.empty();
    }
    Optional<Credentials.StorageCredentials> storage = config.credentials().map(c -> c.storage().get(alias.get()));
    Optional<String> account = storage.flatMap(Credentials.StorageCredentials::account).filter(a -> a.matches("[a-z0-9]{3,24}"));
    if (account.isEmpty()) {
      problem(credentialsFile(), "credentials.storage." + alias.get() + ".account",
          storage.flatMap(Credentials.StorageCredentials::account).map(a -> "'" + a + "' is not a storage account name")
              .orElse("no storage account for alias " + alias.get()), "3-24 lower-case letters and digits");
      return Optional.empty();
    }
    String rg = storage.flatMap(Credentials.StorageCredentials::resourceGroup).orElse(resourceGroup);
    return Optional.of(id(rg, "Microsoft.Storage/storageAccounts", account.get()));
  }

  // ------------------------------------------------------------------ storage cluster (fs.yaml)

  /** What the plan uses of one fs.yaml storage cluster. */
  private record StorageSpec(String id, String prefix, String vmSize, String adminUsername, SshKeySource sshKey, boolean publicIp,
      Network net, String address, String diskSku, int diskSizeGb, List<String> disks, String filesystem, int raidLevel,
      String mountpoint, Map<String, List<String>> serverOptions, List<String> sshSources, List<String> nfsSources) {
    String vmName() {
      return prefix + "-vm000";
    }

    PlannedFileServer fileServer(List<String> clusterPrefixes) {
      List<String> exports = new ArrayList<>();
      for (Map.Entry<String, List<String>> e : serverOptions.entrySet()) {
        // '*' is narrowed to the cluster's subnets: the NSG should not be the only thing between the share and the network.
        List<String> clients = e.getKey().equals("*") && !clusterPrefixes.equals(List.of("VirtualNetwork")) ? clusterPrefixes : List.of(e.getKey());
        for (String c : clients) {
          exports.add(mountpoint + " " + c + "(" + String.join(",", e.getValue()) + ")");
        }
      }
      List<Integer> luns = new ArrayList<>();
      for (int i = 0; i < disks.size(); i++) {
        luns.add(i);
      }
      return new PlannedFileServer(id, vmName(), address, mountpoint, luns, filesystem, raidLevel, exports);
    }
  }

  private List<String> storagePrefixes = List.of();

  /** Reads the storage cluster {@code id} of fs.yaml; every gap becomes a problem (and no storage resources). */
  private Optional<StorageSpec> storageSpec(String id) {
    Optional<Path> fsFile = config.sources().fs();
    String key = "remote_fs.storage_clusters." + id;
    if (fsFile.isEmpty()) {
      problem(Optional.of(Path.of("fs.yaml")), "remote_fs", "--storage-cluster-id " + id + " needs fs.yaml", "fs.yaml next to slurm.yaml");
      return Optional.empty();
    }
    com.fasterxml.jackson.databind.JsonNode root;
    try {
      root = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(fsFile.get().toFile()).path("remote_fs");
    } catch (java.io.IOException e) {
      problem(fsFile.map(Path::getFileName), "remote_fs", "cannot read " + fsFile.get() + ": " + e.getMessage(), "a readable fs.yaml");
      return Optional.empty();
    }
    Optional<Path> file = fsFile.map(Path::getFileName);
    com.fasterxml.jackson.databind.JsonNode sc = root.path("storage_clusters").path(id);
    if (sc.isMissingNode()) {
      problem(file, key, "fs.yaml has no storage cluster '" + id + "'", "one of remote_fs.storage_clusters");
      return Optional.empty();
    }
    int before = problems.size();
    String type = sc.path("file_server").path("type").asText("");
    if (!type.equals("nfs")) {
      problem(file, key + ".file_server.type", "'" + type + "': Slipway makes single-VM NFS servers only", "nfs");
    }
    if (sc.path("vm_count").asInt(1) != 1) {
      problem(file, key + ".vm_count", "an NFS storage cluster is one VM, not " + sc.path("vm_count").asInt(), "1");
    }
    String prefix = sc.path("hostname_prefix").asText(id);
    String mountpoint = sc.path("file_server").path("mountpoint").asText("");
    if (!mountpoint.startsWith("/")) {
      problem(file, key + ".file_server.mountpoint", "no absolute mountpoint", "a path such as /shared");
    }
    com.fasterxml.jackson.databind.JsonNode vn = sc.path("virtual_network");
    Optional<String> subnetPrefix = optText(vn.path("subnet").path("address_prefix"));
    Optional<VirtualNetworkSpec> vnet = vn.isMissingNode() ? Optional.empty() : Optional.of(new VirtualNetworkSpec(optText(vn.path("name")),
        optText(vn.path("resource_group")).or(() -> optText(root.path("resource_group"))), vn.path("existing_ok").asBoolean(false),
        optText(vn.path("address_space")), optText(vn.path("subnet").path("name")), subnetPrefix, optText(vn.path("arm_subnet_id"))));
    Network net = network(VmRole.STORAGE, vnet, key + ".virtual_network");
    String address = subnetPrefix.flatMap(ArmPlanner::firstUsableAddress).orElseGet(() -> {
      problem(file, key + ".virtual_network.subnet.address_prefix", "the NFS server needs a known subnet prefix for its fixed address",
          "an IPv4 prefix such as 10.0.1.0/24 (arm_subnet_id is not enough)");
      return "<address>";
    });
    com.fasterxml.jackson.databind.JsonNode disk0 = sc.path("vm_disk_map").path("0");
    List<String> disks = new ArrayList<>();
    disk0.path("disk_array").forEach(d -> disks.add(d.asText()));
    if (disks.isEmpty()) {
      problem(file, key + ".vm_disk_map.0.disk_array", "the NFS server has no data disks", "names from remote_fs.managed_disks.disk_names");
    }
    Set<String> declared = new LinkedHashSet<>();
    root.path("managed_disks").path("disk_names").forEach(d -> declared.add(d.asText()));
    for (String d : disks) {
      if (!declared.contains(d)) {
        problem(file, key + ".vm_disk_map.0.disk_array", "disk '" + d + "' is not in remote_fs.managed_disks.disk_names", String.join(", ", declared));
      }
    }
    String filesystem = disk0.path("filesystem").asText("ext4");
    if (!List.of("btrfs", "ext4", "xfs").contains(filesystem)) {
      problem(file, key + ".vm_disk_map.0.filesystem", "'" + filesystem + "' is not a file system Slipway formats", "btrfs, ext4 or xfs");
    }
    int raid = disk0.path("raid_level").asInt(disks.size() > 1 ? 0 : -1);
    if (disks.size() > 1 && raid != 0) {
      problem(file, key + ".vm_disk_map.0.raid_level", "raid level " + raid + " for " + disks.size() + " disks", "0");
    }
    String sku = switch (root.path("managed_disks").path("sku").asText("premium_lrs").toLowerCase(Locale.ROOT)) {
      case "standard_lrs" -> "Standard_LRS";
      case "standardssd_lrs" -> "StandardSSD_LRS";
      case "premium_lrs" -> "Premium_LRS";
      default -> {
        problem(file, "remote_fs.managed_disks.sku", "unknown disk sku", "premium_lrs, standardssd_lrs or standard_lrs");
        yield "Premium_LRS";
      }
    };
    int sizeGb = root.path("managed_disks").path("disk_size_gb").asInt(0);
    if (sizeGb <= 0) {
      problem(file, "remote_fs.managed_disks.disk_size_gb", "no disk size", "a size in GiB such as 1023");
    }
    Map<String, List<String>> options = new LinkedHashMap<>();
    sc.path("file_server").path("server_options").path("nfs").fields().forEachRemaining(e -> {
      List<String> o = new ArrayList<>();
      e.getValue().forEach(x -> o.add(x.asText()));
      options.put(e.getKey(), o);
    });
    if (options.isEmpty()) {
      options.put("*", List.of("rw", "sync", "no_root_squash", "no_subtree_check"));
    }
    com.fasterxml.jackson.databind.JsonNode ssh = sc.path("ssh");
    String user = ssh.path("username").asText("shipyard");
    Path base = config.sources().baseDir();
    SshKeySource key2 = optText(ssh.path("ssh_public_key_data")).map(SshKeySource::data)
        .or(() -> optText(ssh.path("ssh_public_key")).map(k -> SshKeySource.file(base.resolve(k), Optional.empty())))
        .orElseGet(() -> SshKeySource.generated(settings.clusterDir().resolve("ssh").resolve("id_rsa_slipway_storage")));
    if (problems.size() > before) {
      return Optional.empty();
    }
    notes.add("storage cluster " + id + ": NFS server " + prefix + "-vm000 at " + address + " exporting " + mountpoint
        + "; its data disks are kept by destroy unless --delete-data-disks");
    return Optional.of(new StorageSpec(id, prefix, sc.path("vm_size").asText("STANDARD_D2S_V5"), user, key2,
        sc.path("public_ip").path("enabled").asBoolean(false), net, address, sku, sizeGb, disks, filesystem, raid, mountpoint, options,
        validSources(sc.path("network_security").path("ssh")), validSources(sc.path("network_security").path("nfs"))));
  }

  private static Optional<String> optText(com.fasterxml.jackson.databind.JsonNode n) {
    return n.isMissingNode() || n.isNull() || n.asText().isBlank() ? Optional.empty() : Optional.of(n.asText());
  }

  /** Address prefixes from fs.yaml, without the recipe's {@code <...>} placeholders. */
  private static List<String> validSources(com.fasterxml.jackson.databind.JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(n -> {
      if (!n.asText().contains("<") && !n.asText().isBlank()) {
        out.add(n.asText());
      }
    });
    return out;
  }

  /** Azure keeps the first four addresses of a subnet; the fifth is the first a NIC may have. */
  static Optional<String> firstUsableAddress(String cidr) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)/(\\d+)").matcher(cidr.strip());
    if (!m.matches() || Integer.parseInt(m.group(5)) > 29) {
      return Optional.empty();
    }
    long ip = 0;
    for (int i = 1; i <= 4; i++) {
      ip = (ip << 8) | Integer.parseInt(m.group(i));
    }
    int bits = Integer.parseInt(m.group(5));
    long mask = bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
    long a = (ip & mask) + 4;
    return Optional.of(((a >> 24) & 255) + "." + ((a >> 16) & 255) + "." + ((a >> 8) & 255) + "." + (a & 255));
  }

  private void addStorageNsg(List<ArmResource> resources, StorageSpec st, List<String> clusterPrefixes) {
    List<Object> rules = new ArrayList<>();
    if (!st.sshSources().isEmpty()) {
      rules.add(rule("ssh", 100, "Tcp", "22", st.sshSources()));
    }
    Set<String> nfs = new LinkedHashSet<>(clusterPrefixes);
    nfs.addAll(st.nfsSources());
    rules.add(rule("nfs", 1000, "Tcp", "2049", List.copyOf(nfs)));
    String name = st.prefix() + "-nsg";
    resources.add(new ArmResource(ResourceKind.NETWORK_SECURITY_GROUP, id(resourceGroup, ResourceKind.NETWORK_SECURITY_GROUP, name), name,
        resourceGroup, OnExisting.FAIL, ordered("location", location, "tags", tags("storage"), "properties", ordered("securityRules", rules)),
        Optional.empty()));
    storagePrefixes = clusterPrefixes;
  }

  private void addStorageDisks(List<ArmResource> resources, StorageSpec st) {
    for (String d : st.disks()) {
      resources.add(new ArmResource(ResourceKind.DISK, id(resourceGroup, ResourceKind.DISK, d), d, resourceGroup, OnExisting.FAIL,
          ordered("location", location, "tags", tags("storage"), "sku", ordered("name", st.diskSku()),
              "properties", ordered("creationData", ordered("createOption", "Empty"), "diskSizeGB", st.diskSizeGb())), Optional.empty()));
    }
  }

  private ArmResource storageNic(StorageSpec st) {
    String name = st.prefix() + "-ni000";
    Map<String, Object> ip = new LinkedHashMap<>();
    ip.put("primary", true);
    // Static: the cluster's VMs mount this address, written into their cloud-init before the NIC exists.
    ip.put("privateIPAllocationMethod", "Static");
    ip.put("privateIPAddress", st.address());
    ip.put("subnet", ordered("id", st.net().subnetId()));
    if (st.publicIp()) {
      ip.put("publicIPAddress", ordered("id", id(resourceGroup, ResourceKind.PUBLIC_IP, st.prefix() + "-pip000")));
    }
    Map<String, Object> props = ordered("enableAcceleratedNetworking", false,
        "networkSecurityGroup", ordered("id", id(resourceGroup, ResourceKind.NETWORK_SECURITY_GROUP, st.prefix() + "-nsg")),
        "ipConfigurations", List.of(ordered("name", "ipconfig1", "properties", ip)));
    return new ArmResource(ResourceKind.NETWORK_INTERFACE, id(resourceGroup, ResourceKind.NETWORK_INTERFACE, name), name, resourceGroup,
        OnExisting.FAIL, ordered("location", location, "tags", tags("storage"), "properties", props), Optional.empty());
  }

  private ArmResource storageVm(StorageSpec st) {
    ImageReference image = settings.image();
    List<Object> dataDisks = new ArrayList<>();
    for (int i = 0; i < st.disks().size(); i++) {
      dataDisks.add(ordered("lun", i, "name", st.disks().get(i), "createOption", "Attach", "caching", "None",
          "managedDisk", ordered("id", id(resourceGroup, ResourceKind.DISK, st.disks().get(i))), "deleteOption", "Detach"));
    }
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("hardwareProfile", ordered("vmSize", azureVmSize(st.vmSize())));
    props.put("storageProfile", ordered(
        "imageReference", ordered("publisher", image.publisher(), "offer", image.offer(), "sku", image.sku(), "version", image.version()),
        "osDisk", ordered("name", st.vmName() + "-osdisk", "createOption", "FromImage", "caching", "ReadWrite",
            "managedDisk", ordered("storageAccountType", "StandardSSD_LRS"), "deleteOption", "Delete"),
        "dataDisks", dataDisks));
    props.put("osProfile", ordered("computerName", st.vmName(), "adminUsername", st.adminUsername(),
        "linuxConfiguration", ordered("disablePasswordAuthentication", true, "provisionVMAgent", true,
            "ssh", ordered("publicKeys", List.of(ordered("path", "/home/" + st.adminUsername() + "/.ssh/authorized_keys"))))));
    props.put("networkProfile", ordered("networkInterfaces", List.of(ordered(
        "id", id(resourceGroup, ResourceKind.NETWORK_INTERFACE, st.prefix() + "-ni000"),
        "properties", ordered("primary", true, "deleteOption", "Detach")))));
    props.put("diagnosticsProfile", ordered("bootDiagnostics", ordered("enabled", true)));
    // No identity: the file server calls no Azure API.
    Map<String, Object> body = ordered("location", location, "tags", tags("storage"), "properties", props);
    return new ArmResource(ResourceKind.VIRTUAL_MACHINE, id(resourceGroup, ResourceKind.VIRTUAL_MACHINE, st.vmName()), st.vmName(),
        resourceGroup, OnExisting.FAIL, body, Optional.of(new PlannedVm(VmRole.STORAGE, 0, 0, st.adminUsername(), st.sshKey())));
  }

  // ------------------------------------------------------------------ names

  private NodeGroupSpec group(VmRole role) {
    return role == VmRole.CONTROLLER ? config.slurm().controller() : config.slurm().login();
  }

  private String prefix(VmRole role) {
    return clusterId + "-" + role.namePart();
  }

  private String availabilitySetName(VmRole role) {
    return prefix(role) + "-as";
  }

  /** The VM name at a global offset; the same rule the provisioner's status and suspend use. */
  static String vmName(String clusterId, VmRole role, int offset) {
    return clusterId + "-" + role.namePart() + "-vm" + nnn(offset);
  }

  private String vmName(VmRole role, int offset) {
    return vmName(clusterId, role, offset);
  }

  private static String nnn(int offset) {
    return String.format(Locale.ROOT, "%03d", offset);
  }

  private String rgId(String rg) {
    return "/subscriptions/" + subscription + "/resourceGroups/" + rg;
  }

  private String id(String rg, ResourceKind kind, String name) {
    return id(rg, kind.type(), name);
  }

  /** {@code Microsoft.Network/virtualNetworks/subnets} + {@code vnet/sub} -> {@code .../virtualNetworks/vnet/subnets/sub}. */
  private String id(String rg, String type, String name) {
    String[] t = type.split("/");
    String[] n = name.split("/");
    StringBuilder b = new StringBuilder(rgId(rg)).append("/providers/").append(t[0]);
    for (int i = 1; i < t.length; i++) {
      b.append('/').append(t[i]).append('/').append(n[i - 1]);
    }
    return b.toString();
  }

  private Map<String, String> tags(String role) {
    return ordered(ArmPlan.CLUSTER_TAG, clusterId, ArmPlan.ROLE_TAG, role);
  }

  @SuppressWarnings("unchecked")
  static <V> Map<String, V> ordered(Object... kv) {
    Map<String, V> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], (V) kv[i + 1]);
    }
    return m;
  }

  private Optional<Path> slurmFile() {
    return Optional.of(config.sources().slurm().getFileName());
  }

  private Optional<Path> credentialsFile() {
    return Optional.of(config.sources().credentials().map(Path::getFileName).orElse(Path.of("credentials.yaml")));
  }

  private void problem(Optional<Path> file, String key, String message, String allowed) {
    problems.add(ConfigProblem.error(file, 0, 0, key, message, allowed));
  }
}
