package dev.slipway.local.provision;

import dev.slipway.config.NodeGroupSpec;
import dev.slipway.config.SharedVolume;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command that starts a controller's or login node's daemon in the node's namespaces:
 *
 * <pre>
 * nsenter --net=/run/netns/NS unshare --uts --mount --propagation private --fork -- sh -c SCRIPT
 * </pre>
 *
 * SCRIPT sets the host name (slurmctld picks primary or backup by gethostname()), bind-mounts, in
 * the private mount namespace only, the node's own run and log directories over the cluster's
 * (two controllers sharing a pid file kill each other) and each shared volume at its mount_path,
 * runs {@code additional_prep_script} once per node, and execs the daemon. The daemon forks into
 * the background and keeps the namespaces alive; when it exits they and their mounts vanish with
 * it, so no mount outlives the cluster's processes.
 */
final class InfraLaunch {
  private InfraLaunch() {}

  static List<String> command(ProvisionContext c, InfraNode node, List<String> daemon) {
    ClusterPaths p = c.paths;
    List<String> lines = new ArrayList<>();
    lines.add("exec </dev/null >>" + q(p.infraLog(node.name()).resolve("launch.log")) + " 2>&1");
    lines.add("set -e");
    lines.add("hostname " + q(node.name()));
    if (node.role() == InfraNode.Role.CONTROLLER) {
      lines.add("mount --bind " + q(p.infraRun(node.name())) + " " + q(p.slurmRun()));
      lines.add("mount --bind " + q(p.infraLog(node.name())) + " " + q(p.slurmLog()));
    }
    for (SharedVolume v : c.config.slurm().sharedDataVolumes()) {
      lines.add("mount --bind " + q(p.shared(v.id())) + " " + q(Path.of(v.mountPath())));
    }
    NodeGroupSpec group = node.role() == InfraNode.Role.CONTROLLER ? c.config.slurm().controller() : c.config.slurm().login();
    group.additionalPrepScript().ifPresent(script -> {
      Path done = p.infra(node.name()).resolve("prep-script.done");
      lines.add("if [ ! -e " + q(done) + " ]; then sh " + q(script.toAbsolutePath()) + "; touch " + q(done) + "; fi");
    });
    List<String> exec = new ArrayList<>();
    daemon.forEach(w -> exec.add(q(w)));
    lines.add("exec " + String.join(" ", exec));
    return List.of("nsenter", "--net=/run/netns/" + c.namespace(node), "unshare", "--uts", "--mount", "--propagation", "private",
        "--fork", "--", "sh", "-c", String.join("\n", lines));
  }

  static String q(Path path) {
    return q(path.toString());
  }

  /** Single-quotes a word for sh. */
  static String q(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
