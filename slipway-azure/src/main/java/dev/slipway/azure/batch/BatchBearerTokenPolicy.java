package dev.slipway.azure.batch;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.policy.HttpPipelineSyncPolicy;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Locale;

/**
 * Adds a Microsoft Entra ID bearer token for the Batch scope, cached until five minutes before it
 * expires. azure-core's own BearerTokenAuthenticationPolicy refuses plain http, which the local
 * emulator speaks; this policy allows http only to loopback addresses and requires https
 * everywhere else, so a token never crosses a network in clear text.
 */
final class BatchBearerTokenPolicy extends HttpPipelineSyncPolicy {
  private static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(5);
  private final TokenCredential credential;
  private final InstantSource clock;
  private final TokenRequestContext context = new TokenRequestContext().addScopes(BatchApi.TOKEN_SCOPE);
  private AccessToken cached;

  BatchBearerTokenPolicy(TokenCredential credential, InstantSource clock) {
    this.credential = credential;
    this.clock = clock;
  }

  @Override
  protected void beforeSendingRequest(HttpPipelineCallContext callContext) {
    var url = callContext.getHttpRequest().getUrl();
    String host = url.getHost().toLowerCase(Locale.ROOT);
    boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
    if (!"https".equalsIgnoreCase(url.getProtocol()) && !loopback) {
      throw new IllegalStateException("refusing to send a bearer token over plain http to " + host);
    }
    callContext.getHttpRequest().setHeader(HttpHeaderName.fromString("Authorization"), "Bearer " + token().getToken());
  }

  private synchronized AccessToken token() {
    if (cached == null || cached.getExpiresAt().toInstant().minus(REFRESH_BEFORE_EXPIRY).isBefore(clock.instant())) {
      cached = credential.getTokenSync(context);
    }
    return cached;
  }
}
