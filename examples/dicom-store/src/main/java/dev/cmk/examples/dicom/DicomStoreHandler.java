package dev.cmk.examples.dicom;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP surface of the DICOM store (a Jetty 12 core handler; blocking I/O on Jetty's pool).
 *
 * <ul>
 *   <li>{@code POST|PUT /studies/{study}/series/{series}/instances/{sop}}, body {@code
 *       application/dicom}: store (POST refuses to replace: 409).
 *   <li>{@code GET} of the same path, with an optional single {@code Range}: 200, 206 or 416;
 *       {@code HEAD}: the headers of a GET without {@code Range} (200), as RFC 9110 requires.
 *   <li>{@code DELETE} of the same path: 204 or 404.
 *   <li>{@code GET /$cmk-status}, {@code POST /$cmk-refresh}: the customer-managed key's state
 *       (with the replicas' shared view, {@code fleet}), and the explicit refresh needed after the
 *       30-minute grace window.
 *   <li>{@code POST /$demo-clock?advance=PT31M}: only with a {@link DemoClock}, moves it forward
 *       and runs the guard's due probes.
 * </ul>
 *
 * <p>While the customer-managed key is not accessible every request that needs it answers 500
 * with {@code "error": "customer-managed-key-not-accessible"} and the reason (no secrets). A stored
 * instance that fails authentication answers 500 {@code "stored-instance-failed-authentication"}
 * when that is found before the response starts; found later (a tampered segment in the middle of
 * a streamed body) the connection is aborted, so the client sees a body shorter than its {@code
 * Content-Length}. Either way no byte of the failing segment, or after it, is sent.
 *
 * <p>An upload refused before its body was read (415, 413, 409, key not accessible, ...) gets its
 * answer without a {@code 100 Continue}, so a client that sent {@code Expect: 100-continue} never
 * sends the body; otherwise up to {@value #DISCARD_LIMIT} bytes of the body are read and discarded
 * so that the client can read the answer, and beyond that the connection is closed.
 *
 * <p><b>Thread safety:</b> stateless apart from the store and the crypto, both thread-safe.
 */
final class DicomStoreHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(DicomStoreHandler.class);

  static final String DICOM = "application/dicom";
  static final String STATUS_PATH = "/$cmk-status";
  static final String REFRESH_PATH = "/$cmk-refresh";
  static final String DEMO_CLOCK_PATH = "/$demo-clock";
  static final int DISCARD_LIMIT = 2 << 20;
  private static final String JSON = "application/json; charset=utf-8";
  private static final int COPY_BUFFER = 64 * 1024;

  private final InstanceStore store;
  private final EnvelopeCrypto crypto;
  private final long maxInstanceSize;
  private final DemoClock demoClock; // null unless demonstrating

  DicomStoreHandler(InstanceStore store, EnvelopeCrypto crypto, long maxInstanceSize,
      DemoClock demoClock) {
    this.store = store;
    this.crypto = crypto;
    this.maxInstanceSize = maxInstanceSize;
    this.demoClock = demoClock;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    Exchange x = new Exchange(request, response, callback);
    try {
      route(x);
    } catch (Throwable e) {
      fail(x, e);
    }
    return true;
  }

  /** One request and response, and the request body stream (created once, so it can be drained). */
  private static final class Exchange {
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
  }

  private void route(Exchange x) throws IOException {
    String method = x.method();
    String decoded = x.request.getHttpURI().getDecodedPath();
    if (STATUS_PATH.equals(decoded)) {
      if (method.equals("GET") || method.equals("HEAD")) {
        send(x, 200, CmkStatusJson.of(crypto.keyAccess().status(), crypto));
      } else {
        methodNotAllowed(x, "GET, HEAD");
      }
      return;
    }
    if (DEMO_CLOCK_PATH.equals(decoded) && demoClock != null) {
      if (method.equals("POST")) {
        advanceDemoClock(x);
      } else {
        methodNotAllowed(x, "POST");
      }
      return;
    }
    if (REFRESH_PATH.equals(decoded)) {
      if (method.equals("POST")) {
        refresh(x);
      } else {
        methodNotAllowed(x, "POST");
      }
      return;
    }
    // The raw (still percent-encoded) path: a valid UID never needs encoding, so whatever was
    // encoded fails validation.
    String[] parts = x.request.getHttpURI().getPath().split("/", -1);
    if (parts.length != 7
        || !parts[0].isEmpty()
        || !parts[1].equals("studies")
        || !parts[3].equals("series")
        || !parts[5].equals("instances")) {
      sendError(x, 404, "not-found",
          "no such resource; instances live at /studies/{study}/series/{series}/instances/{sop}");
      return;
    }
    InstanceKey key;
    try {
      key = new InstanceKey(parts[2], parts[4], parts[6]);
    } catch (IllegalArgumentException e) {
      sendError(x, 400, "invalid-uid", e.getMessage());
      return;
    }
    switch (method) {
      case "GET":
        read(x, key, false);
        break;
      case "HEAD":
        read(x, key, true);
        break;
      case "POST":
        write(x, key, InstanceStore.WriteMode.CREATE_ONLY);
        break;
      case "PUT":
        write(x, key, InstanceStore.WriteMode.CREATE_OR_REPLACE);
        break;
      case "DELETE":
        if (store.delete(key)) {
          x.response.setStatus(204);
          x.callback.succeeded();
        } else {
          sendError(x, 404, "instance-not-found", "no such instance");
        }
        break;
      default:
        methodNotAllowed(x, "GET, HEAD, POST, PUT, DELETE");
    }
  }

  // ------------------------------------------------------------------ read

  private void read(Exchange x, InstanceKey key, boolean head) throws IOException {
    Optional<StoredInstance> opened = store.open(key);
    if (opened.isEmpty()) {
      sendError(x, 404, "instance-not-found", "no such instance");
      return;
    }
    try (StoredInstance instance = opened.get()) {
      long length = instance.length();
      // RFC 9110 section 14.2: range handling is defined for GET only; a server MUST ignore
      // Range on any other method, so HEAD answers exactly what a GET without Range would.
      // Range and If-Range are singleton fields: two field lines of either are not a valid
      // request for a range, which RFC 9110 lets a server ignore (as it ignores every other
      // invalid Range, and an If-Range that does not match): the whole instance.
      RangeSelection selection =
          head || repeated(x, HttpHeader.RANGE) || repeated(x, HttpHeader.IF_RANGE)
              ? new RangeSelection.Whole()
              : RangeSelection.of(
                  x.request.getHeaders().get(HttpHeader.RANGE),
                  x.request.getHeaders().get(HttpHeader.IF_RANGE),
                  instance.etag(),
                  length);
      x.header(HttpHeader.ACCEPT_RANGES, "bytes");
      x.header(HttpHeader.ETAG, instance.etag());
      if (selection instanceof RangeSelection.Unsatisfiable) {
        x.header(HttpHeader.CONTENT_RANGE, "bytes */" + length);
        sendError(x, 416, "range-not-satisfiable",
            "the range starts beyond the instance's " + length + " bytes");
        return;
      }
      int status = 200;
      long offset = 0;
      long count = length;
      if (selection instanceof RangeSelection.Partial) {
        RangeSelection.Partial p = (RangeSelection.Partial) selection;
        status = 206;
        offset = p.first();
        count = p.length();
        x.header(HttpHeader.CONTENT_RANGE, p.contentRange(length));
      }
      x.header(HttpHeader.CONTENT_TYPE, DICOM);
      x.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, count);
      if (head) {
        x.response.setStatus(status);
        x.response.write(true, null, x.callback);
        return;
      }
      try (InputStream body = status == 200 ? instance.whole() : instance.range(offset, count)) {
        stream(x, body, count, status);
      }
    }
  }

  /** Whether the request carries more than one field line of {@code header}. */
  private static boolean repeated(Exchange x, HttpHeader header) {
    return x.request.getHeaders().getValuesList(header).size() > 1;
  }

  /**
   * Sends {@code count} bytes of {@code body}. The first chunk is decrypted before the status is
   * committed, so a failure there still becomes a proper error response; a failure later aborts
   * the connection (see {@link #fail}).
   */
  private static void stream(Exchange x, InputStream body, long count, int status)
      throws IOException {
    byte[] buffer = new byte[COPY_BUFFER];
    try {
      int n = body.readNBytes(buffer, 0, (int) Math.min(buffer.length, count));
      x.response.setStatus(status);
      OutputStream out = Content.Sink.asOutputStream(x.response);
      long sent = 0;
      while (n > 0) {
        out.write(buffer, 0, n);
        sent += n;
        n = body.readNBytes(buffer, 0, (int) Math.min(buffer.length, count - sent));
      }
      if (sent != count || body.read() >= 0) {
        throw new IOException("stored instance length changed while streaming");
      }
      out.close();
      x.callback.succeeded();
    } finally {
      Arrays.fill(buffer, (byte) 0);
    }
  }

  // ------------------------------------------------------------------ write

  private void write(Exchange x, InstanceKey key, InstanceStore.WriteMode mode)
      throws IOException {
    String contentType = x.request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (contentType == null || !mediaType(contentType).equals(DICOM)) {
      sendError(x, 415, "unsupported-media-type", "the body must be " + DICOM);
      return;
    }
    if (x.request.getLength() > maxInstanceSize) {
      sendError(x, 413, "too-large",
          "the instance is larger than the maximum of " + maxInstanceSize + " bytes");
      return;
    }
    InstanceStore.WriteResult result;
    try {
      result = store.write(key, x.body(), mode);
    } catch (StoreRejection e) {
      int status;
      switch (e.reason()) {
        case ALREADY_EXISTS:
          status = 409;
          break;
        case TOO_LARGE:
          status = 413;
          break;
        default:
          status = 400;
      }
      sendError(x, status, e.reason().name().toLowerCase(Locale.ROOT).replace('_', '-'),
          e.getMessage());
      return;
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("studyInstanceUid", key.studyUid());
    fields.put("seriesInstanceUid", key.seriesUid());
    fields.put("sopInstanceUid", key.sopInstanceUid());
    fields.put("length", result.length());
    fields.put("created", result.created());
    x.header(HttpHeader.LOCATION, key.urlPath());
    send(x, result.created() ? 201 : 200, fields);
  }

  private static String mediaType(String contentType) {
    int semicolon = contentType.indexOf(';');
    String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return type.trim().toLowerCase(Locale.ROOT);
  }

  // ------------------------------------------------------------------ admin

  private void refresh(Exchange x) {
    KeyAccessStatus status;
    try {
      status = crypto.keyAccess().refresh();
    } catch (IllegalStateException e) {
      sendError(x, 409, "no-write-key", e.getMessage());
      return;
    }
    LOG.atInfo().setMessage("dicom.cmk-refreshed")
        .addKeyValue("state", status.state())
        .addKeyValue("version", status.currentVersion())
        .log();
    send(x, 200, CmkStatusJson.of(status, crypto));
  }

  private void advanceDemoClock(Exchange x) {
    String advance = Request.extractQueryParameters(x.request).getValue("advance");
    try {
      demoClock.advance(Duration.parse(advance == null ? "" : advance));
    } catch (RuntimeException e) {
      sendError(x, 400, "invalid-advance", "advance must be an ISO-8601 duration of more than"
          + " 0 and at most 1 day, e.g. PT31M");
      return;
    }
    crypto.keyAccess().probeIfDue();
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("now", demoClock.instant().toString());
    fields.put("aheadBy", demoClock.offset().toString());
    send(x, 200, fields);
  }

  // ------------------------------------------------------------------ errors

  private void fail(Exchange x, Throwable e) {
    String what = x.method() + " " + x.request.getHttpURI().getPath();
    if (x.response.isCommitted()) {
      // The status line and part of the body are out: abort the connection so that the client
      // cannot take the shorter body for the whole one.
      LOG.atError().setMessage("dicom.response-aborted")
          .addKeyValue("request", what)
          .addKeyValue("error", describe(e))
          .log();
      x.callback.failed(e);
      return;
    }
    x.response.reset(); // drop the success path's headers (Content-Range, ETag, ...)
    if (e instanceof KeyAccessSuspendedException
        || e instanceof KeyProviderException
        || e instanceof KeyPolicyViolationException) {
      LOG.atWarn().setMessage("dicom.key-not-accessible")
          .addKeyValue("request", what)
          .addKeyValue("error", describe(e))
          .log();
      if (e instanceof KeyProviderUnavailableException) {
        ((KeyProviderUnavailableException) e).retryAfter().map(Duration::toSeconds)
            .ifPresent(s -> x.response.getHeaders().put(HttpHeader.RETRY_AFTER, Math.max(1, s)));
      }
      sendError(x, 500, keyNotAccessible(e));
    } else if (e instanceof InvalidCiphertextException) {
      LOG.atError().setMessage("dicom.stored-instance-failed-authentication")
          .addKeyValue("request", what)
          .log();
      sendError(x, 500, "stored-instance-failed-authentication",
          "the stored instance failed authentication (corrupted or tampered with);"
              + " nothing of it was returned");
    } else if (e instanceof UnsupportedFormatException) {
      LOG.atError().setMessage("dicom.unsupported-envelope")
          .addKeyValue("request", what)
          .addKeyValue("error", describe(e))
          .log();
      sendError(x, 500, "unsupported-envelope-format", e.getMessage());
    } else {
      LOG.atError().setMessage("dicom.internal-error").addKeyValue("request", what).setCause(e).log();
      sendError(x, 500, "internal-error", "the request failed; see the server log");
    }
  }

  private Map<String, Object> keyNotAccessible(Throwable e) {
    KeyAccessStatus status = crypto.keyAccess().status();
    Map<String, Object> fields = error("customer-managed-key-not-accessible",
        "The customer-managed key is not accessible, so the request was refused: "
            + e.getMessage());
    fields.put("keyState", status.state().name());
    fields.put("cause", status.cause().name());
    fields.put("refreshRequired",
        e instanceof KeyAccessSuspendedException
            && ((KeyAccessSuspendedException) e).refreshRequired());
    fields.put("graceRemainingSeconds", status.graceRemaining().toSeconds());
    return fields;
  }

  private static String describe(Throwable e) {
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private static Map<String, Object> error(String code, String message) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("error", code);
    fields.put("message", message);
    return fields;
  }

  private static void methodNotAllowed(Exchange x, String allow) {
    x.header(HttpHeader.ALLOW, allow);
    sendError(x, 405, "method-not-allowed", "allowed: " + allow);
  }

  private static void sendError(Exchange x, int status, String code, String message) {
    sendError(x, status, error(code, message));
  }

  /** An error answer; for an upload, first discards what is left of the body, or closes. */
  private static void sendError(Exchange x, int status, Map<String, ?> fields) {
    if (x.isWrite() && !discardBody(x)) {
      x.response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
    }
    send(x, status, fields);
  }

  /**
   * Reads and drops the rest of an upload's body, up to {@link #DISCARD_LIMIT} bytes, so that the
   * connection can carry the answer and the next request.
   *
   * @return whether the body was consumed; if not, the connection must close
   */
  private static boolean discardBody(Exchange x) {
    boolean expects100 =
        x.request.getHeaders().contains(HttpHeader.EXPECT, HttpHeaderValue.CONTINUE.asString());
    if (expects100 && Request.getContentBytesRead(x.request) == 0) {
      return false; // the client waits for "100 Continue" and will not send the body
    }
    byte[] scratch = new byte[8192];
    long discarded = 0;
    try {
      int n;
      while ((n = x.body().read(scratch)) >= 0) {
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

  private static void send(Exchange x, int status, Map<String, ?> json) {
    byte[] body = (Json.object(json) + "\n").getBytes(StandardCharsets.UTF_8);
    x.response.setStatus(status);
    x.header(HttpHeader.CONTENT_TYPE, JSON);
    x.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    x.response.write(true, ByteBuffer.wrap(body), x.callback);
  }
}
