package dev.cmk.testkit.keyvault;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One request a {@link LoopbackVault} received, for assertions in tests.
 *
 * <p>Bearer tokens are recorded verbatim so that a test can check which identity called; they are
 * tokens of the loopback tenant and grant nothing anywhere else.
 *
 * @param at when the request arrived (server clock)
 * @param method HTTP method
 * @param path request path, without the query
 * @param apiVersion the {@code api-version} query parameter, or {@code null}
 * @param bearerToken the bearer token sent, or {@code null} when none was sent
 * @param identity name of the identity the token belongs to, or {@code null} when none / invalid
 * @param status the HTTP status answered
 * @param errorCode the error code answered (inner error code when there is one), or {@code null}
 */
public record RecordedRequest(
    Instant at,
    String method,
    String path,
    String apiVersion,
    String bearerToken,
    String identity,
    int status,
    String errorCode) {

  /** Validates the required fields. */
  public RecordedRequest {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
  }

  /** The identity name, when the request carried a valid token. */
  public Optional<String> identityName() {
    return Optional.ofNullable(identity);
  }

  /** Whether this request carried a bearer token. */
  public boolean authenticated() {
    return bearerToken != null;
  }

  @Override
  public String toString() {
    return method + " " + path + " -> " + status + (errorCode == null ? "" : " " + errorCode)
        + (identity == null ? "" : " as " + identity);
  }
}
