package dev.slipway.azure.batch;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.BinaryData;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** An azure-core HttpClient that records requests and answers each with a canned response. */
final class CannedHttpClient implements HttpClient {
  record Canned(int status, String body, HttpHeaders headers) {}

  final List<HttpRequest> requests = new ArrayList<>();
  private final Function<HttpRequest, Canned> answer;

  CannedHttpClient(Function<HttpRequest, Canned> answer) {
    this.answer = answer;
  }

  @Override
  public synchronized Mono<HttpResponse> send(HttpRequest request) {
    requests.add(request);
    Canned c = answer.apply(request);
    byte[] bytes = c.body().getBytes(StandardCharsets.UTF_8);
    return Mono.just(new HttpResponse(request) {
      @Override
      public int getStatusCode() {
        return c.status();
      }

      @Override
      @Deprecated
      public String getHeaderValue(String name) {
        return c.headers().getValue(HttpHeaderName.fromString(name));
      }

      @Override
      public HttpHeaders getHeaders() {
        return c.headers();
      }

      @Override
      public Flux<ByteBuffer> getBody() {
        return Flux.just(ByteBuffer.wrap(bytes));
      }

      @Override
      public BinaryData getBodyAsBinaryData() {
        return BinaryData.fromBytes(bytes);
      }

      @Override
      public Mono<byte[]> getBodyAsByteArray() {
        return Mono.just(bytes);
      }

      @Override
      public Mono<String> getBodyAsString() {
        return Mono.just(c.body());
      }

      @Override
      public Mono<String> getBodyAsString(Charset charset) {
        return Mono.just(new String(bytes, charset));
      }
    });
  }
}
