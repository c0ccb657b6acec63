package dev.slipway.config;

import dev.slipway.model.Secret;
import java.util.Map;
import java.util.Optional;

/** credentials.yaml. Every secret is a {@link Secret}, masked when printed. */
public record Credentials(
    Optional<BatchCredentials> batch,
    Optional<ManagementCredentials> management,
    Map<String, StorageCredentials> storage,
    Optional<Secret> slurmDbPassword) {
  public Credentials {
    storage = Map.copyOf(storage);
  }

  /** Entra ID (AAD) settings shared by the batch and management sections. */
  public record Aad(
      Optional<String> endpoint,
      Optional<String> directoryId,
      Optional<String> applicationId,
      Optional<Secret> authKey,
      Optional<Secret> rsaPrivateKeyPem,
      Optional<String> x509CertSha1Thumbprint,
      Optional<String> user,
      Optional<Secret> password,
      Optional<String> authorityUrl) {}

  public record BatchCredentials(
      Optional<String> accountServiceUrl, Optional<String> resourceGroup, Optional<Secret> accountKey, Optional<Aad> aad) {}

  public record ManagementCredentials(Optional<String> subscriptionId, Optional<Aad> aad) {}

  public record StorageCredentials(
      String alias, Optional<String> account, Optional<Secret> accountKey, String endpoint, Optional<String> resourceGroup) {}
}
