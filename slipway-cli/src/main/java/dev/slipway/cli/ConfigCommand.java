package dev.slipway.cli;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.EffectiveConfigYaml;
import dev.slipway.config.ElasticPartition;
import dev.slipway.config.LoadedConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code slipway config validate|show}: check the configuration, or print it with defaults filled in. */
@Command(
    name = "config",
    description = "Check the cluster configuration or print its effective form.",
    subcommands = {ConfigCommand.Validate.class, ConfigCommand.Show.class})
public final class ConfigCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (validate or show)");
  }

  @Command(name = "validate", description = "Report every configuration problem at once; exit 3 when invalid.")
  static final class Validate implements Callable<Integer> {
    @Mixin ConfigOptions config;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      LoadedConfig loaded = config.load();
      ClusterConfig c = loaded.config();
      int pools = c.slurm().options().elasticPartitions().stream().mapToInt(p -> p.pools().size()).sum();
      int hosts = c.slurm().options().elasticPartitions().stream()
          .flatMap(p -> p.pools().stream()).mapToInt(p -> p.maxComputeNodes()).sum();
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%s: valid: cluster '%s', %d elastic partition%s (%s), %d pool%s, %d elastic hosts, backend %s, %d warning%s%n",
          c.sources().slurm(), c.slurm().clusterId(), c.slurm().options().elasticPartitions().size(),
          plural(c.slurm().options().elasticPartitions().size()),
          String.join(", ", c.slurm().options().elasticPartitions().stream().map(ElasticPartition::name).toList()),
          pools, plural(pools), hosts, c.slipway().backend().configName(), loaded.warnings().size(),
          plural(loaded.warnings().size()));
      out.flush();
      return ExitCodes.OK;
    }

    private static String plural(int n) {
      return n == 1 ? "" : "s";
    }
  }

  @Command(name = "show", description = "Print the effective configuration as YAML, defaults filled in and secrets masked.")
  static final class Show implements Callable<Integer> {
    @Mixin ConfigOptions config;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      out.print(EffectiveConfigYaml.render(config.load().config()));
      out.flush();
      return ExitCodes.OK;
    }
  }
}
