package dev.slipway.azure.arm;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach Azure Resource Manager: the endpoint (public cloud by default; tests use a fake on
 * loopback), the subscription, the credential, and optionally the HTTP client and the retry delay.
 *
 * @param retryDelay the base delay of ARM retries; tests set it to milliseconds
 * @param pollInterval how often a long-running operation is polled when ARM sends no Retry-After
 */
public record ArmConnection(URI endpoint, String subscriptionId, Optional<String> tenantId, TokenCredential credential,
    Optional<HttpClient> httpClient, Duration retryDelay, Duration pollInterval) {
  public static final URI PUBLIC_CLOUD = URI.create("https://management.azure.com/");

  public ArmConnection {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(subscriptionId, "subscriptionId");
    Objects.requireNonNull(credential, "credential");
  }

  public static ArmConnection of(URI endpoint, String subscriptionId, Optional<String> tenantId, TokenCredential credential) {
    return new ArmConnection(endpoint, subscriptionId, tenantId, credential, Optional.empty(), Duration.ofSeconds(4), Duration.ofSeconds(5));
  }

  public ArmConnection withHttpClient(HttpClient client) {
    return new ArmConnection(endpoint, subscriptionId, tenantId, credential, Optional.of(client), retryDelay, pollInterval);
  }

  public ArmConnection withTimings(Duration retryDelay, Duration pollInterval) {
    return new ArmConnection(endpoint, subscriptionId, tenantId, credential, httpClient, retryDelay, pollInterval);
  }
}
