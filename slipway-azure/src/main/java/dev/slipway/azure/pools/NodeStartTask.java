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
 * The start task of a Slipway Batch pool: install slurmd, munge, pam_slurm_adopt (and cifs-utils
 * for the log share) when the image lacks them, create the cluster user with its keys and admit it
 * over SSH only with a running job ({@value #ACCESS_FILE_NAME}), run pool.yaml's
 * {@code additional_node_prep.commands.pre}, then run {@code slipway-node-join} with the
 * {@code post} commands as its prep script ({@code SLIPWAY_PREP_SCRIPT}, run after mounts and
 * before slurmd).
 *
 * <p>Why it is built this way: the join script needs no Java and no download, so it travels
 * inside the pool definition, base64 in an environment setting ({@value #SCRIPT_VARIABLE}); the
 * command line stays a fixed one-liner that decodes and runs it. The join token is an environment
 * setting too ({@code SLIPWAY_JOIN_TOKEN}), which Batch never puts on a process command line; the
 * join script writes it to a 0600 file before curl reads it. The munge key and the log share's
 * account key are not in the pool at all: nodes fetch them from the daemon when they join (the
 * share's credentials as a secret file under {@value #NODE_DIR}/secrets). The cluster user's public
 * keys are in the pool's environment ({@code SLIPWAY_CLUSTER_USER_KEYS}, base64): they are not
 * secret.
 */
public final class NodeStartTask {
  /** The environment setting holding the base64 start script. */
  public static final String SCRIPT_VARIABLE = "SLIPWAY_START_SCRIPT";
  /** The node's Slipway directory (slipway-node-join's SLIPWAY_NODE_DIR), where mounts' secret files go. */
  public static final String NODE_DIR = "/var/lib/slipway-node";
  /** The cluster user and PAM script, run before the pool's commands. */
  public static final String ACCESS_FILE_NAME = "slipway-node-access";
  private static final String ACCESS_RESOURCE = "/dev/slipway/azure/pools/" + ACCESS_FILE_NAME;
  /** Batch reruns a failed start task this many times before the node becomes starttaskfailed. */
  static final int MAX_RETRIES = 2;

  /** The fixed command line: decode the start script into the task's working directory and run it. */
  public static final String COMMAND_LINE = "/bin/sh -c 'set -e; umask 077; d=\"$AZ_BATCH_NODE_STARTUP_DIR/wd\"; mkdir -p \"$d\"; "
      + "printf %s \"$" + SCRIPT_VARIABLE + "\" | base64 -d > \"$d/slipway-start\"; exec /bin/sh \"$d/slipway-start\"'";

  private static final String JOIN_EOF = "SLIPWAY_NODE_JOIN_EOF";
  private static final String PREP_EOF = "SLIPWAY_PREP_EOF";
  private static final String ACCESS_EOF = "SLIPWAY_NODE_ACCESS_EOF";

  private NodeStartTask() {}

  /**
   * The start task for {@code poolId}.
   *
   * @throws IllegalArgumentException when a user environment variable would override a SLIPWAY_ one
   */
  public static BatchStartTask of(String poolId, JoinEndpoint join, PoolSpec.NodeSetup setup, ClusterUser user, boolean logShare) {
    Map<String, String> env = new LinkedHashMap<>();
    setup.prepEnvironment().forEach((k, v) -> {
      if (k.startsWith("SLIPWAY_")) {
        throw new IllegalArgumentException("additional_node_prep.environment_variables." + k + " would override Slipway's own setting");
      }
      env.put(k, v);
    });
    env.put("SLIPWAY_JOIN_URLS", String.join(" ", join.joinUrls()));
    env.put("SLIPWAY_JOIN_PIN", join.daemonPin());
    env.put("SLIPWAY_CLUSTER_ID", join.clusterId());
    env.put("SLIPWAY_POOL_ID", poolId);
    env.put("SLIPWAY_JOIN_TOKEN", join.joinToken().reveal());
    env.put("SLIPWAY_CLUSTER_USER", user.name());
    env.put("SLIPWAY_CLUSTER_USER_UID", Integer.toString(user.uid()));
    env.put("SLIPWAY_CLUSTER_USER_KEYS", Base64.getEncoder().encodeToString(
        user.authorizedKeys().stream().map(k -> k + "\n").collect(java.util.stream.Collectors.joining()).getBytes(StandardCharsets.US_ASCII)));
    env.put(SCRIPT_VARIABLE, Base64.getEncoder().encodeToString(script(setup, logShare).getBytes(StandardCharsets.UTF_8)));
    return new BatchStartTask(COMMAND_LINE, env, true, MAX_RETRIES, true);
  }

  /** The start script's text (what {@value #SCRIPT_VARIABLE} decodes to). */
  public static String script(PoolSpec.NodeSetup setup, boolean logShare) {
    String join = NodeJoinScript.text();
    StringBuilder sb = new StringBuilder();
    sb.append("#!/bin/sh\n")
        .append("# Slipway Batch start task: written by slipway pool add; see docs/azure-pools.md.\n")
        .append("set -e\n")
        .append("d=\"$AZ_BATCH_NODE_STARTUP_DIR/wd\"\n")
        .append("export SLIPWAY_NODE_ID=\"${SLIPWAY_NODE_ID:-$AZ_BATCH_NODE_ID}\"\n")
        .append("export SLIPWAY_NODE_DIR=\"${SLIPWAY_NODE_DIR:-").append(NODE_DIR).append("}\"\n")
        .append("# slurmd, munge, pam_slurm_adopt").append(logShare ? " and cifs-utils (the log share)" : "")
        .append(" from the distribution when the image does not have them\n")
        .append("has_pam_slurm_adopt() {\n")
        .append("  for f in /lib/security/pam_slurm_adopt.so /lib/*/security/pam_slurm_adopt.so /usr/lib/security/pam_slurm_adopt.so \\\n")
        .append("      /usr/lib/*/security/pam_slurm_adopt.so /usr/lib64/security/pam_slurm_adopt.so; do [ -f \"$f\" ] && return 0; done\n")
        .append("  return 1\n")
        .append("}\n")
        .append("if ! command -v slurmd >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1")
        .append(" || ! has_pam_slurm_adopt").append(logShare ? " || ! { [ -x /sbin/mount.cifs ] || [ -x /usr/sbin/mount.cifs ]; }" : "").append("; then\n")
        .append("  if command -v apt-get >/dev/null 2>&1; then\n")
        .append("    export DEBIAN_FRONTEND=noninteractive\n")
        .append("    apt-get update -q && apt-get install -y -q --no-install-recommends slurmd munge curl ca-certificates libpam-slurm-adopt")
        .append(logShare ? " cifs-utils" : "").append("\n")
        .append("  elif command -v dnf >/dev/null 2>&1; then\n")
        .append("    dnf install -y epel-release || true\n")
        .append("    dnf install -y slurm-slurmd munge curl slurm-pam_slurm").append(logShare ? " cifs-utils" : "").append("\n")
        .append("  else\n")
        .append("    echo 'slipway: no apt-get or dnf to install slurmd, munge and pam_slurm_adopt' >&2; exit 2\n")
        .append("  fi\n")
        .append("fi\n")
        .append("# the cluster user with its keys; sshd admits it only with a job here (pam_slurm_adopt)\n")
        .append(heredoc("\"$d/" + ACCESS_FILE_NAME + "\"", accessScript(), ACCESS_EOF))
        .append("/bin/sh \"$d/").append(ACCESS_FILE_NAME).append("\"\n");
    if (!setup.prepCommandsPre().isEmpty()) {
      sb.append("# additional_node_prep.commands.pre\n");
      setup.prepCommandsPre().forEach(c -> sb.append(c).append('\n'));
    }
    // The prep step knows the node's Slurm name (SLIPWAY_HOST), which pam_slurm_adopt needs.
    String post = "#!/bin/sh\nset -e\n"
        + "/bin/sh \"$AZ_BATCH_NODE_STARTUP_DIR/wd/" + ACCESS_FILE_NAME + "\"\n"
        + (setup.prepCommandsPost().isEmpty() ? "" : "# additional_node_prep.commands.post\n" + String.join("\n", setup.prepCommandsPost()) + "\n");
    sb.append("# run by slipway-node-join after mounting, before slurmd starts: pam_slurm_adopt learns this node's Slurm name")
        .append(setup.prepCommandsPost().isEmpty() ? "" : ", then additional_node_prep.commands.post").append('\n')
        .append(heredoc("\"$d/slipway-prep\"", post, PREP_EOF))
        .append("chmod 0700 \"$d/slipway-prep\"\n")
        .append("export SLIPWAY_PREP_SCRIPT=\"$d/slipway-prep\"\n");
    sb.append(heredoc("\"$d/" + NodeJoinScript.FILE_NAME + "\"", join, JOIN_EOF))
        .append("exec /bin/sh \"$d/").append(NodeJoinScript.FILE_NAME).append("\"\n");
    return sb.toString();
  }

  /** The text of {@value #ACCESS_FILE_NAME}. */
  public static String accessScript() {
    try (java.io.InputStream in = NodeStartTask.class.getResourceAsStream(ACCESS_RESOURCE)) {
      if (in == null) throw new IllegalStateException("the jar lacks " + ACCESS_RESOURCE + "; rebuild Slipway");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + ACCESS_RESOURCE, e);
    }
  }

  private static String heredoc(String target, String text, String eof) {
    if (List.of(text.split("\n", -1)).contains(eof)) {
      throw new IllegalArgumentException("a prep command line is exactly '" + eof + "', which ends Slipway's here-document");
    }
    return "cat > " + target + " <<'" + eof + "'\n" + text + (text.endsWith("\n") ? "" : "\n") + eof + "\n";
  }
}
