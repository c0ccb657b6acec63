package dev.slipway.azure.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StoreNamesTest {
  @Test
  void forCluster_withAPlainId_usesPrefixAndId() {
    StoreNames names = StoreNames.forCluster("slipway", "mycluster1");

    assertThat(names.table()).isEqualTo("slipwaymycluster1");
    assertThat(names.container()).isEqualTo("slipway-mycluster1");
  }

  @Test
  void forCluster_withIdsThatSanitizeAlike_keepsThemApartWithAHash() {
    StoreNames dash = StoreNames.forCluster("slipway", "gpu-a");
    StoreNames underscore = StoreNames.forCluster("slipway", "gpu_a");

    assertThat(dash.table()).isNotEqualTo(underscore.table()).matches("[A-Za-z][A-Za-z0-9]{2,62}");
    assertThat(dash.container()).isNotEqualTo(underscore.container()).matches("[a-z0-9](-?[a-z0-9])*").hasSizeBetween(3, 63);
  }

  @Test
  void forCluster_withALongId_staysWithinAzureLimits() {
    StoreNames names = StoreNames.forCluster("slipway", "x".repeat(200) + "--Y");

    assertThat(names.table()).hasSizeLessThanOrEqualTo(63).matches("[A-Za-z][A-Za-z0-9]*");
    assertThat(names.container()).hasSizeLessThanOrEqualTo(63).doesNotContain("--");
  }

  @Test
  void forCluster_withABadPrefix_isRefusedNamingIt() {
    assertThatThrownBy(() -> StoreNames.forCluster("9lives", "c")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("9lives");
    assertThatThrownBy(() -> StoreNames.forCluster("slipway", " ")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rowKeys_escapeForbiddenCharactersAndRoundTrip() {
    for (String name : new String[] {"gpu-0", "a/b#c?d\\e", "tilde~x", "ünï", "!seq"}) {
      String key = RowKeys.escape(name);
      assertThat(key).doesNotContain("/", "\\", "#", "?", "!");
      assertThat(RowKeys.unescape(key)).isEqualTo(name);
    }
    assertThat(RowKeys.escape("gpu-0")).isEqualTo("gpu-0");
    assertThat(RowKeys.literal("o'neil")).isEqualTo("'o''neil'");
  }
}
