package dev.slipway.local.services;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.Credentials;
import dev.slipway.model.Secret;
import dev.slipway.slurm.SlurmConfRenderer;
import dev.slipway.slurm.SlurmLayout;
import dev.slipway.slurm.SlurmLayout.AccountingEndpoint;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/**
 * What a cluster's accounting needs besides its files: the Slurm cluster name to register (the
 * same function slurm.conf's ClusterName uses, so they agree; Batch Shipyard registered only the
 * first {@code -} token, bug 28), where slurmdbd listens, the munge socket, the slurm.conf the
 * clients read, the database password, and the account and user to create.
 *
 * @param slurmConf the rendered slurm.conf; slurmdbd.conf is written beside it
 * @param account Batch Shipyard's account for the cluster user
 * @param clusterUser the login user, given an association so that it may submit jobs
 */
public record AccountingSettings(
    String clusterName,
    Path slurmConf,
    AccountingEndpoint endpoint,
    Path mungeSocket,
    Path logDir,
    Secret databasePassword,
    String account,
    Optional<String> clusterUser) {
  public static final String DEFAULT_ACCOUNT = "compute-account";

  public AccountingSettings {
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(slurmConf, "slurmConf");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(mungeSocket, "mungeSocket");
    Objects.requireNonNull(logDir, "logDir");
    Objects.requireNonNull(databasePassword, "databasePassword");
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(clusterUser, "clusterUser");
    if (databasePassword.isEmpty()) {
      throw new IllegalArgumentException("the database password is empty");
    }
  }

  /** slurmdbd.conf: beside slurm.conf, because slurmdbd looks for it in SLURM_CONF's directory. */
  public Path slurmdbdConf() {
    return slurmConf.resolveSibling("slurmdbd.conf");
  }

  /**
   * The settings of a configured cluster: the password from {@code credentials.slurm.db_password},
   * else a generated one (slurmdbd.conf is rewritten and the database user's password reset at
   * every start, so a generated password need not be remembered).
   */
  public static AccountingSettings of(ClusterConfig config, SlurmLayout layout, Path slurmConf, Path mungeSocket,
      SecureRandom random) {
    Secret password = config.credentials().flatMap(Credentials::slurmDbPassword).filter(s -> !s.isEmpty())
        .orElseGet(() -> generatedPassword(random));
    return new AccountingSettings(SlurmConfRenderer.clusterName(config.slurm().clusterId()), slurmConf,
        layout.accounting(), mungeSocket, layout.logDir(), password, DEFAULT_ACCOUNT,
        Optional.of(config.slurm().login().ssh().username()));
  }

  /** 32 random bytes as URL-safe base64: 256 bits, and no character any parser treats specially. */
  public static Secret generatedPassword(SecureRandom random) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Secret.of(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
  }
}
