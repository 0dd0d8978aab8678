package dev.cmk.testkit.keyvault;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One request a {@link LoopbackVault} received, for assertions in tests.
 *
 * <p>Bearer tokens are recorded verbatim so that a test can check which identity called; they are
 * tokens of the loopback tenant and grant nothing anywhere else. The {@code Authorization} header
 * itself is not among {@link #headers()} (its token is {@link #bearerToken()}).
 *
 * @param at when the request arrived (server clock)
 * @param method HTTP method
 * @param path request path, without the query
 * @param apiVersion the {@code api-version} query parameter, or {@code null}
 * @param bearerToken the bearer token sent, or {@code null} when none was sent
 * @param identity name of the identity the token belongs to, or {@code null} when none / invalid
 * @param status the HTTP status answered
 * @param errorCode the error code answered (inner error code when there is one), or {@code null}
 * @param headers the request headers but {@code Authorization}, names in lower case, each with its
 *     values in the order received
 */
public record RecordedRequest(
    Instant at,
    String method,
    String path,
    @Nullable String apiVersion,
    @Nullable String bearerToken,
    @Nullable String identity,
    int status,
    @Nullable String errorCode,
    Map<String, List<String>> headers) {

  /** Validates the required fields and copies the headers (names lower-cased). */
  public RecordedRequest {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    headers = recordable(Objects.requireNonNull(headers, "headers"));
  }

  /** Whether this request carried a bearer token. */
  public boolean authenticated() {
    return bearerToken != null;
  }

  /**
   * The first value of a request header, e.g. {@code header("User-Agent")}.
   *
   * @param name the header name, case-insensitive
   * @return its first value, when the request carried it
   */
  public Optional<String> header(String name) {
    List<String> values = headers.get(Objects.requireNonNull(name, "name").toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** Headers with lower-case names, unmodifiable, without {@code Authorization}. */
  static Map<String, List<String>> recordable(Map<String, List<String>> raw) {
    Map<String, List<String>> out = new TreeMap<>();
    for (Map.Entry<String, List<String>> e : raw.entrySet()) {
      if (e.getKey() == null) {
        continue;
      }
      String name = e.getKey().toLowerCase(Locale.ROOT);
      if (name.equals("authorization")) {
        continue;
      }
      out.computeIfAbsent(name, n -> new ArrayList<>()).addAll(e.getValue());
    }
    out.replaceAll((n, v) -> List.copyOf(v));
    return Collections.unmodifiableMap(out);
  }

  @Override
  public String toString() {
    return method + " " + path + " -> " + status + (errorCode == null ? "" : " " + errorCode)
        + (identity == null ? "" : " as " + identity);
  }
}
