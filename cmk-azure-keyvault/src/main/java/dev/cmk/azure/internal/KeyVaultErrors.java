package dev.cmk.azure.internal;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.BinaryData;
import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.json.JsonSerializable;
import com.microsoft.aad.msal4j.MsalException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Classifies Azure SDK failures into the cmk exception hierarchy, the way the loss-of-access guard
 * needs them:
 *
 * <table>
 *   <caption>Classification</caption>
 *   <tr><th>Key Vault answer</th><th>cmk exception</th></tr>
 *   <tr><td>401</td><td>{@link KeyAccessDeniedException} {@code IDENTITY_NOT_AUTHORIZED}</td></tr>
 *   <tr><td>403 {@code KeyDisabled}</td><td>{@link KeyAccessDeniedException} {@code KEY_DISABLED}</td></tr>
 *   <tr><td>403 {@code KeyExpired}, {@code KeyNotYetValid}</td><td>{@code KEY_NOT_VALID_NOW}</td></tr>
 *   <tr><td>403 {@code KeyOperationForbidden}</td><td>{@code OPERATION_NOT_PERMITTED}</td></tr>
 *   <tr><td>403 {@code ForbiddenByPolicy}, {@code ForbiddenByRbac}, {@code AccessDenied},
 *       {@code ForbiddenByFirewall}, {@code ForbiddenByConnection}</td><td>{@code IDENTITY_NOT_AUTHORIZED}</td></tr>
 *   <tr><td>other 403</td><td>{@code UNSPECIFIED}</td></tr>
 *   <tr><td>404, 400 outside unwrap</td><td>{@link KeyNotFoundException}</td></tr>
 *   <tr><td>408, 429, 5xx, timeouts, connection and DNS failures, other statuses</td>
 *       <td>{@link KeyProviderUnavailableException}, with {@code Retry-After} when sent</td></tr>
 *   <tr><td>the token endpoint refused the identity: a managed-identity endpoint's HTTP 400
 *       (IMDS "Identity not found", App Service "No User Assigned or Delegated Managed Identity
 *       found"), an OAuth {@code invalid_request} / {@code invalid_client} / {@code
 *       unauthorized_client} body, Entra ID's 400/401 with one of those errors (see {@link
 *       IdentityRefusal})</td><td>{@link KeyAccessDeniedException} {@code
 *       IDENTITY_NOT_AUTHORIZED}: a deleted, disabled or unassigned identity is a loss of access,
 *       not an outage</td></tr>
 *   <tr><td>the credential could not get a token for any other reason (token endpoint
 *       unreachable, timing out, answering 404, 429 or 5xx after MSAL's own retries)</td>
 *       <td>{@link KeyProviderUnavailableException}</td></tr>
 * </table>
 *
 * <p>Messages carry the operation, status and Key Vault error codes, never response bodies
 * (which name principals) nor key material; the SDK exception is kept as the cause of provider
 * errors. It is never the cause of an {@code InvalidCiphertextException} (see {@link #describe}
 * for logging it instead).
 */
public final class KeyVaultErrors {
  private static final int MAX_CAUSE_DEPTH = 16;

  private KeyVaultErrors() {}

  /** Key Vault's error code and inner error code, as far as they could be read. */
  public record ErrorCodes(@Nullable String code, @Nullable String innerCode) {
    /** The most specific code: the inner one when present; null when there is none. */
    public @Nullable String mostSpecific() {
      return innerCode != null ? innerCode : code;
    }

    /** Whether either code equals {@code value}, ignoring case. */
    public boolean has(String value) {
      return value.equalsIgnoreCase(code) || value.equalsIgnoreCase(innerCode);
    }
  }

  /**
   * Whether {@code failure} is Key Vault answering 400 (BadParameter), which for {@code
   * unwrapkey} means the wrapped bytes do not decrypt under the key.
   *
   * @param failure what the SDK threw
   * @return whether it is an HTTP 400 answer
   */
  public static boolean isBadRequest(Throwable failure) {
    HttpResponseException http = find(failure, HttpResponseException.class);
    return http != null
        && http.getResponse() != null
        && !isTokenEndpoint(http) // a token endpoint's 400 says nothing about the envelope
        && http.getResponse().getStatusCode() == 400;
  }

  /**
   * Classifies a failure.
   *
   * @param failure what the SDK threw
   * @param reference the key concerned
   * @param operation what was attempted, e.g. {@code unwrapKey}
   * @return the cmk exception to throw
   */
  public static KeyProviderException classify(
      Throwable failure, KeyReference reference, String operation) {
    if (failure instanceof KeyProviderException) {
      return (KeyProviderException) failure;
    }
    HttpResponseException http = find(failure, HttpResponseException.class);
    if (http != null && http.getResponse() != null && !isTokenEndpoint(http)) {
      return classifyStatus(http, reference, operation);
    }
    Optional<String> refusal =
        http != null && http.getResponse() != null
            ? IdentityRefusal.ofAnswer(http.getResponse().getStatusCode(), oauthError(http))
            : IdentityRefusal.of(failure);
    if (refusal.isPresent()) {
      return new KeyAccessDeniedException(
          operation + " failed: the token endpoint refused the identity (" + refusal.get() + ")",
          Reason.IDENTITY_NOT_AUTHORIZED,
          reference,
          failure);
    }
    if (http instanceof ClientAuthenticationException
        || find(failure, ClientAuthenticationException.class) != null
        || find(failure, MsalException.class) != null) {
      // The credential could not get a token, and the token endpoint did not refuse the identity
      // (it was unreachable, timed out or failed): retried like an outage.
      String status =
          http != null && http.getResponse() != null
              ? " (token endpoint answered HTTP " + http.getResponse().getStatusCode() + ")"
              : isTransportFailure(failure) ? " (" + transportKind(failure) + ")" : "";
      return new KeyProviderUnavailableException(
          operation + " failed: the credential could not get a token" + status,
          reference,
          http != null && http.getResponse() != null ? retryAfter(http.getResponse()).orElse(null) : null,
          failure);
    }
    if (isTransportFailure(failure)) {
      return new KeyProviderUnavailableException(
          operation + " failed: Key Vault could not be reached (" + transportKind(failure) + ")",
          reference,
          failure);
    }
    return new KeyProviderUnavailableException(
        operation + " failed: unexpected error from the Key Vault client ("
            + failure.getClass().getSimpleName() + ")",
        reference,
        failure);
  }

  /**
   * A one-line description of a failure for logs: the HTTP status and Key Vault error codes when
   * Key Vault answered, else the exception type. Never a response body, token or key material.
   *
   * @param failure what the SDK threw
   * @return e.g. {@code HTTP 400 BadParameter}
   */
  public static String describe(Throwable failure) {
    HttpResponseException http = find(failure, HttpResponseException.class);
    if (http != null && http.getResponse() != null) {
      ErrorCodes codes = errorCodes(http);
      return "HTTP "
          + http.getResponse().getStatusCode()
          + (codes.code() == null ? "" : " " + codes.code())
          + (codes.innerCode() == null ? "" : "/" + codes.innerCode());
    }
    return failure.getClass().getName();
  }

  private static KeyProviderException classifyStatus(
      HttpResponseException http, KeyReference reference, String operation) {
    HttpResponse response = http.getResponse();
    int status = response.getStatusCode();
    ErrorCodes codes = errorCodes(http);
    String detail =
        operation
            + " failed: Key Vault answered HTTP "
            + status
            + (codes.code() == null ? "" : " " + codes.code())
            + (codes.innerCode() == null ? "" : "/" + codes.innerCode());
    if (status == 401) {
      return new KeyAccessDeniedException(detail, Reason.IDENTITY_NOT_AUTHORIZED, reference, http);
    }
    if (status == 403) {
      return new KeyAccessDeniedException(detail, reason403(codes), reference, http);
    }
    if (status == 404 || status == 400) {
      return new KeyNotFoundException(detail, reference, http);
    }
    return new KeyProviderUnavailableException(
        detail, reference, retryAfter(response).orElse(null), http);
  }

  private static Reason reason403(ErrorCodes codes) {
    if (codes.has("KeyDisabled")) {
      return Reason.KEY_DISABLED;
    }
    if (codes.has("KeyExpired") || codes.has("KeyNotYetValid")) {
      return Reason.KEY_NOT_VALID_NOW;
    }
    if (codes.has("KeyOperationForbidden")) {
      return Reason.OPERATION_NOT_PERMITTED;
    }
    if (codes.has("ForbiddenByPolicy")
        || codes.has("ForbiddenByRbac")
        || codes.has("AccessDenied")
        || codes.has("ForbiddenByFirewall")
        || codes.has("ForbiddenByConnection")) {
      return Reason.IDENTITY_NOT_AUTHORIZED;
    }
    return Reason.UNSPECIFIED;
  }

  /** A credential failure whose response came from a token endpoint, not from Key Vault. */
  private static boolean isTokenEndpoint(HttpResponseException http) {
    if (!(http instanceof ClientAuthenticationException)) {
      return false;
    }
    if (http.getResponse().getRequest() == null || http.getResponse().getRequest().getUrl() == null) {
      return true;
    }
    String path = http.getResponse().getRequest().getUrl().getPath().toLowerCase(Locale.ROOT);
    return !(path.startsWith("/keys") || path.startsWith("/deletedkeys"));
  }

  /** The OAuth {@code error} string of a token endpoint's answer, or {@code null}. */
  private static @Nullable String oauthError(HttpResponseException http) {
    try {
      Map<String, Object> body = asMap(http.getValue());
      if (body == null && http.getResponse().getBodyAsBinaryData() != null) {
        body = parse(http.getResponse().getBodyAsBinaryData().toBytes());
      }
      return body != null && body.get("error") instanceof String ? (String) body.get("error") : null;
    } catch (RuntimeException | IOException e) {
      return null;
    }
  }

  /**
   * Reads Key Vault's {@code error.code} and {@code error.innererror.code} from an SDK exception.
   *
   * @param http the exception
   * @return the codes; both {@code null} when the body could not be read
   */
  public static ErrorCodes errorCodes(HttpResponseException http) {
    Map<String, Object> body = null;
    try {
      body = asMap(http.getValue());
      if (body == null && http.getResponse() != null) {
        BinaryData data = http.getResponse().getBodyAsBinaryData();
        if (data != null) {
          body = parse(data.toBytes());
        }
      }
    } catch (RuntimeException | IOException e) {
      body = null;
    }
    if (body == null) {
      return new ErrorCodes(null, null);
    }
    Object error = body.get("error");
    if (!(error instanceof Map)) {
      return new ErrorCodes(null, null);
    }
    Map<?, ?> e = (Map<?, ?>) error;
    String code = e.get("code") instanceof String ? (String) e.get("code") : null;
    Object inner = e.get("innererror") != null ? e.get("innererror") : e.get("innerError");
    String innerCode = null;
    if (inner instanceof Map && ((Map<?, ?>) inner).get("code") instanceof String) {
      innerCode = (String) ((Map<?, ?>) inner).get("code");
    }
    return new ErrorCodes(code, innerCode);
  }

  @SuppressWarnings("unchecked")
  private static @Nullable Map<String, Object> asMap(Object value) throws IOException {
    if (value instanceof Map) {
      return (Map<String, Object>) value;
    }
    if (value instanceof JsonSerializable) {
      return parse(((JsonSerializable<?>) value).toJsonBytes());
    }
    if (value instanceof String) {
      return parse(((String) value).getBytes(StandardCharsets.UTF_8));
    }
    if (value instanceof byte[]) {
      return parse((byte[]) value);
    }
    if (value instanceof BinaryData) {
      return parse(((BinaryData) value).toBytes());
    }
    return null;
  }

  /** Parses a JSON object; {@code null} when the bytes are empty or not an object. */
  @SuppressWarnings("unchecked")
  static @Nullable Map<String, Object> parse(byte[] json) throws IOException {
    if (json == null || json.length == 0) {
      return null;
    }
    try (JsonReader reader = JsonProviders.createReader(json)) {
      reader.nextToken();
      Object value = reader.readUntyped();
      return value instanceof Map ? (Map<String, Object>) value : null;
    } catch (IllegalStateException e) {
      return null;
    }
  }

  /**
   * The server's back-off hint: {@code retry-after-ms}, {@code x-ms-retry-after-ms} or {@code
   * Retry-After} (seconds or an HTTP date).
   *
   * @param response the response
   * @return the hint, when one was sent and is valid
   */
  public static Optional<Duration> retryAfter(HttpResponse response) {
    for (String header : new String[] {"retry-after-ms", "x-ms-retry-after-ms"}) {
      String ms = response.getHeaderValue(HttpHeaderName.fromString(header));
      if (ms != null) {
        try {
          long v = Long.parseLong(ms.trim());
          if (v >= 0) {
            return Optional.of(Duration.ofMillis(v));
          }
        } catch (NumberFormatException e) {
          // try the next header
        }
      }
    }
    String value = response.getHeaderValue(HttpHeaderName.RETRY_AFTER);
    if (value == null) {
      return Optional.empty();
    }
    try {
      long seconds = Long.parseLong(value.trim());
      return seconds >= 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
      } catch (RuntimeException ignored) {
        return Optional.empty();
      }
    }
  }

  private static boolean isTransportFailure(Throwable failure) {
    return find(failure, IOException.class) != null
        || find(failure, UncheckedIOException.class) != null
        || find(failure, TimeoutException.class) != null;
  }

  private static String transportKind(Throwable failure) {
    if (find(failure, UnknownHostException.class) != null) {
      return "unknown host";
    }
    if (find(failure, ConnectException.class) != null) {
      return "connection refused";
    }
    if (find(failure, SocketTimeoutException.class) != null
        || find(failure, TimeoutException.class) != null
        || find(failure, InterruptedIOException.class) != null) {
      return "timeout";
    }
    if (find(failure, javax.net.ssl.SSLException.class) != null) {
      return "TLS failure";
    }
    return "I/O error";
  }

  private static <T extends Throwable> @Nullable T find(Throwable failure, Class<T> type) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < MAX_CAUSE_DEPTH; depth++) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      for (Throwable s : t.getSuppressed()) {
        if (type.isInstance(s)) {
          return type.cast(s);
        }
      }
      t = t.getCause();
    }
    return null;
  }
}
