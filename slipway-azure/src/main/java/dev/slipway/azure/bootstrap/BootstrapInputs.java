package dev.slipway.azure.bootstrap;

import dev.slipway.config.ClusterConfig;
import dev.slipway.model.Secret;
import dev.slipway.tls.DaemonIdentity;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything {@link CloudInit#render} needs besides the role. Secrets arrive here as values (the
 * provisioner generated or read them); the renderer only places them into {@code write_files}
 * entries, never into commands.
 *
 * @param config the cluster's configuration (slurm.conf, volumes, node groups, accounting)
 * @param mungeKey the munge key, base64 of its raw bytes (as {@code JoinSecrets} keeps it)
 * @param joinTokens each elastic pool's join token, for the daemon's secrets directory
 * @param daemonIdentity the daemons' TLS key and certificate, for the secrets directory (every
 *     controller serves the same key: the pools' start tasks pin it)
 * @param slipwayFiles configuration files the daemon reads, name to text (slurm.yaml,
 *     credentials.yaml, pool.yaml...), written to {@value CloudInit#SLIPWAY_ETC} mode 0600
 * @param clusterUserKeys SSH public keys of the cluster user (the login group's ssh username)
 * @param slipwayJarUrl where the VM downloads the slipway jar (a SAS URL is fine: it is written to
 *     a root-only curl config file, not a command line)
 * @param fileServers each storage cluster id of fs.yaml to its file servers' private addresses,
 *     in order (NFS uses the first; GlusterFS the first with the second as backup volfile server)
 * @param logShare the Azure Files share mounted at {@value CloudInit#AZFILE_MOUNT} for power-save
 *     logs, like Batch Shipyard's {@code <prefix>slurm} share; empty keeps logs on the VM
 * @param controllerPrepScript / loginPrepScript the node group's {@code additional_prep_script} text
 */
public record BootstrapInputs(
    ClusterConfig config,
    Secret mungeKey,
    Map<String, Secret> joinTokens,
    DaemonIdentity daemonIdentity,
    Map<String, String> slipwayFiles,
    List<String> clusterUserKeys,
    String slipwayJarUrl,
    Map<String, List<String>> fileServers,
    Optional<AzureFilesShare> logShare,
    Optional<String> controllerPrepScript,
    Optional<String> loginPrepScript) {
  public BootstrapInputs {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(mungeKey, "mungeKey");
    joinTokens = Map.copyOf(joinTokens);
    Objects.requireNonNull(daemonIdentity, "daemonIdentity");
    slipwayFiles = Map.copyOf(slipwayFiles);
    clusterUserKeys = List.copyOf(clusterUserKeys);
    Objects.requireNonNull(slipwayJarUrl, "slipwayJarUrl");
    fileServers = Map.copyOf(fileServers);
    Objects.requireNonNull(logShare, "logShare");
    Objects.requireNonNull(controllerPrepScript, "controllerPrepScript");
    Objects.requireNonNull(loginPrepScript, "loginPrepScript");
  }

  /** An Azure Files share: storage account, its key, the share, the endpoint suffix (core.windows.net). */
  public record AzureFilesShare(String account, Secret accountKey, String share, String endpointSuffix) {
    public AzureFilesShare {
      Objects.requireNonNull(account, "account");
      Objects.requireNonNull(accountKey, "accountKey");
      Objects.requireNonNull(share, "share");
      Objects.requireNonNull(endpointSuffix, "endpointSuffix");
    }
  }

  @Override
  public String toString() {
    return "BootstrapInputs[cluster=" + config.slurm().clusterId() + ", pools=" + joinTokens.keySet() + ", files=" + slipwayFiles.keySet() + "]";
  }
}
