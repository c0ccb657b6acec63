package dev.slipway.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code slipway} command. Subcommands are registered here; failures are turned into one-line
 * messages and exit codes in one place, {@link ErrorReporter}.
 */
@Command(
    name = "slipway",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Slurm on elastic capacity: configure, run and inspect elastic Slurm clusters.",
    subcommands = {
      CommandLine.HelpCommand.class,
      SlurmConfCommand.class,
      HostlistCommand.class,
      ConfigCommand.class,
      EmulatorCommand.class,
      dev.slipway.cli.daemon.DaemonCommand.class,
      NodesCommand.class,
      NodeJoinScriptCommand.class,
      PrereqsCommand.class,
      ClusterCommand.class,
    })
public final class Main implements Runnable {
  @Option(names = "--verbose", description = "Print stack traces of failures.", scope = CommandLine.ScopeType.INHERIT)
  boolean verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns the exit code (tests call this instead of main). */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  public static CommandLine commandLine() {
    return commandLine(CommandLine.defaultFactory());
  }

  /** The CLI with commands created by {@code factory} (how tests and wiring inject collaborators). */
  static CommandLine commandLine(CommandLine.IFactory factory) {
    Main main = new Main();
    CommandLine cl = new CommandLine(main, factory);
    ErrorReporter reporter = new ErrorReporter(() -> main.verbose);
    cl.setExecutionExceptionHandler(reporter);
    cl.setParameterExceptionHandler(reporter);
    return cl;
  }
}
