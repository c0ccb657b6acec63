package dev.slipway.azure.batch.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ODataFilterTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode node(String json) throws Exception {
    return JSON.readTree(json);
  }

  @Test
  void eqAndOrNotAndParentheses_combineAsInOData() throws Exception {
    JsonNode idle = node("{\"id\":\"a'b\",\"state\":\"idle\",\"isDedicated\":true,\"startTaskInfo\":{\"state\":\"completed\"}}");
    JsonNode failed = node("{\"id\":\"c\",\"state\":\"starttaskfailed\",\"isDedicated\":false}");

    assertThat(ODataFilter.parse("state eq 'idle'").test(idle)).isTrue();
    assertThat(ODataFilter.parse("state eq 'idle'").test(failed)).isFalse();
    assertThat(ODataFilter.parse("id eq 'a''b'").test(idle)).isTrue();
    assertThat(ODataFilter.parse("state eq 'idle' or state eq 'starttaskfailed'").test(failed)).isTrue();
    assertThat(ODataFilter.parse("(state eq 'idle' or state eq 'starttaskfailed') and isDedicated eq true").test(failed)).isFalse();
    assertThat(ODataFilter.parse("not (state ne 'idle')").test(idle)).isTrue();
    assertThat(ODataFilter.parse("startTaskInfo/state eq 'completed'").test(idle)).isTrue();
    assertThat(ODataFilter.parse("startTaskInfo/state eq 'completed'").test(failed)).isFalse();
  }

  @Test
  void unsupportedOrMalformedFilters_areSyntaxErrors() {
    assertThatThrownBy(() -> ODataFilter.parse("state gt 'idle'")).isInstanceOf(ODataFilter.SyntaxException.class).hasMessageContaining("gt");
    assertThatThrownBy(() -> ODataFilter.parse("state eq 'idle")).isInstanceOf(ODataFilter.SyntaxException.class);
    assertThatThrownBy(() -> ODataFilter.parse("state eq")).isInstanceOf(ODataFilter.SyntaxException.class);
    assertThatThrownBy(() -> ODataFilter.parse("(state eq 'idle'")).isInstanceOf(ODataFilter.SyntaxException.class);
    assertThatThrownBy(() -> ODataFilter.parse("")).isInstanceOf(ODataFilter.SyntaxException.class);
    assertThatThrownBy(() -> ODataFilter.parse("state eq 'idle' extra")).isInstanceOf(ODataFilter.SyntaxException.class);
  }
}
