package dev.slipway.azure.batch;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import dev.slipway.config.Credentials;
import dev.slipway.model.Secret;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The {@code azure-batch} node provider: each configured pool is a Batch pool, possibly in its
 * own Batch account (Batch Shipyard's per-pool {@code account_service_url}). One
 * {@link BatchClient} is made per distinct account URL and shared by that account's pools.
 */
public final class AzureBatchNodeProvider implements NodeProvider {
  public static final String NAME = "azure-batch";

  /** A pool this provider serves: its id, its account URL and its maximum size. */
  public record PoolBinding(String poolId, URI accountUrl, int maxSize) {
    public PoolBinding {
      Objects.requireNonNull(poolId, "poolId");
      Objects.requireNonNull(accountUrl, "accountUrl");
      if (maxSize < 0) throw new IllegalArgumentException("maxSize must be >= 0 for pool " + poolId);
    }
  }

  private final List<NodePool> pools;

  /**
   * @param clients makes the client for an account URL; called once per distinct URL
   * @param resizeTimeout sent with every resize and removal (Batch requires at least 5 minutes)
   */
  public AzureBatchNodeProvider(List<PoolBinding> bindings, Function<URI, BatchClient> clients, Duration resizeTimeout, InstantSource clock) {
    if (resizeTimeout.compareTo(Duration.ofMinutes(5)) < 0) {
      throw new IllegalArgumentException("resize timeout must be at least 5 minutes (Batch's minimum), got " + resizeTimeout);
    }
    Map<URI, BatchClient> byAccount = new HashMap<>();
    List<NodePool> list = new ArrayList<>();
    for (PoolBinding b : bindings) {
      BatchClient client = byAccount.computeIfAbsent(normalize(b.accountUrl()), clients);
      list.add(new AzureBatchNodePool(b.poolId(), b.maxSize(), client, resizeTimeout, clock));
    }
    this.pools = List.copyOf(list);
  }

  /**
   * Clients from credentials.yaml's batch section: the shared key when one is configured (the
   * account name is the URL's first host label), otherwise Microsoft Entra ID: a service
   * principal secret when directory, application and key are given, a user-assigned managed
   * identity when only an application id is, else the default credential chain.
   */
  public static Function<URI, BatchClient> clientsFor(Credentials.BatchCredentials credentials, BatchClientOptions options) {
    Optional<Secret> key = credentials.accountKey();
    if (key.isPresent()) {
      return url -> BatchClient.withSharedKey(url, new BatchSharedKeyCredential(accountName(url), key.get()), options);
    }
    TokenCredential token = tokenCredential(credentials.aad());
    return url -> BatchClient.withTokenCredential(url, token, options);
  }

  static TokenCredential tokenCredential(Optional<Credentials.Aad> aad) {
    if (aad.isPresent()) {
      Credentials.Aad a = aad.get();
      if (a.directoryId().isPresent() && a.applicationId().isPresent() && a.authKey().isPresent()) {
        ClientSecretCredentialBuilder b = new ClientSecretCredentialBuilder()
            .tenantId(a.directoryId().get()).clientId(a.applicationId().get()).clientSecret(a.authKey().get().reveal());
        a.authorityUrl().ifPresent(b::authorityHost);
        return b.build();
      }
      if (a.applicationId().isPresent()) {
        return new ManagedIdentityCredentialBuilder().clientId(a.applicationId().get()).build();
      }
    }
    return new DefaultAzureCredentialBuilder().build();
  }

  /** {@code https://myaccount.westus.batch.azure.com} -> {@code myaccount}. */
  static String accountName(URI url) {
    String host = url.getHost();
    if (host == null || !host.contains(".") || Character.isDigit(host.charAt(0))) {
      throw new IllegalArgumentException("cannot derive a Batch account name from " + url
          + "; expected https://<account>.<region>.batch.azure.com");
    }
    return host.substring(0, host.indexOf('.')).toLowerCase(Locale.ROOT);
  }

  private static URI normalize(URI u) {
    String s = u.toString();
    return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<NodePool> pools() {
    return pools;
  }
}
