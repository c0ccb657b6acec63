package dev.slipway.cli;

import dev.slipway.node.NodeJoinScript;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code slipway node-join-script}: prints the start task compute nodes run, so it can be put on
 * a pool's start task or in an image exactly as this build's daemon expects it.
 */
@Command(name = "node-join-script", mixinStandardHelpOptions = true,
    description = "Print slipway-node-join, the POSIX sh start task of compute nodes (see docs/join-protocol.md).")
final class NodeJoinScriptCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    out.print(NodeJoinScript.text());
    out.flush();
  }
}
