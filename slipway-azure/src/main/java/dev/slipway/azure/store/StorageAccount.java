package dev.slipway.azure.store;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import dev.slipway.config.Credentials.StorageCredentials;
import dev.slipway.model.Secret;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * How the store reaches its storage account: with the account key (a connection string, kept in a
 * {@link Secret} so that it is never printed, logged or passed on a command line), or with an Entra
 * ID token (managed identity on the node, or the default credential chain for an operator's
 * machine), in which case only the endpoints are needed.
 */
public sealed interface StorageAccount {
  /** A short description for messages, without any secret. */
  String describe();

  record ConnectionString(Secret value) implements StorageAccount {
    public ConnectionString {
      Objects.requireNonNull(value, "value");
      if (value.isEmpty()) {
        throw new IllegalArgumentException("storage connection string is empty");
      }
    }

    @Override
    public String describe() {
      String s = value.reveal();
      for (String part : s.split(";")) {
        if (part.startsWith("AccountName=")) {
          return "account " + part.substring("AccountName=".length());
        }
      }
      return s.contains("UseDevelopmentStorage=true") ? "development storage" : "account from connection string";
    }
  }

  /** Token authentication; {@code credential} is built by {@link #managedIdentity} or {@link #defaultCredential}. */
  record Token(URI tableEndpoint, URI blobEndpoint, TokenCredential credential, String credentialName) implements StorageAccount {
    public Token {
      Objects.requireNonNull(tableEndpoint, "tableEndpoint");
      Objects.requireNonNull(blobEndpoint, "blobEndpoint");
      Objects.requireNonNull(credential, "credential");
      Objects.requireNonNull(credentialName, "credentialName");
    }

    @Override
    public String describe() {
      return tableEndpoint.getHost() + " (" + credentialName + ")";
    }
  }

  static StorageAccount connectionString(Secret connectionString) {
    return new ConnectionString(connectionString);
  }

  /** The VM's (or a user-assigned, by client id) managed identity. */
  static StorageAccount managedIdentity(URI tableEndpoint, URI blobEndpoint, Optional<String> clientId, HttpClient http) {
    ManagedIdentityCredentialBuilder builder = new ManagedIdentityCredentialBuilder().httpClient(http);
    clientId.ifPresent(builder::clientId);
    return new Token(tableEndpoint, blobEndpoint, builder.build(),
        clientId.map(id -> "managed identity " + id).orElse("system-assigned managed identity"));
  }

  /** Environment, workload identity, managed identity, Azure CLI... in the SDK's usual order. */
  static StorageAccount defaultCredential(URI tableEndpoint, URI blobEndpoint, HttpClient http) {
    return new Token(tableEndpoint, blobEndpoint, new DefaultAzureCredentialBuilder().httpClient(http).build(),
        "default Azure credential");
  }

  /**
   * From a {@code credentials.yaml} storage entry: its account key when one is given, otherwise the
   * managed identity, on {@code https://<account>.table.<endpoint>} and {@code .blob.}.
   */
  static StorageAccount fromCredentials(StorageCredentials credentials, HttpClient http) {
    String account = credentials.account()
        .orElseThrow(() -> new IllegalArgumentException("storage credentials '" + credentials.alias() + "' name no account"));
    if (credentials.accountKey().isPresent() && !credentials.accountKey().get().isEmpty()) {
      return connectionString(Secret.of("DefaultEndpointsProtocol=https;AccountName=" + account + ";AccountKey="
          + credentials.accountKey().get().reveal() + ";EndpointSuffix=" + credentials.endpoint()));
    }
    return managedIdentity(URI.create("https://" + account + ".table." + credentials.endpoint()),
        URI.create("https://" + account + ".blob." + credentials.endpoint()), Optional.empty(), http);
  }
}
