package dev.cmk.examples.dicom;

import java.io.InputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One request and its response, with the request body stream (created once, so it can be
 * drained) and the helpers every endpoint answers with.
 *
 * <p>An error answer to an upload first reads and drops what is left of the body, up to {@value
 * #DISCARD_LIMIT} bytes, so the client can read the answer; beyond that, or when the client waits
 * for {@code 100 Continue}, the connection is closed instead.
 *
 * <p><b>Thread safety:</b> not thread-safe; one request.
 */
final class Exchange {
  static final int DISCARD_LIMIT = 2 << 20;
  static final String JSON = "application/json; charset=utf-8";
  static final String DICOM_JSON = "application/dicom+json";

  final Request request;
  final Response response;
  final Callback callback;
  private InputStream body;

  Exchange(Request request, Response response, Callback callback) {
    this.request = request;
    this.response = response;
    this.callback = callback;
  }

  String method() {
    return request.getMethod();
  }

  InputStream body() {
    if (body == null) {
      body = Request.asInputStream(request);
    }
    return body;
  }

  boolean isWrite() {
    return method().equals("POST") || method().equals("PUT");
  }

  void header(HttpHeader name, String value) {
    response.getHeaders().put(name, value);
  }

  /** The request's {@code Accept} media ranges (empty when absent). */
  List<MediaType> accept() {
    return MediaType.accept(request.getHeaders().getValuesList(HttpHeader.ACCEPT));
  }

  /** The request's media type. */
  MediaType contentType() {
    return MediaType.parse(request.getHeaders().get(HttpHeader.CONTENT_TYPE));
  }

  /** The base URL of this server as the client addressed it, without a trailing slash. */
  String baseUrl() {
    var uri = request.getHttpURI();
    return uri.getScheme() + "://" + uri.getAuthority();
  }

  static Map<String, Object> error(String code, String message) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("error", code);
    fields.put("message", message);
    return fields;
  }

  void methodNotAllowed(String allow) {
    header(HttpHeader.ALLOW, allow);
    sendError(405, "method-not-allowed", "allowed: " + allow);
  }

  void sendError(int status, String code, String message) {
    sendError(status, error(code, message));
  }

  /** An error answer; for an upload, first discards what is left of the body, or closes. */
  void sendError(int status, Map<String, ?> fields) {
    if (isWrite() && !discardBody()) {
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
    }
    send(status, fields);
  }

  /**
   * Reads and drops the rest of an upload's body, up to {@link #DISCARD_LIMIT} bytes.
   *
   * @return whether the body was consumed; if not, the connection must close
   */
  private boolean discardBody() {
    boolean expects100 =
        request.getHeaders().contains(HttpHeader.EXPECT, HttpHeaderValue.CONTINUE.asString());
    if (expects100 && Request.getContentBytesRead(request) == 0) {
      return false; // the client waits for "100 Continue" and will not send the body
    }
    byte[] scratch = new byte[8192];
    long discarded = 0;
    try {
      int n;
      while ((n = body().read(scratch)) >= 0) {
        discarded += n;
        if (discarded > DISCARD_LIMIT) {
          return false;
        }
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** A JSON object answer. */
  void send(int status, Map<String, ?> json) {
    send(status, JSON, Json.object(json) + "\n");
  }

  /** A text answer of the given type. */
  void send(int status, String contentType, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    header(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }
}
