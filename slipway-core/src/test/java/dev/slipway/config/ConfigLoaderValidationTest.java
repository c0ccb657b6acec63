package dev.slipway.config;

import static dev.slipway.config.ConfigFixture.MINIMAL;
import static dev.slipway.config.ConfigFixture.minimalWith;
import static dev.slipway.config.ConfigFixture.replace;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every validation rule of slurm.yaml, each asserted on the exact message the user sees. */
class ConfigLoaderValidationTest {
  private static final String POOL = "slurm.slurm_options.elastic_partitions.part.batch_pools.pool1";
  @TempDir Path dir;
  ConfigFixture fx;

  @BeforeEach
  void setUp() {
    fx = new ConfigFixture(dir);
  }

  private List<String> errorsOf(String slurmYaml) {
    return fx.write("slurm.yaml", slurmYaml).errors();
  }

  private List<String> warningsOf(String slurmYaml) {
    return fx.write("slurm.yaml", slurmYaml).warnings();
  }

  @Test
  void minimal_loadsWithoutProblems() {
    LoadedConfig loaded = fx.write("slurm.yaml", MINIMAL).load();
    assertThat(loaded.warnings()).isEmpty();
    assertThat(loaded.config().slurm().clusterId()).isEqualTo("demo");
    assertThat(loaded.config().slurm().options().idleReclaimTime()).isEqualTo(Duration.ofMinutes(15));
  }

  @Test
  void unknownKey_isRejectedWithTheClosestKeyAsSuggestion() {
    assertThat(errorsOf(minimalWith("            weight: 0\n", "            weight: 0\n            featurs: [a]\n")))
        .containsExactly(fx.at(25, 13) + " " + POOL + ".featurs: unknown key 'featurs'; did you mean 'features'?; allowed: "
            + "account_service_url, compute_node_type, features, host_prefix, max_compute_nodes, reclaim_exclude_num_nodes, "
            + "vm_size, weight");
  }

  @Test
  void unknownKey_farFromEveryKey_hasNoSuggestion() {
    assertThat(errorsOf(minimalWith("  cluster_id: demo\n", "  cluster_id: demo\n  colour: red\n")))
        .containsExactly(fx.at(3, 3) + " slurm.colour: unknown key 'colour'; allowed: cluster_id, controller, location, login, "
            + "resource_group, shared_data_volumes, slurm_options, storage_account_settings");
  }

  @Test
  void wrongTypes_areReportedWithWhatWasFound() {
    String yaml = minimalWith("max_compute_nodes: 4", "max_compute_nodes: many");
    yaml = replace(yaml, "    vm_count: 1\n  login", "    vm_count: [1]\n  login");
    yaml = replace(yaml, "default: true", "default: maybe");
    assertThat(errorsOf(yaml)).containsExactly(
        fx.at(7, 15) + " slurm.controller.vm_count: expected an integer, got a list",
        fx.at(23, 32) + " " + POOL + ".max_compute_nodes: expected an integer, got string 'many'",
        fx.at(26, 18) + " slurm.slurm_options.elastic_partitions.part.default: expected true or false, got string 'maybe'; allowed: true, false");
  }

  @Test
  void missingRequiredKey_isReportedAtItsParent() {
    assertThat(errorsOf(minimalWith("            weight: 0\n", "")))
        .containsExactly(fx.at(21, 11) + " " + POOL + ".weight: required key is missing");
  }

  @Test
  void computeNodeType_mustBeDedicatedOrLowPriority() {
    assertThat(errorsOf(minimalWith("compute_node_type: dedicated", "compute_node_type: spot")))
        .containsExactly(fx.at(22, 32) + " " + POOL + ".compute_node_type: unknown compute_node_type 'spot'; allowed: dedicated, low_priority");
  }

  @Test
  void reclaimExcludeNumNodes_mayNotExceedMaxComputeNodes() {
    assertThat(errorsOf(minimalWith("            weight: 0\n", "            weight: 0\n            reclaim_exclude_num_nodes: 5\n")))
        .containsExactly(fx.at(25, 40) + " " + POOL + ".reclaim_exclude_num_nodes: reclaim_exclude_num_nodes 5 exceeds max_compute_nodes 4; allowed: 0..4");
  }

  @Test
  void counts_belowTheirMinimum_areRejected() {
    String yaml = minimalWith("max_compute_nodes: 4", "max_compute_nodes: 0");
    yaml = replace(yaml, "weight: 0", "weight: -1");
    assertThat(errorsOf(yaml)).containsExactly(
        fx.at(23, 32) + " " + POOL + ".max_compute_nodes: must be at least 1, got 0; allowed: >= 1",
        fx.at(24, 21) + " " + POOL + ".weight: must be at least 0, got -1; allowed: >= 0");
  }

  @Test
  void controllerVmCount_mustBeOneToThree_andLoginAtLeastOne() {
    String yaml = replace(MINIMAL, "    vm_count: 1\n  login", "    vm_count: 4\n  login");
    yaml = replace(yaml, "    vm_count: 1\n  shared", "    vm_count: 0\n  shared");
    assertThat(errorsOf(yaml)).containsExactly(
        fx.at(7, 15) + " slurm.controller.vm_count: vm_count 4 is out of range; allowed: 1..3 (more than one is HA)",
        fx.at(12, 15) + " slurm.login.vm_count: vm_count 0 is out of range; allowed: >= 1");
  }

  @Test
  void noPartition_isRejected() {
    String yaml = MINIMAL.substring(0, MINIMAL.indexOf("    elastic_partitions:")) + "    elastic_partitions: {}\n";
    assertThat(errorsOf(yaml)).containsExactly(
        fx.at(18, 25) + " slurm.slurm_options.elastic_partitions: no partition is defined; allowed: at least one partition with batch_pools");
  }

  @Test
  void twoDefaultPartitions_areRejected() {
    String yaml = MINIMAL + """
              other:
                batch_pools:
                  pool2:
                    compute_node_type: low_priority
                    max_compute_nodes: 2
                    weight: 1
                    vm_size: standard_f2
                default: true
        """;
    assertThat(errorsOf(yaml)).containsExactly(fx.at(34, 18)
        + " slurm.slurm_options.elastic_partitions.other.default: partition 'other' is the default, but so is 'part'; allowed: default: true on exactly one partition");
  }

  @Test
  void noDefaultPartition_isAWarning() {
    assertThat(warningsOf(minimalWith("default: true", "default: false"))).containsExactly(fx.at(18, 5)
        + " warning: slurm.slurm_options.elastic_partitions: no partition has default: true, so jobs that name no partition are rejected; allowed: default: true on one partition");
  }

  @Test
  void timedeltas_outOfRangeOrMalformed_areRejected() {
    String opts = "  slurm_options:\n";
    for (String[] c : new String[][] {
        {"00:75:00", "'00:75:00' has 75 minutes; minutes must be 0..59"},
        {"00:10:60", "'00:10:60' has 60 seconds; seconds must be 0..59"},
        {"1.24:00:00", "'1.24:00:00' has 24 hours with days given; hours must be 0..23"},
        {"soon", "'soon' is not a timedelta"},
        {"-00:10:00", "'-00:10:00' is not a timedelta"},
    }) {
      List<String> errors = errorsOf(minimalWith(opts, opts + "    idle_reclaim_time: " + c[0] + "\n"));
      assertThat(errors).containsExactly(fx.at(18, 24) + " slurm.slurm_options.idle_reclaim_time: " + c[1]
          + "; allowed: HH:mm:ss or d.HH:mm:ss, e.g. 00:15:00 or 1.12:00:00");
    }
  }

  @Test
  void idleReclaimTime_ofZero_isRejected() {
    String opts = "  slurm_options:\n";
    assertThat(errorsOf(minimalWith(opts, opts + "    idle_reclaim_time: 00:00:00\n"))).containsExactly(fx.at(18, 24)
        + " slurm.slurm_options.idle_reclaim_time: must be longer than zero; allowed: a duration > 00:00:00");
  }

  @Test
  void timedelta_withHoursBeyondADayAndNoDays_isAccepted() {
    String opts = "  slurm_options:\n";
    LoadedConfig c = fx.write("slurm.yaml", minimalWith(opts, opts + "    idle_reclaim_time: 36:00:00\n")).load();
    assertThat(c.config().slurm().options().idleReclaimTime()).isEqualTo(Duration.ofHours(36));
  }

  @Test
  void clusterId_mustBeShortLowerCaseAndStartWithALetter() {
    String rule = "; allowed: 1..22 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen";
    assertThat(errorsOf(minimalWith("cluster_id: demo", "cluster_id: a-cluster-name-of-23-chars")))
        .containsExactly(fx.at(2, 15) + " slurm.cluster_id: 'a-cluster-name-of-23-chars' has 26 characters" + rule);
    for (String bad : new String[] {"Demo", "1demo", "my_cluster", "demo-"}) {
      assertThat(errorsOf(minimalWith("cluster_id: demo", "cluster_id: '" + bad + "'")))
          .containsExactly(fx.at(2, 15) + " slurm.cluster_id: '" + bad + "' is not a valid cluster id" + rule);
    }
  }

  @Test
  void poolId_thatIsNoHostNameLabel_suggestsHostPrefix() {
    assertThat(errorsOf(minimalWith("pool1:", "pool_1:"))).containsExactly(fx.at(21, 11)
        + " slurm.slurm_options.elastic_partitions.part.batch_pools.pool_1: pool id 'pool_1' is not a valid host name label"
        + " (host names are <pool id>-<i>); set host_prefix: pool-1; allowed: letters, digits and hyphens, starting and ending"
        + " with a letter or digit (RFC 1123 label), lower case recommended");
  }

  @Test
  void poolId_withUpperCase_isAWarning_andHostPrefixFixesIt() {
    assertThat(warningsOf(minimalWith("pool1:", "Pool1:"))).containsExactly(fx.at(21, 11)
        + " warning: slurm.slurm_options.elastic_partitions.part.batch_pools.Pool1: Slurm node names are case-sensitive but"
        + " DNS is not, so host names 'Pool1-<i>' may not match the names nodes resolve to; set host_prefix: pool1; allowed:"
        + " letters, digits and hyphens, starting and ending with a letter or digit (RFC 1123 label), lower case recommended");
    LoadedConfig fixed = fx.write("slurm.yaml", minimalWith("pool1:\n", "pool_1:\n            host_prefix: pool-1\n")).load();
    assertThat(fixed.warnings()).isEmpty();
    ElasticPool pool = fixed.config().slurm().options().elasticPartitions().get(0).pools().get(0);
    assertThat(pool.id()).isEqualTo("pool_1");
    assertThat(pool.hostName(3)).isEqualTo("pool-1-3");
  }

  @Test
  void hostPrefix_thatIsNoHostNameLabel_isRejected() {
    assertThat(errorsOf(minimalWith("pool1:\n", "pool1:\n            host_prefix: gpu.nodes\n"))).containsExactly(fx.at(22, 26)
        + " " + POOL + ".host_prefix: host_prefix 'gpu.nodes' is not a valid host name label; allowed: letters, digits and"
        + " hyphens, starting and ending with a letter or digit (RFC 1123 label), lower case recommended");
  }

  @Test
  void poolInTwoPartitions_isRejected() {
    String yaml = MINIMAL + """
              other:
                batch_pools:
                  pool1:
                    compute_node_type: low_priority
                    max_compute_nodes: 2
                    weight: 1
                default: false
        """;
    assertThat(errorsOf(yaml)).containsExactly(fx.at(29, 11)
        + " slurm.slurm_options.elastic_partitions.other.batch_pools.pool1: pool 'pool1' is already used by partition 'part';"
        + " allowed: each pool in one partition only (its nodes would be defined twice)");
  }

  @Test
  void twoPoolsWithTheSameHostNames_areRejected() {
    String yaml = MINIMAL + """
              other:
                batch_pools:
                  pool2:
                    host_prefix: pool1
                    compute_node_type: low_priority
                    max_compute_nodes: 2
                    weight: 1
                    vm_size: standard_f2
                default: false
        """;
    assertThat(errorsOf(yaml)).containsExactly(fx.at(30, 26)
        + " slurm.slurm_options.elastic_partitions.other.batch_pools.pool2.host_prefix: host names 'pool1-<i>' are already"
        + " those of pool 'pool1'; allowed: a host_prefix no other pool uses");
  }

  @Test
  void twoStateVolumes_areRejected() {
    String yaml = minimalWith("  slurm_options:\n", """
            scratch:
              host_mount_path: /scratch
              store_slurmctld_state: true
          slurm_options:
        """);
    assertThat(errorsOf(yaml)).containsExactly(fx.at(19, 30) + " slurm.shared_data_volumes.scratch.store_slurmctld_state:"
        + " volume 'scratch' stores slurmctld state, but so does 'nfs'; allowed: store_slurmctld_state: true on at most one volume");
  }

  @Test
  void noStateVolume_isAWarning() {
    assertThat(warningsOf(minimalWith("store_slurmctld_state: true", "store_slurmctld_state: false"))).containsExactly(fx.at(13, 3)
        + " warning: slurm.shared_data_volumes: no volume has store_slurmctld_state: true, so slurmctld keeps its state on the"
        + " controller's local disk: a second controller cannot take over (no HA) and the state is lost with the controller;"
        + " allowed: store_slurmctld_state: true on one shared volume");
  }

  @Test
  void mountPath_isAcceptedAsTheDocsSpellIt_butNotBesideHostMountPath() {
    LoadedConfig c = fx.write("slurm.yaml", minimalWith("host_mount_path: /shared", "mount_path: /shared")).load();
    assertThat(c.config().slurm().stateVolume()).contains(new SharedVolume("nfs", "/shared", true));
    assertThat(errorsOf(minimalWith("host_mount_path: /shared\n", "host_mount_path: /shared\n      mount_path: /shared\n")))
        .containsExactly(fx.at(16, 7) + " slurm.shared_data_volumes.nfs.mount_path: both host_mount_path and mount_path are given; allowed: one of them");
  }

  @Test
  void mountPath_mustBeAbsoluteAndNotHome() {
    assertThat(errorsOf(minimalWith("host_mount_path: /shared", "host_mount_path: /home"))).containsExactly(fx.at(15, 24)
        + " slurm.shared_data_volumes.nfs.host_mount_path: '/home' would hide the users' home directories; allowed: any absolute path but /home");
    assertThat(errorsOf(minimalWith("host_mount_path: /shared", "host_mount_path: shared"))).containsExactly(fx.at(15, 24)
        + " slurm.shared_data_volumes.nfs.host_mount_path: 'shared' is not an absolute path; allowed: an absolute path such as /shared");
  }

  @Test
  void unknownVmSize_isAWarningThatSaysHowToDeclareIt() {
    assertThat(warningsOf(minimalWith("vm_size: standard_f2", "vm_size: Standard_X9"))).containsExactly(fx.at(25, 22)
        + " warning: " + POOL + ".vm_size: unknown VM size 'Standard_X9': Slipway does not know its CPUs, memory or GPUs;"
        + " declare it under slipway.vm_sizes; allowed: a size in the catalog, or slipway: {vm_sizes: [{name: standard_x9,"
        + " vcpus: <n>, memory_mib: <n>, gpus: <n>}]}");
  }

  @Test
  void vmSize_declaredUnderSlipway_isKnown() {
    String yaml = minimalWith("vm_size: standard_f2", "vm_size: Standard_X9") + """
        slipway:
          vm_sizes:
          - name: STANDARD_X9
            vcpus: 8
            memory_mib: 32768
            gpus: 1
            gpu_model: tesla_t4
        """;
    LoadedConfig c = fx.write("slurm.yaml", yaml).load();
    assertThat(c.warnings()).isEmpty();
    assertThat(c.config().slipway().vmSizes()).singleElement()
        .satisfies(v -> assertThat(v.name()).isEqualTo("standard_x9"))
        .satisfies(v -> assertThat(v.gpuModel()).contains("tesla_t4"));
  }

  @Test
  void vmSize_fallsBackToPoolYaml_forTheSamePoolId_andIsWarnedThere() {
    fx.write("pool.yaml", "pool_specification:\n  id: pool1\n  vm_size: STANDARD_Q1\n");
    LoadedConfig c = fx.write("slurm.yaml", minimalWith("            vm_size: standard_f2\n", "")).load();
    assertThat(c.config().slurm().options().elasticPartitions().get(0).pools().get(0).vmSize()).contains("STANDARD_Q1");
    assertThat(c.warnings()).map(ConfigProblem::format).containsExactly(dir.resolve("pool.yaml") + ":3:12 warning:"
        + " pool_specification.vm_size: unknown VM size 'STANDARD_Q1': Slipway does not know its CPUs, memory or GPUs;"
        + " declare it under slipway.vm_sizes; allowed: a size in the catalog, or slipway: {vm_sizes: [{name: standard_q1,"
        + " vcpus: <n>, memory_mib: <n>, gpus: <n>}]}");
  }

  @Test
  void vmSize_missingEverywhere_isAWarningForTheLocalBackend() {
    assertThat(warningsOf(minimalWith("            vm_size: standard_f2\n", ""))).containsExactly(fx.at(21, 11)
        + " warning: " + POOL + ": pool 'pool1' has no VM size, so the local backend cannot tell its CPUs, memory or GPUs;"
        + " allowed: vm_size on this pool, or pool.yaml with id: pool1");
  }

  @Test
  void otherOptions_asStringOrList_becomeWords() {
    for (String form : new String[] {"other_options: 'State=UP  DefMemPerCPU=1024'", "other_options: [State=UP, DefMemPerCPU=1024]"}) {
      LoadedConfig c = fx.write("slurm.yaml", minimalWith("default: true", "default: true\n        " + form)).load();
      assertThat(c.config().slurm().options().elasticPartitions().get(0).otherOptions())
          .containsExactly("State=UP", "DefMemPerCPU=1024");
    }
  }

  @Test
  void preemptyType_theDocsMisspelling_isAcceptedWithAWarning() {
    LoadedConfig c = fx.write("slurm.yaml", minimalWith("default: true", "default: true\n        preempty_type: preempt/partition_prio")).load();
    assertThat(c.config().slurm().options().elasticPartitions().get(0).preemptType()).contains("preempt/partition_prio");
    assertThat(c.warnings()).map(ConfigProblem::format).containsExactly(fx.at(27, 9)
        + " warning: slurm.slurm_options.elastic_partitions.part.preempty_type: misspelling (from the Batch Shipyard docs)"
        + " accepted as preempt_type; allowed: preempt_type");
  }

  @Test
  void yaml11Values_becomeSlurmValues() {
    String yaml = minimalWith("default: true", "default: true\n        over_subscribe: no\n        max_runtime_limit: 1.12:00:00");
    ElasticPartition p = fx.write("slurm.yaml", yaml).load().config().slurm().options().elasticPartitions().get(0);
    assertThat(p.overSubscribe()).contains("NO");
    assertThat(p.maxRuntimeLimit()).isEqualTo("1-12:00:00");
    yaml = minimalWith("default: true", "default: true\n        over_subscribe: force:4\n        max_runtime_limit: null");
    p = fx.write("slurm.yaml", yaml).load().config().slurm().options().elasticPartitions().get(0);
    assertThat(p.overSubscribe()).contains("FORCE:4");
    assertThat(p.maxRuntimeLimit()).isEqualTo("UNLIMITED");
  }

  @Test
  void overSubscribe_unknownWord_isRejected() {
    assertThat(errorsOf(minimalWith("default: true", "default: true\n        over_subscribe: sometimes"))).containsExactly(fx.at(27, 25)
        + " slurm.slurm_options.elastic_partitions.part.over_subscribe: 'SOMETIMES' is not an OverSubscribe value;"
        + " allowed: NO, EXCLUSIVE, YES, YES:<n>, FORCE, FORCE:<n>");
  }

  @Test
  void unmanagedPartition_linesMustStartWithTheirKeyword() {
    String yaml = MINIMAL + """
            unmanaged_partitions:
            - partition: Name=onprem Nodes=onprem-[0-3]
              nodes:
              - NodeName=onprem-[0-3] CPUs=4
              - onprem-4 CPUs=4
        """;
    assertThat(errorsOf(yaml)).containsExactly(
        fx.at(28, 18) + " slurm.slurm_options.unmanaged_partitions[0].partition: 'Name=onprem Nodes=onprem-[0-3]' is not a"
            + " partition line; allowed: a full slurm.conf line starting with PartitionName=",
        fx.at(31, 9) + " slurm.slurm_options.unmanaged_partitions[0].nodes[1]: 'onprem-4 CPUs=4' is not a node line;"
            + " allowed: a full slurm.conf line starting with NodeName=");
  }

  @Test
  void everyProblem_isReportedAtOnce_inTheOrderOfTheFile() {
    String yaml = minimalWith("cluster_id: demo", "cluster_id: Demo");
    yaml = replace(yaml, "compute_node_type: dedicated", "compute_node_type: spot");
    yaml = replace(yaml, "weight: 0", "weight: -1");
    assertThat(errorsOf(yaml)).extracting(e -> e.substring(fx.slurmFile().toString().length(), e.indexOf(':', e.indexOf(' '))))
        .containsExactly(":2:15 slurm.cluster_id", ":22:32 " + POOL + ".compute_node_type", ":24:21 " + POOL + ".weight");
  }

  @Test
  void azureBackend_requiresTheAzureKeys() {
    List<String> errors = errorsOf(MINIMAL + "slipway:\n  backend: azure\n");
    assertThat(errors).containsExactly(
        fx.at(1, 1) + " slurm.storage_account_settings: required key is missing",
        fx.at(1, 1) + " slurm.location: required key is missing",
        fx.at(1, 1) + " slurm.resource_group: required key is missing",
        fx.at(3, 3) + " slurm.controller.virtual_network: required key is missing",
        fx.at(3, 3) + " slurm.controller.network_security: required key is missing",
        fx.at(8, 3) + " slurm.login.virtual_network: required key is missing",
        fx.at(8, 3) + " slurm.login.network_security: required key is missing");
  }

  @Test
  void storageAlias_mustExistInCredentials() {
    fx.write("credentials.yaml", "credentials:\n  storage:\n    other:\n      account: a\n      account_key: k\n");
    assertThat(errorsOf(minimalWith("  cluster_id: demo\n", "  cluster_id: demo\n  storage_account_settings: mine\n")))
        .containsExactly(fx.at(3, 29) + " slurm.storage_account_settings: no storage account 'mine' in credentials.storage; allowed: other");
  }

  @Test
  void slipwaySection_defaultsWhenAbsent() {
    SlipwaySettings s = fx.write("slurm.yaml", MINIMAL).load().config().slipway();
    assertThat(s).isEqualTo(new SlipwaySettings(Backend.LOCAL, Duration.ofMinutes(10), Duration.ofMinutes(5), false,
        List.of(), 6820, new SlipwaySettings.LocalSettings("10.211.0.0/24", java.util.Optional.empty(), Duration.ZERO)));
  }

  @Test
  void slurmctldTimeout_isReadAsATimedelta() {
    SlipwaySettings s = fx.write("slurm.yaml", MINIMAL + "slipway:\n  slurmctld_timeout: 00:00:15\n").load().config().slipway();
    assertThat(s.slurmctldTimeout()).contains(Duration.ofSeconds(15));
  }

  @Test
  void credExpire_isReadAsATimedelta() {
    SlipwaySettings s = fx.write("slurm.yaml", MINIMAL + "slipway:\n  cred_expire: 00:00:30\n").load().config().slipway();
    assertThat(s.credExpire()).contains(Duration.ofSeconds(30));
  }

  @Test
  void credExpire_belowFiveSeconds_isRejected_becauseSlurmWouldSilentlyKeep120() {
    assertThat(errorsOf(MINIMAL + "slipway:\n  cred_expire: 00:00:04\n")).singleElement().asString()
        .contains("slipway.cred_expire: must be at least 00:00:05");
  }

  @Test
  void eventRetention_isReadAsATimedeltaAndDefaultsToTwoWeeks() {
    assertThat(fx.write("slurm.yaml", MINIMAL + "slipway:\n  event_retention: 3.00:00:00\n").load().config().slipway().eventRetention())
        .isEqualTo(Duration.ofDays(3));
    assertThat(fx.write("slurm.yaml", MINIMAL).load().config().slipway().eventRetention()).isEqualTo(Duration.ofDays(14));
  }

  @Test
  void eventRetention_belowAnHour_isRejectedNamingFileLineAndKey() {
    assertThat(errorsOf(MINIMAL + "slipway:\n  backend: local\n  event_retention: 00:59:59\n")).containsExactly(
        fx.at(29, 20) + " slipway.event_retention: must be at least 01:00:00 (events explain what happened to a host while it boots);"
            + " allowed: a duration >= 01:00:00, e.g. 14.00:00:00");
  }

  @Test
  void eventRetention_thatIsNotATimedelta_isRejectedNamingTheKey() {
    assertThat(errorsOf(MINIMAL + "slipway:\n  event_retention: two weeks\n")).singleElement().asString()
        .contains("slipway.event_retention:").contains("two weeks");
  }

  @Test
  void slipwaySection_badValues_areRejected() {
    String yaml = MINIMAL + """
        slipway:
          backend: cloud
          daemon_port: 70000
          resume_timeout: 00:00:00
          local:
            subnet: 10.211.0.0
        """;
    assertThat(errorsOf(yaml)).containsExactly(
        fx.at(28, 12) + " slipway.backend: unknown backend 'cloud'; allowed: local, azure, sim",
        fx.at(30, 19) + " slipway.resume_timeout: must be longer than zero; allowed: a duration > 00:00:00",
        fx.at(29, 16) + " slipway.daemon_port: 70000 is not a TCP port; allowed: 1..65535",
        fx.at(32, 13) + " slipway.local.subnet: '10.211.0.0' is not an IPv4 subnet; allowed: a.b.c.d/n, e.g. 10.211.0.0/24");
  }

  @Test
  void yamlSyntaxError_isLocated() {
    assertThat(errorsOf("slurm:\n  cluster_id: [demo\n")).singleElement().asString()
        .startsWith(fx.slurmFile() + ":3:1 (top): not valid YAML: ");
  }

  @Test
  void duplicateKey_isRejectedWithBothLines() {
    assertThat(errorsOf(minimalWith("  cluster_id: demo\n", "  cluster_id: demo\n  cluster_id: demo2\n")))
        .containsExactly(fx.at(3, 3) + " slurm.cluster_id: duplicate key (first at line 2)");
  }

  @Test
  void missingSlurmFile_isAProblemNotACrash() {
    assertThatThrownBy(() -> new ConfigLoader(ConfigFixture.CATALOG).loadDirectory(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessage("<config> slurm: no slurm configuration file given; allowed: slurm.yaml, slurm.yml or slurm.json in"
            + " the configuration directory, or an explicit file");
  }
  @Test
  void privateKey_withoutPublicKey_isRejected() {
    assertThat(errorsOf(minimalWith("      username: admin\n", "      username: admin\n      ssh_private_key: id_rsa\n")))
        .containsExactly(fx.at(6, 24) + " slurm.controller.ssh.ssh_private_key: a private key needs its public key;"
            + " allowed: ssh_public_key or ssh_public_key_data beside it");
  }

  @Test
  void inboundRule_withUnknownProtocol_isRejected() {
    assertThat(errorsOf(minimalWith("      username: admin\n", """
              username: admin
            network_security:
              ssh: ['*']
              custom_inbound_rules:
                web:
                  destination_port_range: 80
                  protocol: icmp
                  source_address_prefix: ['*']
        """))).containsExactly(fx.at(11, 21)
        + " slurm.controller.network_security.custom_inbound_rules.web.protocol: unknown protocol 'icmp'; allowed: *, tcp, udp");
  }

  @Test
  void priorityTier_outOfRange_isRejected() {
    assertThat(errorsOf(minimalWith("default: true", "default: true\n        priority_tier: 70000"))).containsExactly(fx.at(27, 24)
        + " slurm.slurm_options.elastic_partitions.part.priority_tier: priority_tier 70000 is out of range; allowed: 0..65533");
  }

  @Test
  void maxRuntimeLimit_ofZero_isRejected() {
    assertThat(errorsOf(minimalWith("default: true", "default: true\n        max_runtime_limit: 00:00:00"))).containsExactly(fx.at(27, 28)
        + " slurm.slurm_options.elastic_partitions.part.max_runtime_limit: must be longer than zero;"
        + " allowed: a duration > 00:00:00, or null/UNLIMITED");
  }

  @Test
  void preemptType_andItsMisspellingTogether_areRejected() {
    assertThat(errorsOf(minimalWith("default: true",
        "default: true\n        preempt_type: preempt/none\n        preempty_type: preempt/none"))).containsExactly(fx.at(28, 9)
        + " slurm.slurm_options.elastic_partitions.part.preempty_type: both preempt_type and its misspelling preempty_type"
        + " are given; allowed: preempt_type");
  }

  @Test
  void partitionWithoutPools_isRejected() {
    String yaml = MINIMAL.substring(0, MINIMAL.indexOf("        batch_pools:")) + "        batch_pools: {}\n        default: true\n";
    assertThat(errorsOf(yaml)).containsExactly(fx.at(20, 22) + " slurm.slurm_options.elastic_partitions.part.batch_pools:"
        + " partition 'part' has no pool; allowed: at least one pool id with its settings");
  }

  @Test
  void hostNames_longerThan63Characters_areRejected() {
    String prefix = "a".repeat(62);
    assertThat(errorsOf(minimalWith("pool1:\n", "pool1:\n            host_prefix: " + prefix + "\n"))).containsExactly(fx.at(22, 26)
        + " " + POOL + ".host_prefix: host_prefix '" + prefix + "' makes host names of 64 characters (more than 63); allowed:"
        + " letters, digits and hyphens, starting and ending with a letter or digit (RFC 1123 label), lower case recommended");
  }

  @Test
  void declaredVmSizes_mustBeUniqueAndPositive() {
    String yaml = MINIMAL + """
        slipway:
          vm_sizes:
          - name: big
            vcpus: 2
            memory_mib: 1024
          - name: BIG
            vcpus: 2
            memory_mib: 1024
          - name: bad
            vcpus: 0
            memory_mib: 1024
        """;
    assertThat(errorsOf(yaml)).containsExactly(
        fx.at(32, 11) + " slipway.vm_sizes[1].name: VM size 'BIG' is declared twice (first at line 29)",
        fx.at(36, 12) + " slipway.vm_sizes[2].vcpus: must be at least 1, got 0; allowed: >= 1");
  }

  @Test
  void sharedVolume_mustBeDeclaredInConfigAndFsYaml_whenTheyAreLoaded() {
    fx.write("config.yaml", "global_resources:\n  volumes:\n    shared_data_volumes:\n      nfs:\n        volume_driver: azurefile\n");
    fx.write("fs.yaml", "remote_fs:\n  storage_clusters:\n    other:\n      file_server:\n        type: nfs\n");
    assertThat(errorsOf(MINIMAL)).containsExactly(
        fx.at(14, 5) + " slurm.shared_data_volumes.nfs: volume 'nfs' has volume_driver 'azurefile' in config.yaml;"
            + " allowed: global_resources.volumes.shared_data_volumes.nfs.volume_driver: storage_cluster",
        fx.at(14, 5) + " slurm.shared_data_volumes.nfs: volume 'nfs' is not a storage cluster in fs.yaml; allowed: other");
  }
}
