package dev.slipway.cli;

import dev.slipway.model.HostList;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code slipway hostlist expand|compress}: Slurm hostlists without a Slurm installation, with
 * the semantics of {@code scontrol show hostnames} and {@code scontrol show hostlist} (see
 * {@link HostList}). Useful in scripts and to check what a pool's hostlist names.
 */
@Command(
    name = "hostlist",
    description = "Expand and compress Slurm hostlist expressions (as scontrol show hostnames/hostlist).",
    mixinStandardHelpOptions = true,
    subcommands = {HostlistCommand.Expand.class, HostlistCommand.Compress.class})
final class HostlistCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: expand or compress");
  }

  @Command(
      name = "expand",
      description = "Print each host an expression names, one per line, in Slurm's order.",
      mixinStandardHelpOptions = true)
  static final class Expand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "EXPR", description = "Hostlist expressions, e.g. gpu-[0-3],login1.")
    List<String> expressions;

    @Override
    public void run() {
      // Parse everything first, so a malformed last argument prints nothing but the error.
      List<HostList> lists = new ArrayList<>();
      for (String expression : expressions) {
        lists.add(HostList.parse(expression));
      }
      PrintWriter out = spec.commandLine().getOut();
      StringBuilder chunk = new StringBuilder(1 << 16);
      for (HostList list : lists) {
        for (String name : list) {
          chunk.append(name).append('\n');
          if (chunk.length() >= 1 << 16) {
            out.print(chunk);
            chunk.setLength(0);
          }
        }
      }
      out.print(chunk);
      out.flush();
    }
  }

  @Command(
      name = "compress",
      description = "Print one hostlist expression for the names given, in their order, duplicates kept.",
      mixinStandardHelpOptions = true)
  static final class Compress implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "NAME",
        description = "Host names; comma lists and hostlist expressions are expanded first.")
    List<String> names;

    @Override
    public void run() {
      List<HostList> lists = new ArrayList<>();
      long total = 0;
      for (String argument : names) {
        HostList list = HostList.parse(argument);
        lists.add(list);
        total += list.size();
      }
      if (total > HostList.MAX_NAMES) {
        throw new UsageException("cannot compress " + total + " names: a hostlist names at most " + HostList.MAX_NAMES);
      }
      List<String> all = new ArrayList<>((int) total);
      lists.forEach(list -> list.forEach(all::add));
      PrintWriter out = spec.commandLine().getOut();
      out.println(HostList.compress(all));
      out.flush();
    }
  }
}
