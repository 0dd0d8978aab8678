package dev.cmk.testkit.keyvault;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Serves the Key Vault keys data plane over HTTPS for every vault of a {@link LoopbackKeyVault}. */
final class KeyVaultHandler extends ClosingHandler {
  /**
   * The keys data-plane api-versions Key Vault serves and the loopback answers: 7.0&ndash;7.6
   * (with their previews) and the date-named {@value #LATEST_API_VERSION} the current SDKs send by
   * default. Anything else is refused as Key Vault refuses it (400 {@code BadParameter}, "The
   * specified version (...) is not recognized").
   */
  private static final Pattern API_VERSION =
      Pattern.compile("7\\.[0-6](-preview(\\.[0-9]+)?)?|2025-07-01");

  /** The newest api-version, named in the refusal of an unknown one. */
  static final String LATEST_API_VERSION = "2025-07-01";
  private static final int MAX_BODY = 64 * 1024;

  private final LoopbackKeyVault server;

  KeyVaultHandler(LoopbackKeyVault server) {
    this.server = server;
  }

  @Override
  void serve(HttpExchange exchange) throws IOException {
    // Read the whole request before answering, whatever the answer, as a real server does. A
    // response sent before the body was consumed relies on the JDK server draining it; that is
    // the suspected cause of one unwrap in a throttled burst timing out instead of seeing its 429.
    byte[] rawBody = exchange.getRequestBody().readNBytes(MAX_BODY + 1);
    String hostHeader = exchange.getRequestHeaders().getFirst("Host");
    String authority =
        hostHeader == null
            ? "127.0.0.1:" + server.port()
            : hostHeader.toLowerCase(Locale.ROOT);
    VaultState vault = server.vaultForHost(hostOf(authority));
    if (vault == null) {
      byte[] body =
          Json.write(
              new KeyVaultError(404, "VaultNotFound", "No vault is served at " + authority + ".")
                  .body());
      send(exchange, 404, body, null, null);
      return;
    }
    Duration latency = vault.faults.latency();
    if (!latency.isZero()) {
      try {
        Thread.sleep(latency.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    Instant at = server.clock().instant();
    String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
    String path = exchange.getRequestURI().getRawPath();
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    String apiVersion = query.get("api-version");
    String token = bearer(exchange.getRequestHeaders());
    String identityName = null;
    int status;
    Object body;
    KeyVaultError error = null;
    try {
      VaultIdentity identity = authenticate(vault, token);
      identityName = identity.name();
      if (apiVersion == null) {
        throw KeyVaultError.badParameter("The 'api-version' query parameter is missing.");
      }
      if (!API_VERSION.matcher(apiVersion).matches()) {
        throw KeyVaultError.badParameter(
            "The specified version (" + apiVersion + ") is not recognized. Consider using the"
                + " latest supported version (" + LATEST_API_VERSION + ").");
      }
      vault.faults.apply();
      byte[] requestBody = checkedBody(rawBody);
      VaultState.Result result =
          vault.routes.dispatch(
              new VaultRoutes.Call(
                  method, segments(path), query, requestBody, identity, "https://" + authority));
      status = result.status();
      body = result.body();
    } catch (KeyVaultError e) {
      error = e;
      status = e.status;
      body = e.body();
    }
    vault.faults.record(
        new RecordedRequest(
            at,
            method,
            path,
            apiVersion,
            token,
            identityName,
            status,
            error == null ? null : error.effectiveCode(),
            RecordedRequest.recordable(exchange.getRequestHeaders())));
    String challenge =
        status == 401
            ? "Bearer authorization=\"https://login.microsoftonline.com/"
                + server.tenantId()
                + "\", resource=\""
                + resourceOf(vault)
                + "\""
            : null;
    send(
        exchange,
        status,
        body == null ? null : Json.write(body),
        challenge,
        error == null ? null : error.retryAfterSeconds);
  }

  private VaultIdentity authenticate(VaultState vault, @Nullable String token) {
    if (token == null) {
      throw new KeyVaultError(
          401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
    }
    TokenService.Issued issued =
        server
            .tokens()
            .lookup(token)
            .orElseThrow(
                () ->
                    new KeyVaultError(
                        401,
                        "Unauthorized",
                        "AKV10032: Invalid issuer. The token was not issued by the tenant of this"
                            + " vault."));
    if (!Instant.now().isBefore(issued.expiresOn().plus(TokenService.CLOCK_SKEW))) {
      throw new KeyVaultError(401, "Unauthorized", "AKV10022: The token is expired.");
    }
    String expected = resourceOf(vault);
    if (!issued.audience().equals(expected)) {
      throw new KeyVaultError(
          401,
          "Unauthorized",
          "AKV10022: Invalid audience. Expected " + expected + ", found: " + issued.audience() + ".");
    }
    return issued.identity();
  }

  private static String resourceOf(VaultState vault) {
    return vault.kind == VaultState.Kind.MANAGED_HSM
        ? TokenService.MANAGED_HSM_RESOURCE
        : TokenService.KEY_VAULT_RESOURCE;
  }

  private static @Nullable String bearer(Headers headers) {
    String value = headers.getFirst("Authorization");
    if (value == null || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = value.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  private static byte[] checkedBody(byte[] body) {
    if (body.length > MAX_BODY) {
      throw KeyVaultError.badParameter("The request body is too large.");
    }
    return body;
  }

  static String hostOf(String authority) {
    if (authority.startsWith("[")) {
      int end = authority.indexOf(']');
      return end < 0 ? authority : authority.substring(0, end + 1);
    }
    int colon = authority.lastIndexOf(':');
    return colon < 0 ? authority : authority.substring(0, colon);
  }

  static List<String> segments(String rawPath) {
    String p = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
    List<String> parts = new ArrayList<>(Arrays.asList(p.split("/", -1)));
    // "/keys/name/" (the SDK's "latest version" form) is the same as "/keys/name".
    if (parts.size() == 3 && parts.get(0).equals("keys") && parts.get(2).isEmpty()) {
      parts.remove(2);
    }
    return parts;
  }

  static Map<String, String> query(String rawQuery) {
    Map<String, String> out = new HashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return out;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.putIfAbsent(
          URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }

  private static void send(
      HttpExchange exchange,
      int status,
      byte @Nullable [] body,
      @Nullable String challenge,
      @Nullable Long retryAfterSeconds)
      throws IOException {
    Headers headers = exchange.getResponseHeaders();
    headers.set("Cache-Control", "no-cache");
    headers.set("x-ms-keyvault-region", "loopback");
    headers.set("x-ms-keyvault-service-version", "1.9.0.0-cmk-loopback");
    headers.set("x-ms-request-id", UUID.randomUUID().toString());
    String clientRequestId = exchange.getRequestHeaders().getFirst("x-ms-client-request-id");
    if (clientRequestId != null) {
      headers.set("x-ms-client-request-id", clientRequestId);
    }
    if (challenge != null) {
      headers.set("WWW-Authenticate", challenge);
    }
    if (retryAfterSeconds != null) {
      headers.set("Retry-After", Long.toString(retryAfterSeconds));
    }
    if (body == null) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    headers.set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
