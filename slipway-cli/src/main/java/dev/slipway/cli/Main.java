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
      SimulateCommand.class,
      HookCommand.class,
      ClusterCommand.class,
      DemoCommand.class,
      PoolCommand.class,
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
    if (args.length > 0 && args[0].equals("hook")) {
      System.exit(hookCommandLine().execute(args));
    }
    System.exit(execute(args));
  }

  /**
   * The {@code slipway} command with only its {@code hook} subcommand. slurmctld starts a JVM for
   * every power-save call, and picocli inspecting every other command's classes and options took
   * most of the hook's start-up CPU time (docs/performance.md, "Power-save hooks"), so
   * {@link #main} takes this path when the first argument is {@code hook}. Same options (including
   * an inherited {@code --verbose}), messages and exit codes as the full tree.
   */
  static CommandLine hookCommandLine() {
    Main main = new Main();
    CommandLine.Model.CommandSpec root = CommandLine.Model.CommandSpec.wrapWithoutInspection(main).name("slipway");
    root.addOption(CommandLine.Model.OptionSpec.builder("--verbose")
        .type(boolean.class)
        .arity("0")
        .scopeType(CommandLine.ScopeType.INHERIT)
        .description("Print stack traces of failures.")
        .setter(new CommandLine.Model.ISetter() {
          @Override
          public <T> T set(T value) {
            main.verbose = Boolean.TRUE.equals(value);
            return value;
          }
        })
        .build());
    CommandLine cl = new CommandLine(root);
    cl.addSubcommand(new CommandLine(new HookCommand()));
    withHelpEverywhere(cl);
    ErrorReporter reporter = new ErrorReporter(() -> main.verbose);
    cl.setExecutionExceptionHandler(reporter);
    cl.setParameterExceptionHandler(reporter);
    return cl;
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
    withHelpEverywhere(cl);
    ErrorReporter reporter = new ErrorReporter(() -> main.verbose);
    cl.setExecutionExceptionHandler(reporter);
    cl.setParameterExceptionHandler(reporter);
    return cl;
  }

  /** Every command and subcommand answers {@code -h/--help}, whether or not its class asked for it. */
  private static void withHelpEverywhere(CommandLine cl) {
    CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
    if (!spec.mixinStandardHelpOptions() && spec.findOption("--help") == null) {
      spec.mixinStandardHelpOptions(true);
    }
    cl.getSubcommands().values().forEach(Main::withHelpEverywhere);
  }
}
