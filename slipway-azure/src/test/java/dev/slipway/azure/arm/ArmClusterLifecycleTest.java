package dev.slipway.azure.arm;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchClientOptions;
import dev.slipway.azure.batch.BatchSharedKeyCredential;
import dev.slipway.azure.batch.FakeClock;
import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.azure.batch.emulator.TimedNodeBackend;
import dev.slipway.azure.pools.BatchPools;
import dev.slipway.azure.pools.ClusterOrchestration;
import dev.slipway.azure.pools.ClusterPools;
import dev.slipway.config.ClusterConfig;
import dev.slipway.model.Secret;
import dev.slipway.slurm.CommandRunner;
import dev.slipway.spi.ClusterStatus;
import dev.slipway.spi.EngineEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * The azure cluster end to end against FakeArm and the Batch emulator (both in-process, loopback):
 * a storage cluster's NFS server in create, orchestrate making the pools, destroy's data disk
 * rule, and status reading Slurm through the controller shell.
 */
class ArmClusterLifecycleTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TokenCredential FAKE_TOKEN = request -> Mono.just(new AccessToken("fake-token", OffsetDateTime.now().plusHours(1)));
  private static final Secret BATCH_KEY = Secret.of(Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes()));

  @TempDir Path tmp;
  private final FakeClock clock = new FakeClock(Instant.parse("2026-11-26T12:00:00Z"));
  private final List<EngineEvent> events = new ArrayList<>();
  private FakeArm arm;
  private BatchEmulator batch;
  private ClusterConfig config;
  private ArmPlan plan;

  @BeforeEach
  void start() throws Exception {
    arm = FakeArm.start(java.nio.file.Files.createDirectories(tmp.resolve("arm")));
    batch = BatchEmulator.start(BatchEmulator.Settings.of("hpcbatch", clock, new TimedNodeBackend(clock, TimedNodeBackend.Timings.INSTANT))
        .withSharedKey(BATCH_KEY));
    config = ArmFixtures.load("azure");
    plan = ArmPlanner.plan(config, ArmSettings.defaults(tmp.resolve("cluster")).withStorageCluster("nfs"));
  }

  @AfterEach
  void stop() {
    if (arm != null) arm.close();
    if (batch != null) batch.close();
  }

  private ArmProvisioner provisioner(ArmProvisioner.DestroyOptions options) {
    ArmConnection c = ArmConnection.of(arm.endpoint(), plan.subscriptionId(), Optional.of("tenant"), FAKE_TOKEN)
        .withHttpClient(arm.httpClient()).withTimings(Duration.ofMillis(1), Duration.ofMillis(1));
    UserDataSource userData = (role, index) -> "#cloud-config\n# " + role.label() + " " + index + "\n";
    return new ArmProvisioner(plan, () -> ArmGateway.connect(c), userData, clock, Optional::empty, options);
  }

  private BatchClient batchClient() {
    return BatchClient.withSharedKey(batch.url(), new BatchSharedKeyCredential("hpcbatch", BATCH_KEY), BatchClientOptions.defaults().withClock(clock));
  }

  private JsonNode lastPut(String id) throws Exception {
    return JSON.readTree(arm.requests().stream().filter(q -> q.method().equals("PUT") && q.path().equals(id)).reduce((a, b) -> b).orElseThrow().body());
  }

  private String id(ResourceKind kind, String name) {
    return plan.resource(kind, name).orElseThrow().id();
  }

  @Test
  void create_withAStorageCluster_putsTheDisksBeforeTheNfsVm_withAFixedAddressAndItsOwnCustomData() throws Exception {
    provisioner(ArmProvisioner.DestroyOptions.DEFAULT).create(events::add);

    List<String> puts = arm.requests().stream().filter(r -> r.method().equals("PUT")).map(FakeArm.Request::path).toList();
    String vm = id(ResourceKind.VIRTUAL_MACHINE, "hpc-nfs-vm000");
    assertThat(puts.indexOf(id(ResourceKind.DISK, "hpc-nfs-disk1"))).isLessThan(puts.indexOf(vm)).isNotNegative();
    JsonNode body = lastPut(vm);
    assertThat(body.at("/properties/storageProfile/dataDisks/1/lun").asInt()).isEqualTo(1);
    assertThat(body.at("/properties/storageProfile/dataDisks/1/managedDisk/id").asText()).isEqualTo(id(ResourceKind.DISK, "hpc-nfs-disk1"));
    assertThat(body.has("identity")).isFalse();
    assertThat(new String(Base64.getDecoder().decode(body.at("/properties/osProfile/customData").asText()), StandardCharsets.UTF_8))
        .isEqualTo("#cloud-config\n# storage 0\n");
    JsonNode nic = lastPut(id(ResourceKind.NETWORK_INTERFACE, "hpc-nfs-ni000"));
    assertThat(nic.at("/properties/ipConfigurations/0/properties/privateIPAddress").asText()).isEqualTo("10.40.3.4");
    assertThat(nic.at("/properties/ipConfigurations/0/properties/privateIPAllocationMethod").asText()).isEqualTo("Static");
  }

  @Test
  void destroy_keepsTheStorageClustersDataDisks_unlessAskedToDeleteThem() throws Exception {
    provisioner(ArmProvisioner.DestroyOptions.DEFAULT).create(events::add);
    String disk = id(ResourceKind.DISK, "hpc-nfs-disk0");

    provisioner(ArmProvisioner.DestroyOptions.DEFAULT).destroy(events::add);
    assertThat(arm.has(disk)).isTrue();
    assertThat(arm.has(id(ResourceKind.VIRTUAL_MACHINE, "hpc-nfs-vm000"))).isFalse();

    provisioner(new ArmProvisioner.DestroyOptions(false, false, true)).destroy(events::add);
    assertThat(arm.has(disk)).isFalse();
  }

  @Test
  void status_readsSlurmOnThePrimaryController_throughTheShell() throws Exception {
    provisioner(ArmProvisioner.DestroyOptions.DEFAULT).create(events::add);
    List<String> calls = new ArrayList<>();
    ControllerShell shell = (address, command, timeout) -> {
      calls.add(address + " " + String.join(" ", command));
      return command.get(0).equals("scontrol")
          ? new CommandRunner.Result(0, "Slurmctld(primary) at hpc-controller-vm000 is UP\nSlurmctld(backup) at hpc-controller-vm001 is UP\n", "")
          : new CommandRunner.Result(0, "cpupool-0|cpu*|idle\ncpupool-1|cpu*|alloc\ncpupool-2|cpu*|idle~\ngpupool-0|gpu|down~\n", "");
    };
    ArmProvisioner p = provisioner(ArmProvisioner.DestroyOptions.DEFAULT).withControllerShell(shell, config.slurm().options().elasticPartitions());

    ClusterStatus s = p.status();

    assertThat(s.slurmReachable()).isTrue();
    assertThat(p.slurmProblem()).isEmpty();
    assertThat(calls).hasSize(2).allSatisfy(c -> assertThat(c).startsWith(s.controllers().get(0).address() + " "));
    assertThat(s.controllers()).extracting(ClusterStatus.Machine::state).containsExactly("running, primary UP", "running, backup UP");
    assertThat(s.controllers()).extracting(ClusterStatus.Machine::name).doesNotContain("hpc-nfs-vm000");
    assertThat(s.hosts()).extracting(ClusterStatus.Host::pool).containsExactly("cpupool", "cpupool", "cpupool", "gpupool");
    ClusterStatus.Pool cpu = s.partitions().get(0).pools().get(0);
    assertThat(List.of(cpu.idle(), cpu.allocated(), cpu.poweredDown())).containsExactly(1, 1, 1);
  }

  @Test
  void status_whenTheControllerDoesNotAnswer_saysWhyInOneLine() throws Exception {
    provisioner(ArmProvisioner.DestroyOptions.DEFAULT).create(events::add);
    ArmProvisioner p = provisioner(ArmProvisioner.DestroyOptions.DEFAULT).withControllerShell((address, command, timeout) ->
        new CommandRunner.Result(255, "", "ssh: connect to host " + address + " port 22: Connection timed out\nmore\n"), List.of());

    ClusterStatus s = p.status();

    assertThat(s.slurmReachable()).isFalse();
    assertThat(p.slurmProblem()).hasValueSatisfying(m -> assertThat(m)
        .startsWith("Slurm on hpc-controller-vm000 (" + s.controllers().get(0).address() + ") did not answer: ssh: connect to host")
        .doesNotContain("\n"));
  }

  private static final String PIN = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

  @Test
  void orchestrate_makesTheVmsThenTheEmptyPool_andARerunGivesTheExistingPoolTheStartTask_destroyDeletesIt() throws Exception {
    BatchClient client = batchClient();
    List<ClusterPools.EnsuredPool> first = ClusterOrchestration.run(provisioner(ArmProvisioner.DestroyOptions.DEFAULT), config,
        url -> client, pool -> Secret.of("token-" + pool), PIN, clock, events::add);

    assertThat(arm.has(id(ResourceKind.VIRTUAL_MACHINE, "hpc-controller-vm000"))).isTrue();
    assertThat(first).extracting(ClusterPools.EnsuredPool::poolId, ClusterPools.EnsuredPool::outcome)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("cpupool", BatchPools.Outcome.CREATED));
    JsonNode created = JSON.readTree(batch.requests().stream().filter(r -> r.method().equals("POST") && r.path().equals("/pools"))
        .findFirst().orElseThrow().body());
    assertThat(created.path("targetDedicatedNodes").asInt()).isZero();
    assertThat(created.at("/startTask/environmentSettings").toString()).contains("token-cpupool", PIN);

    List<ClusterPools.EnsuredPool> again = ClusterOrchestration.run(provisioner(ArmProvisioner.DestroyOptions.DEFAULT), config,
        url -> client, pool -> Secret.of("token2-" + pool), PIN, clock, events::add);
    assertThat(again).extracting(ClusterPools.EnsuredPool::outcome).containsExactly(BatchPools.Outcome.START_TASK_UPDATED);
    BatchEmulator.RecordedRequest patch = batch.requests().stream().filter(r -> r.method().equals("PATCH")).findFirst().orElseThrow();
    assertThat(patch.path()).isEqualTo("/pools/cpupool");
    assertThat(patch.body()).contains("token2-cpupool");

    assertThat(ClusterPools.deleteAll(config, url -> client)).extracting(ClusterPools.EnsuredPool::poolId).containsExactly("cpupool");
    assertThat(batch.requests()).anySatisfy(r -> assertThat(r.method() + " " + r.path()).isEqualTo("DELETE /pools/cpupool"));
  }
}
