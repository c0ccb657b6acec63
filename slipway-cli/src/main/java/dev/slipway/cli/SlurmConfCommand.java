package dev.slipway.cli;

import dev.slipway.config.Backend;
import dev.slipway.config.ClusterConfig;
import dev.slipway.slurm.RenderedSlurmConf;
import dev.slipway.slurm.SlurmConfRenderer;
import dev.slipway.slurm.SlurmLayout;
import dev.slipway.slurm.VmSizeCatalog;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code slipway slurm-conf}: Slurm configuration files of a cluster. {@code render} writes
 * slurm.conf, cgroup.conf and (with GPU pools) gres.conf for the Azure or the local layout; see
 * docs/slurm-conf.md for the rules.
 */
@Command(
    name = "slurm-conf",
    description = "Render the Slurm configuration files (slurm.conf, gres.conf, cgroup.conf) of a cluster.",
    subcommands = {SlurmConfCommand.Render.class})
public final class SlurmConfCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: render");
  }

  /** Which backend's paths and hosts to render for. */
  enum LayoutKind {
    azure,
    local
  }

  @Command(
      name = "render",
      description = {
        "Render slurm.conf, cgroup.conf and, when a pool has GPUs, gres.conf into OUTDIR.",
        "Files are replaced all at once; nothing is written when the configuration has problems."
      })
  static final class Render implements Callable<Integer> {
    @CommandLine.Mixin ConfigOptions configOptions;

    @Option(names = {"-o", "--output-dir"}, required = true, paramLabel = "OUTDIR", description = "Where to write the files.")
    Path outputDir;

    @Option(names = "--layout", paramLabel = "azure|local",
        description = "Paths and hosts of which backend (default: the configured backend; sim renders as local).")
    Optional<LayoutKind> layout = Optional.empty();

    @Option(names = "--cluster-dir", paramLabel = "DIR",
        description = "local layout: directory holding the cluster's state, logs and hooks (default: slipway.local.state_dir).")
    Optional<Path> clusterDir = Optional.empty();

    @Option(names = "--controller-address", paramLabel = "ADDR",
        description = "local layout: address of a controller, in failover order; repeat for HA (required for local).")
    List<String> controllerAddresses = new java.util.ArrayList<>();

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Tests hand in a configuration built in code; the command itself loads it through {@link ConfigOptions}. */
    private final Optional<ClusterConfigReader> reader;

    Render() {
      this.reader = Optional.empty();
    }

    Render(ClusterConfigReader reader) {
      this.reader = Optional.of(reader);
    }

    @Override
    public Integer call() throws Exception {
      ClusterConfig config = reader.isPresent() ? reader.get().read() : configOptions.load().config();
      LayoutKind kind = layout.orElse(config.slipway().backend() == Backend.AZURE ? LayoutKind.azure : LayoutKind.local);
      SlurmLayout slurmLayout = switch (kind) {
        case azure -> SlurmLayout.forAzure(config);
        case local -> localLayout(config);
      };
      RenderedSlurmConf rendered = new SlurmConfRenderer(VmSizeCatalog.shipped()).render(config, slurmLayout);
      List<Path> written = rendered.writeTo(outputDir);
      spec.commandLine().getOut().println("wrote " + written.stream().map(p -> p.getFileName().toString())
          .collect(Collectors.joining(", ")) + " to " + outputDir + " (" + kind + " layout)");
      return ExitCodes.OK;
    }

    private SlurmLayout localLayout(ClusterConfig config) {
      if (controllerAddresses.isEmpty()) {
        throw new UsageException("the local layout needs --controller-address (once per controller, primary first)");
      }
      Path dir = clusterDir.or(() -> config.slipway().local().stateDir().map(Path::of))
          .orElseThrow(() -> new UsageException("the local layout needs --cluster-dir, or slipway.local.state_dir in the configuration"));
      return SlurmLayout.forLocal(config, dir.toAbsolutePath(), controllerAddresses);
    }
  }
}
