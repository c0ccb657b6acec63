package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slipway.spi.ClusterStatus;
import dev.slipway.spi.EngineEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ClusterCommandTest {
  @TempDir Path tmp;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private Path config(String backend) throws Exception {
    Path file = tmp.resolve("slurm.yaml");
    Files.writeString(file, """
        slurm:
          cluster_id: cct
          controller:
            ssh: {username: root}
            vm_size: standard_d2s_v3
            vm_count: 1
          login:
            ssh: {username: root}
            vm_size: standard_d2s_v3
            vm_count: 1
          slurm_options:
            idle_reclaim_time: 00:01:00
            elastic_partitions:
              debug:
                batch_pools:
                  nspool: {compute_node_type: dedicated, max_compute_nodes: 2, weight: 10}
                default: true
                max_runtime_limit: 01:00:00
        slipway:
          backend: %s
          local:
            subnet: 10.214.9.0/24
            state_dir: %s
        """.formatted(backend, tmp.resolve("cluster")));
    return file;
  }

  @Test
  void status_ofAClusterNeverCreated_saysAbsentInJson_andCreatesNothing() throws Exception {
    int code = run("cluster", "status", "--slurm", config("local").toString(), "--output", "json");
    assertThat(code).as(err.toString()).isEqualTo(ExitCodes.OK);
    JsonNode json = new ObjectMapper().readTree(out.toString());
    assertThat(json.get("cluster_id").asText()).isEqualTo("cct");
    assertThat(json.get("phase").asText()).isEqualTo("absent");
    assertThat(json.get("slurm_reachable").asBoolean()).isFalse();
    assertThat(tmp.resolve("cluster")).doesNotExist();
  }

  @Test
  void anyClusterCommand_onABackendWithoutProvisioner_isAUsageError() throws Exception {
    int code = run("cluster", "create", "--slurm", config("sim").toString());
    assertThat(code).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("local backend only");
  }

  @Test
  void ssh_toALoginNodeThatDoesNotExist_namesTheOffsetAndTheCount() throws Exception {
    int code = run("cluster", "ssh", "login", "--offset", "3", "--slurm", config("local").toString());
    assertThat(code).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("no login node at offset 3 (the cluster has 0)");
  }

  @Test
  void json_listsMachinesPoolsAndHosts_withAnUnknownTargetAsNull() throws Exception {
    ClusterStatus s = new ClusterStatus("c1", "running",
        List.of(new ClusterStatus.Machine("c1-controller-vm000", "10.214.9.2", "primary UP", Optional.of(42L))),
        List.of(new ClusterStatus.Machine("c1-login-vm000", "10.214.9.3", "running", Optional.of(43L))),
        List.of(new ClusterStatus.Partition("debug", List.of(new ClusterStatus.Pool("nspool", OptionalInt.empty(), 1, 2, 3, 4, 5)))),
        List.of(new ClusterStatus.Host("nspool-0", "nspool", "alloc")), true);
    JsonNode json = new ObjectMapper().readTree(ClusterCommand.json(s));
    assertThat(json.at("/controllers/0/state").asText()).isEqualTo("primary UP");
    assertThat(json.at("/controllers/0/pid").asLong()).isEqualTo(42L);
    assertThat(json.at("/login_nodes/0/address").asText()).isEqualTo("10.214.9.3");
    JsonNode pool = json.at("/partitions/0/pools/0");
    assertThat(pool.get("target").isNull()).isTrue();
    assertThat(List.of(pool.get("booting").asInt(), pool.get("idle").asInt(), pool.get("allocated").asInt(), pool.get("failed").asInt(),
        pool.get("powered_down").asInt())).containsExactly(1, 2, 3, 4, 5);
    assertThat(json.at("/hosts/0/state").asText()).isEqualTo("alloc");
    assertThat(ClusterCommand.text(s)).contains("debug", "nspool", "primary UP", "host nspool-0");
  }

  @Test
  void progress_numbersStepsAndIndentsDetails() {
    StringWriter w = new StringWriter();
    var sink = ClusterCommand.progress(new PrintWriter(w));
    sink.accept(new EngineEvent(Instant.EPOCH, "provision.step", "start munged", Map.of("step", "6", "steps", "10")));
    sink.accept(EngineEvent.of(Instant.EPOCH, "provision.process", "slurmctld on c1-controller-vm000 (pid 7)"));
    assertThat(w.toString().lines()).containsExactly("[6/10] start munged", "      slurmctld on c1-controller-vm000 (pid 7)");
  }
}
