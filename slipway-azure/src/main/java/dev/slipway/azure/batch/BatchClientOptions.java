package dev.slipway.azure.batch;

import com.azure.core.http.HttpClient;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link BatchClient} talks to the service: the clock (for ocp-date and token expiry), the
 * retry policy, how to wait between retries (tests pass a recorder instead of sleeping), the
 * per-call response timeout, and optionally an HTTP client (default: the JDK one).
 */
public record BatchClientOptions(
    InstantSource clock, BatchRetryPolicy retry, RetryPause pause, Duration responseTimeout, Optional<HttpClient> httpClient) {
  /** Waits between retries; the production one sleeps. */
  @FunctionalInterface
  public interface RetryPause {
    void pause(Duration delay) throws InterruptedException;
  }

  public BatchClientOptions {
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(retry, "retry");
    Objects.requireNonNull(pause, "pause");
    Objects.requireNonNull(responseTimeout, "responseTimeout");
    Objects.requireNonNull(httpClient, "httpClient");
  }

  public static BatchClientOptions defaults() {
    return new BatchClientOptions(InstantSource.system(), BatchRetryPolicy.DEFAULT,
        d -> Thread.sleep(d.toMillis()), Duration.ofSeconds(60), Optional.empty());
  }

  public BatchClientOptions withClock(InstantSource c) {
    return new BatchClientOptions(c, retry, pause, responseTimeout, httpClient);
  }

  public BatchClientOptions withRetry(BatchRetryPolicy r, RetryPause p) {
    return new BatchClientOptions(clock, r, p, responseTimeout, httpClient);
  }

  public BatchClientOptions withHttpClient(HttpClient c) {
    return new BatchClientOptions(clock, retry, pause, responseTimeout, Optional.of(c));
  }
}
