package dev.slipway.azure.pools;

import dev.slipway.azure.batch.BatchStartTask;
import dev.slipway.config.PoolSpec;
import dev.slipway.node.NodeJoinScript;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The start task of a Slipway Batch pool: install slurmd and munge when the image lacks them, run
 * pool.yaml's {@code additional_node_prep.commands.pre}, then run {@code slipway-node-join} with
 * the {@code post} commands as its prep script ({@code SLIPWAY_PREP_SCRIPT}, run after mounts and
 * before slurmd).
 *
 * <p>Why it is built this way: the join script needs no Java and no download, so it travels
 * inside the pool definition, base64 in an environment setting ({@value #SCRIPT_VARIABLE}); the
 * command line stays a fixed one-liner that decodes and runs it. The join token is an environment
 * setting too ({@code SLIPWAY_JOIN_TOKEN}), which Batch never puts on a process command line; the
 * join script writes it to a 0600 file before curl reads it. The munge key is not in the pool at
 * all: nodes fetch it from the daemon when they join.
 */
public final class NodeStartTask {
  /** The environment setting holding the base64 start script. */
  public static final String SCRIPT_VARIABLE = "SLIPWAY_START_SCRIPT";
  /** Batch reruns a failed start task this many times before the node becomes starttaskfailed. */
  static final int MAX_RETRIES = 2;

  /** The fixed command line: decode the start script into the task's working directory and run it. */
  public static final String COMMAND_LINE = "/bin/sh -c 'set -e; umask 077; d=\"$AZ_BATCH_NODE_STARTUP_DIR/wd\"; mkdir -p \"$d\"; "
      + "printf %s \"$" + SCRIPT_VARIABLE + "\" | base64 -d > \"$d/slipway-start\"; exec /bin/sh \"$d/slipway-start\"'";

  private static final String JOIN_EOF = "SLIPWAY_NODE_JOIN_EOF";
  private static final String PREP_EOF = "SLIPWAY_PREP_EOF";

  private NodeStartTask() {}

  /**
   * The start task for {@code poolId}.
   *
   * @throws IllegalArgumentException when a user environment variable would override a SLIPWAY_ one
   */
  public static BatchStartTask of(String poolId, JoinEndpoint join, PoolSpec.NodeSetup setup) {
    Map<String, String> env = new LinkedHashMap<>();
    setup.prepEnvironment().forEach((k, v) -> {
      if (k.startsWith("SLIPWAY_")) {
        throw new IllegalArgumentException("additional_node_prep.environment_variables." + k + " would override Slipway's own setting");
      }
      env.put(k, v);
    });
    env.put("SLIPWAY_JOIN_URLS", String.join(" ", join.joinUrls()));
    env.put("SLIPWAY_CLUSTER_ID", join.clusterId());
    env.put("SLIPWAY_POOL_ID", poolId);
    env.put("SLIPWAY_JOIN_TOKEN", join.joinToken().reveal());
    env.put(SCRIPT_VARIABLE, Base64.getEncoder().encodeToString(script(setup).getBytes(StandardCharsets.UTF_8)));
    return new BatchStartTask(COMMAND_LINE, env, true, MAX_RETRIES, true);
  }

  /** The start script's text (what {@value #SCRIPT_VARIABLE} decodes to). */
  public static String script(PoolSpec.NodeSetup setup) {
    String join = NodeJoinScript.text();
    StringBuilder sb = new StringBuilder();
    sb.append("#!/bin/sh\n")
        .append("# Slipway Batch start task: written by slipway pool add; see docs/azure-pools.md.\n")
        .append("set -e\n")
        .append("d=\"$AZ_BATCH_NODE_STARTUP_DIR/wd\"\n")
        .append("export SLIPWAY_NODE_ID=\"${SLIPWAY_NODE_ID:-$AZ_BATCH_NODE_ID}\"\n")
        .append("# slurmd and munge from the distribution when the image does not have them\n")
        .append("if ! command -v slurmd >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then\n")
        .append("  if command -v apt-get >/dev/null 2>&1; then\n")
        .append("    export DEBIAN_FRONTEND=noninteractive\n")
        .append("    apt-get update -q && apt-get install -y -q --no-install-recommends slurmd munge curl ca-certificates\n")
        .append("  elif command -v dnf >/dev/null 2>&1; then\n")
        .append("    dnf install -y epel-release || true\n")
        .append("    dnf install -y slurm-slurmd munge curl\n")
        .append("  else\n")
        .append("    echo 'slipway: no apt-get or dnf to install slurmd and munge' >&2; exit 2\n")
        .append("  fi\n")
        .append("fi\n");
    if (!setup.prepCommandsPre().isEmpty()) {
      sb.append("# additional_node_prep.commands.pre\n");
      setup.prepCommandsPre().forEach(c -> sb.append(c).append('\n'));
    }
    if (!setup.prepCommandsPost().isEmpty()) {
      String post = "#!/bin/sh\nset -e\n" + String.join("\n", setup.prepCommandsPost()) + "\n";
      sb.append("# additional_node_prep.commands.post, run by slipway-node-join before slurmd starts\n")
          .append(heredoc("\"$d/slipway-prep\"", post, PREP_EOF))
          .append("chmod 0700 \"$d/slipway-prep\"\n")
          .append("export SLIPWAY_PREP_SCRIPT=\"$d/slipway-prep\"\n");
    }
    sb.append(heredoc("\"$d/" + NodeJoinScript.FILE_NAME + "\"", join, JOIN_EOF))
        .append("exec /bin/sh \"$d/").append(NodeJoinScript.FILE_NAME).append("\"\n");
    return sb.toString();
  }

  private static String heredoc(String target, String text, String eof) {
    if (List.of(text.split("\n", -1)).contains(eof)) {
      throw new IllegalArgumentException("a prep command line is exactly '" + eof + "', which ends Slipway's here-document");
    }
    return "cat > " + target + " <<'" + eof + "'\n" + text + (text.endsWith("\n") ? "" : "\n") + eof + "\n";
  }
}
