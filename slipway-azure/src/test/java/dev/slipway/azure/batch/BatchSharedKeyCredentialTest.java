package dev.slipway.azure.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.util.Context;
import dev.slipway.model.Secret;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The SharedKey scheme pinned to vectors worked out by hand from the "Authenticate requests to
 * Azure Batch" page: the string to sign was written out line by line from the documented format
 * (verb, eleven standard header values, ocp- headers, /account/path, sorted lower-case query
 * parameters), and the signatures were computed independently with
 * {@code printf '%s' "$S" | openssl dgst -sha256 -mac HMAC -macopt hexkey:<key> -binary | base64}.
 */
class BatchSharedKeyCredentialTest {
  // base64 of the ASCII bytes "slipway-batch-shared-key-test-vector-0001"
  static final BatchSharedKeyCredential CREDENTIAL =
      new BatchSharedKeyCredential("myaccount", Secret.of("c2xpcHdheS1iYXRjaC1zaGFyZWQta2V5LXRlc3QtdmVjdG9yLTAwMDE="));
  static final String DATE = "Fri, 17 Feb 2017 00:00:00 GMT";

  static final String GET_STRING_TO_SIGN = "GET\n\n\n\n\n\n\n\n\n\n\n\n"
      + "ocp-date:" + DATE + "\n"
      + "/myaccount/pools/mypool/nodes\n$select:id,state\napi-version:2025-06-01.21.0\nmaxresults:2\ntimeout:20";
  static final String GET_SIGNATURE = "dvYtyeKDsIV0fxJmZdZJJxVjnahHaQ5gDKlC8h+oKqg=";
  static final String POST_STRING_TO_SIGN = "POST\n\n\n44\n\napplication/json; odata=minimalmetadata\n\n\n\n\n\n\n"
      + "ocp-date:" + DATE + "\n/myaccount/pools/mypool/resize\napi-version:2025-06-01.21.0";
  static final String POST_SIGNATURE = "47KufwHqWEPgfK/g6DHOIVU2B8ty/1I3o1dEyaqwGbY=";

  @Test
  void stringToSign_forAGetWithQuery_followsTheDocumentedLayout() {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("ocp-date", DATE);
    headers.put("client-request-id", "00000000-0000-0000-0000-000000000000"); // not signed
    URI uri = URI.create("https://myaccount.westus.batch.azure.com/pools/mypool/nodes"
        + "?api-version=2025-06-01.21.0&timeout=20&maxresults=2&$select=id%2Cstate");

    String toSign = CREDENTIAL.stringToSign("get", uri, headers::get, Map.of("ocp-date", DATE));

    assertThat(toSign).isEqualTo(GET_STRING_TO_SIGN);
    assertThat(CREDENTIAL.signature(toSign)).isEqualTo(GET_SIGNATURE);
    assertThat(CREDENTIAL.authorization(toSign)).isEqualTo("SharedKey myaccount:" + GET_SIGNATURE);
  }

  @Test
  void stringToSign_forAPostWithBody_signsContentLengthAndType() {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Content-Type", "application/json; odata=minimalmetadata");
    headers.put("Content-Length", "44");
    headers.put("Date", "Sat, 18 Feb 2017 00:00:00 GMT"); // ignored: ocp-date wins

    String toSign = CREDENTIAL.stringToSign("POST", URI.create("https://myaccount.westus.batch.azure.com/pools/mypool/resize?api-version=2025-06-01.21.0"),
        headers::get, Map.of("ocp-date", DATE));

    assertThat(toSign).isEqualTo(POST_STRING_TO_SIGN);
    assertThat(CREDENTIAL.signature(toSign)).isEqualTo(POST_SIGNATURE);
  }

  @Test
  void policy_stampsOcpDateFromTheClock_andSignsTheRequestItSends() {
    CannedHttpClient http = new CannedHttpClient(r -> new CannedHttpClient.Canned(200, "{}", new HttpHeaders()));
    var pipeline = new HttpPipelineBuilder().httpClient(http)
        .policies(new BatchSharedKeyPolicy(CREDENTIAL, new FakeClock(Instant.parse("2017-02-17T00:00:00Z")))).build();

    pipeline.sendSync(new HttpRequest(HttpMethod.GET, "https://myaccount.westus.batch.azure.com/pools/mypool/nodes"
        + "?api-version=2025-06-01.21.0&$select=id%2Cstate&maxresults=2&timeout=20"), Context.NONE).close();

    HttpRequest sent = http.requests.get(0);
    assertThat(sent.getHeaders().getValue(HttpHeaderName.fromString("ocp-date"))).isEqualTo(DATE);
    assertThat(sent.getHeaders().getValue(HttpHeaderName.AUTHORIZATION)).isEqualTo("SharedKey myaccount:" + GET_SIGNATURE);
  }

  @Test
  void credential_neverShowsItsKey() {
    assertThat(CREDENTIAL.toString()).doesNotContain("c2xpcHdheS").contains("myaccount");
  }
}
