package dev.slipway.azure.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.model.Secret;
import dev.slipway.spi.StoreUnavailableException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class AzureStorageStateStoreTest {
  private static final String KEY = "c2VjcmV0LWtleS1ub3QtcmVhbC1zZWNyZXQta2V5LW5vdC1yZWFsLXNlY3JldA==";

  @Test
  void open_whenTheAccountIsUnreachable_failsWithAOneLineMessageWithoutTheKey() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    Secret cs = Secret.of("DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=" + KEY
        + ";BlobEndpoint=http://127.0.0.1:" + closedPort + "/acct;TableEndpoint=http://127.0.0.1:" + closedPort + "/acct;");
    AzureStorageStateStore.Settings settings =
        new AzureStorageStateStore.Settings(StorageAccount.connectionString(cs), StoreNames.forCluster("slipway", "c1"));

    assertThatThrownBy(() -> AzureStorageStateStore.open(settings))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageStartingWith("state store azure-storage account acct table slipwayc1: open failed")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(KEY).doesNotContain("\n"));
  }

  @Test
  void open_withAMalformedConnectionString_failsWithoutEchoingIt() {
    Secret cs = Secret.of("AccountName=acct;AccountKey=" + KEY);
    AzureStorageStateStore.Settings settings =
        new AzureStorageStateStore.Settings(StorageAccount.connectionString(cs), StoreNames.forCluster("slipway", "c1"));

    assertThatThrownBy(() -> AzureStorageStateStore.open(settings))
        .isInstanceOf(StoreUnavailableException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(KEY));
  }

  @Test
  void settings_printTheAccountButNotTheKey() {
    StorageAccount account = StorageAccount.connectionString(Secret.of("AccountName=acct;AccountKey=" + KEY));

    assertThat(account.describe()).isEqualTo("account acct");
    assertThat(account.toString()).doesNotContain(KEY);
  }
}
