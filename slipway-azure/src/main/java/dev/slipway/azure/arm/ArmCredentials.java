package dev.slipway.azure.arm;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import dev.slipway.config.ConfigException;
import dev.slipway.config.ConfigProblem;
import dev.slipway.config.Credentials;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The operator's ARM credential from credentials.yaml's {@code management} section (Batch
 * Shipyard's keys): a service principal with a secret ({@code auth_key}) or a certificate
 * ({@code rsa_private_key_pem}, PEM holding the certificate and its key), else the machine's
 * managed identity ({@code application_id} picks a user-assigned one). Secrets go straight into
 * azure-identity and are never printed. {@code aad.endpoint} is the ARM endpoint (default the
 * public cloud); {@code aad.authority_url} the Entra ID authority.
 */
public final class ArmCredentials {
  private ArmCredentials() {}

  /** The ARM endpoint credentials.yaml names, else the public cloud's. */
  public static URI endpoint(Credentials.ManagementCredentials m) {
    return m.aad().flatMap(Credentials.Aad::endpoint).filter(e -> !e.isBlank()).map(URI::create).orElse(ArmConnection.PUBLIC_CLOUD);
  }

  public static TokenCredential from(Credentials.ManagementCredentials m) {
    Optional<Credentials.Aad> aad = m.aad();
    Optional<String> tenant = aad.flatMap(Credentials.Aad::directoryId);
    Optional<String> app = aad.flatMap(Credentials.Aad::applicationId);
    Optional<String> authority = aad.flatMap(Credentials.Aad::authorityUrl);
    if (aad.flatMap(Credentials.Aad::authKey).isPresent()) {
      require(tenant, "directory_id");
      require(app, "application_id");
      ClientSecretCredentialBuilder b = new ClientSecretCredentialBuilder().tenantId(tenant.get()).clientId(app.get())
          .clientSecret(aad.get().authKey().get().reveal());
      authority.ifPresent(b::authorityHost);
      return b.build();
    }
    if (aad.flatMap(Credentials.Aad::rsaPrivateKeyPem).isPresent()) {
      require(tenant, "directory_id");
      require(app, "application_id");
      byte[] pem = aad.get().rsaPrivateKeyPem().get().reveal().getBytes(StandardCharsets.US_ASCII);
      ClientCertificateCredentialBuilder b = new ClientCertificateCredentialBuilder().tenantId(tenant.get()).clientId(app.get())
          .pemCertificate(new ByteArrayInputStream(pem));
      authority.ifPresent(b::authorityHost);
      return b.build();
    }
    if (aad.flatMap(Credentials.Aad::user).isPresent()) {
      throw new ConfigException(List.of(ConfigProblem.error(Optional.empty(), 0, 0, "credentials.management.aad.user",
          "user/password sign-in is not supported (Entra ID requires MFA for ARM)", "auth_key or rsa_private_key_pem of a service principal, or a managed identity")));
    }
    ManagedIdentityCredentialBuilder b = new ManagedIdentityCredentialBuilder();
    app.ifPresent(b::clientId);
    return b.build();
  }

  private static void require(Optional<String> value, String key) {
    if (value.isEmpty() || value.get().isBlank()) {
      throw new ConfigException(List.of(ConfigProblem.error(Optional.empty(), 0, 0, "credentials.management.aad." + key,
          "a service principal sign-in needs " + key, "the Entra ID " + key.replace('_', ' '))));
    }
  }
}
