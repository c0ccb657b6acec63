package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.config.Backend;
import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigSources;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.ElasticPool;
import dev.slipway.config.NetworkSecuritySpec;
import dev.slipway.config.NodeGroupSpec;
import dev.slipway.config.PublicIpSpec;
import dev.slipway.config.SharedVolume;
import dev.slipway.config.SlipwaySettings;
import dev.slipway.config.SlurmClusterSpec;
import dev.slipway.config.SlurmOptions;
import dev.slipway.config.SshSpec;
import dev.slipway.model.NodeType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command with a configuration built in code; reading YAML directories is the loader's job. */
class SlurmConfCommandTest {
  @TempDir Path tmp;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(ClusterConfig config, String... args) {
    ClusterConfigReader reader = () -> config;
    CommandLine.IFactory factory = new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> cls) throws Exception {
        if (cls == SlurmConfCommand.Render.class) {
          return cls.cast(new SlurmConfCommand.Render(reader));
        }
        return CommandLine.defaultFactory().create(cls);
      }
    };
    CommandLine cl = Main.commandLine(factory);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void render_azure_writesSlurmGresAndCgroupConf() throws IOException {
    Path outDir = tmp.resolve("etc");
    int code = run(config(Backend.AZURE, "standard_nc6s_v3"), "slurm-conf", "render", "-c", tmp.toString(), "-o", outDir.toString());
    assertThat(code).as(err.toString()).isZero();
    assertThat(files(outDir)).containsExactly("cgroup.conf", "gres.conf", "slurm.conf");
    assertThat(Files.readString(outDir.resolve("slurm.conf")))
        .contains("NodeName=gpu-[0-3] CPUs=6 RealMemory=108953 Gres=gpu:tesla_v100:1 Weight=1 Feature=dedicated,standard_nc6s_v3,gpu,tesla_v100 State=CLOUD")
        .contains("SlurmctldHost=c1-controller-vm000\n");
    assertThat(out.toString()).contains("wrote slurm.conf, gres.conf, cgroup.conf to " + outDir);
  }

  @Test
  void render_local_usesTheControllerAddressesAndClusterDir() throws IOException {
    Path outDir = tmp.resolve("etc");
    int code = run(config(Backend.LOCAL, "standard_f2"), "slurm-conf", "render", "-c", tmp.toString(), "-o", outDir.toString(),
        "--cluster-dir", tmp.resolve("c1").toString(), "--controller-address", "10.99.0.1");
    assertThat(code).as(err.toString()).isZero();
    assertThat(Files.readString(outDir.resolve("slurm.conf")))
        .contains("SlurmctldHost=c1-controller-vm000(10.99.0.1)\n", "SlurmdParameters=config_overrides\n",
            "StateSaveLocation=" + tmp.resolve("c1/state/slurmctld"));
    assertThat(files(outDir)).doesNotContain("gres.conf");
  }

  @Test
  void render_local_withoutControllerAddress_isAUsageError() {
    int code = run(config(Backend.LOCAL, "standard_f2"), "slurm-conf", "render", "-c", tmp.toString(), "-o", tmp.resolve("etc").toString(),
        "--cluster-dir", tmp.toString());
    assertThat(code).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--controller-address");
  }

  @Test
  void render_unknownVmSize_exitsWithInvalidConfig_andWritesNothing() throws IOException {
    Path outDir = tmp.resolve("etc");
    Files.createDirectories(outDir);
    Files.writeString(outDir.resolve("slurm.conf"), "previous\n");
    int code = run(config(Backend.AZURE, "standard_unheard_of"), "slurm-conf", "render", "-c", tmp.toString(), "-o", outDir.toString());
    assertThat(code).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(err.toString()).contains("standard_unheard_of", "slipway: vm_sizes:");
    assertThat(files(outDir)).containsExactly("slurm.conf");
    assertThat(outDir.resolve("slurm.conf")).hasContent("previous");
  }

  @Test
  void render_recipeDirectory_loadsTheYamlAndWritesTheAzureLayout() throws Exception {
    Path recipe = Path.of(getClass().getResource("/fixtures/recipe-slurm-nfs/slurm.yaml").toURI()).getParent();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    Path outDir = tmp.resolve("etc");
    int code = cl.execute("slurm-conf", "render", "-c", recipe.toString(), "-o", outDir.toString(), "--layout", "azure");
    assertThat(code).as(err.toString()).isEqualTo(ExitCodes.OK);
    String conf = Files.readString(outDir.resolve("slurm.conf"));
    assertThat(conf).contains("NodeName=slurmpool-[0-31] ", "Feature=dedicated,standard_f2", "SuspendTime=1800",
        "SuspendExcNodes=slurmpool-[0-3]", "PartitionName=mypart1 ");
  }

  @Test
  void render_directoryWithoutSlurmYaml_exitsInvalidConfigAndWritesNothing() {
    CommandLine cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute("slurm-conf", "render", "-c", tmp.toString(), "-o", tmp.resolve("etc").toString());
    assertThat(code).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(err.toString()).contains("no slurm.yaml");
    assertThat(tmp.resolve("etc")).doesNotExist();
  }

  private static List<String> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static ClusterConfig config(Backend backend, String vmSize) {
    ElasticPool pool = new ElasticPool("gpu", "gpu", Optional.empty(), NodeType.DEDICATED, 4, 1, List.of(), 0, Optional.of(vmSize));
    ElasticPartition partition = new ElasticPartition("p", List.of(pool), "UNLIMITED", true, Optional.empty(), Optional.empty(),
        Optional.empty(), OptionalInt.empty(), List.of());
    NodeGroupSpec group = new NodeGroupSpec(new SshSpec("admin", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()),
        PublicIpSpec.DEFAULT, Optional.empty(), new NetworkSecuritySpec(List.of("*"), List.of()), "standard_d2_v2", 1, false, Optional.empty());
    SlurmClusterSpec slurm = new SlurmClusterSpec("c1", Optional.empty(), Optional.empty(), Optional.empty(), group, group,
        List.of(new SharedVolume("nfs", "/shared", true)), new SlurmOptions(Duration.ofMinutes(15), List.of(partition), List.of()));
    SlipwaySettings slipway = new SlipwaySettings(backend, Duration.ofMinutes(10), Duration.ofMinutes(5), false, List.of(), 8443,
        new SlipwaySettings.LocalSettings("10.99.0.0/24", Optional.empty(), Duration.ZERO));
    return new ClusterConfig(new ConfigSources(Path.of("slurm.yaml"), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()),
        slurm, slipway, Optional.empty(), Optional.empty(), Map.of(), Optional.empty());
  }
}
