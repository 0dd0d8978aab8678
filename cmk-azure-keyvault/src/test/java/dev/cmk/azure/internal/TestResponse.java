package dev.cmk.azure.internal;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A fixed HTTP response, as input data for the classifier (the thing under test). */
final class TestResponse extends HttpResponse {
  private final int status;
  private final HttpHeaders headers = new HttpHeaders();
  private final byte[] body;

  TestResponse(String url, int status, String body) {
    super(new HttpRequest(HttpMethod.POST, url));
    this.status = status;
    this.body = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
  }

  TestResponse header(String name, String value) {
    headers.set(HttpHeaderName.fromString(name), value);
    return this;
  }

  @Override
  public int getStatusCode() {
    return status;
  }

  @Override
  @Deprecated
  public String getHeaderValue(String name) {
    return headers.getValue(HttpHeaderName.fromString(name));
  }

  @Override
  public HttpHeaders getHeaders() {
    return headers;
  }

  @Override
  public Flux<ByteBuffer> getBody() {
    return Flux.just(ByteBuffer.wrap(body));
  }

  @Override
  public Mono<byte[]> getBodyAsByteArray() {
    return Mono.just(body.clone());
  }

  @Override
  public Mono<String> getBodyAsString() {
    return Mono.just(new String(body, StandardCharsets.UTF_8));
  }

  @Override
  public Mono<String> getBodyAsString(Charset charset) {
    return Mono.just(new String(body, charset));
  }
}
