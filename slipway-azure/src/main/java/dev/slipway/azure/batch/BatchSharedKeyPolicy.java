package dev.slipway.azure.batch;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeader;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.policy.HttpPipelineSyncPolicy;
import com.azure.core.util.BinaryData;
import com.azure.core.util.DateTimeRfc1123;
import java.net.URISyntaxException;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Signs each request (each retry too, since the pipeline runs again) with the Batch SharedKey
 * scheme: stamps {@code ocp-date} from the injected clock, fixes Content-Length to the body's
 * size so the signed value is the one the HTTP stack will send, then sets Authorization.
 */
final class BatchSharedKeyPolicy extends HttpPipelineSyncPolicy {
  private final BatchSharedKeyCredential credential;
  private final InstantSource clock;

  BatchSharedKeyPolicy(BatchSharedKeyCredential credential, InstantSource clock) {
    this.credential = credential;
    this.clock = clock;
  }

  @Override
  protected void beforeSendingRequest(HttpPipelineCallContext context) {
    HttpRequest request = context.getHttpRequest();
    request.setHeader(HttpHeaderName.fromString("ocp-date"), DateTimeRfc1123.toRfc1123String(clock.instant().atOffset(ZoneOffset.UTC)));
    BinaryData body = request.getBodyAsBinaryData();
    Long length = body == null ? null : body.getLength();
    if (length != null && length > 0) {
      request.setHeader(HttpHeaderName.fromString("Content-Length"), Long.toString(length));
    }
    Map<String, String> ocp = new LinkedHashMap<>();
    for (HttpHeader h : request.getHeaders()) {
      if (h.getName().toLowerCase(Locale.ROOT).startsWith("ocp-")) {
        ocp.put(h.getName(), h.getValue());
      }
    }
    String toSign;
    try {
      toSign = credential.stringToSign(request.getHttpMethod().name(), request.getUrl().toURI(),
          name -> request.getHeaders().getValue(HttpHeaderName.fromString(name)), ocp);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("request URL is not a valid URI: " + request.getUrl(), e);
    }
    request.setHeader(HttpHeaderName.fromString("Authorization"), credential.authorization(toSign));
  }
}
