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

/**
 * A fixed HTTP response: input data for the error classifier, or a canned Key Vault answer sent
 * through the real SDK pipeline (the classes under test read it as they would a server's).
 */
public final class TestResponse extends HttpResponse {
  private final int status;
  private final HttpHeaders headers = new HttpHeaders();
  private final byte[] body;

  TestResponse(String url, int status, String body) {
    this(new HttpRequest(HttpMethod.POST, url), status, body);
  }

  /**
   * An answer to {@code request}.
   *
   * @param request the request answered
   * @param status the HTTP status
   * @param body the body (UTF-8), or {@code null} for none
   */
  public TestResponse(HttpRequest request, int status, String body) {
    super(request);
    this.status = status;
    this.body = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * An answer to {@code request} with a JSON body.
   *
   * @param request the request answered
   * @param status the HTTP status
   * @param json the body
   * @return the answer, with {@code Content-Type: application/json; charset=utf-8}
   */
  public static TestResponse json(HttpRequest request, int status, String json) {
    return new TestResponse(request, status, json)
        .header("Content-Type", "application/json; charset=utf-8");
  }

  /**
   * Adds a header.
   *
   * @param name the header name
   * @param value its value
   * @return this response
   */
  public TestResponse header(String name, String value) {
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
