package dev.slipway.cli;

import dev.slipway.config.ConfigException;
import dev.slipway.model.HostlistSyntaxException;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.StoreUnavailableException;
import java.io.PrintWriter;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;

/**
 * The one place where failures become messages and exit codes: a single line on stderr
 * ({@code slipway: ...}), a stack trace only with {@code --verbose}.
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
  private final BooleanSupplier verbose;

  ErrorReporter(BooleanSupplier verbose) {
    this.verbose = verbose;
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
    PrintWriter err = cl.getErr();
    int code = exitCodeOf(ex);
    if (ex instanceof ConfigException ce) {
      ce.problems().forEach(p -> err.println(p.format()));
      err.println("slipway: configuration is invalid (" + ce.problems().size() + " problem"
          + (ce.problems().size() == 1 ? "" : "s") + ")");
    } else {
      err.println("slipway: " + messageOf(ex));
    }
    if (verbose.getAsBoolean()) {
      ex.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  @Override
  public int handleParseException(CommandLine.ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println("slipway: " + ex.getMessage());
    if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, err)) {
      err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
    }
    err.flush();
    return ExitCodes.USAGE;
  }

  static int exitCodeOf(Throwable ex) {
    if (ex instanceof ConfigException) return ExitCodes.INVALID_CONFIG;
    if (ex instanceof HostlistSyntaxException || ex instanceof UsageException) return ExitCodes.USAGE;
    if (ex instanceof StoreUnavailableException || ex instanceof UnreachableException) return ExitCodes.UNREACHABLE;
    if (ex instanceof ProviderException) return ExitCodes.FAILURE;
    return ExitCodes.FAILURE;
  }

  private static String messageOf(Throwable ex) {
    String m = ex.getMessage();
    return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
  }
}
