package dev.cmk.testkit.keyvault;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The App Service managed-identity token endpoint (protocol version 2019-08-01): {@code GET
 * {IDENTITY_ENDPOINT}?resource=...&api-version=2019-08-01[&client_id=|&mi_res_id=|&object_id=]}
 * with the {@code X-IDENTITY-HEADER} secret. Answers {@code access_token}, {@code expires_on}
 * (epoch seconds as a string), {@code resource}, {@code token_type} and {@code client_id}. An
 * unknown identity gets App Service's 400 "No User Assigned or Delegated Managed Identity found";
 * a refused one ({@link LoopbackKeyVault#refuseManagedIdentity}) the 400 its {@link
 * ManagedIdentityRefusal} describes.
 */
final class ManagedIdentityHandler extends ClosingHandler {
  private final LoopbackKeyVault server;
  private final String path;
  private final byte[] identityHeader;

  ManagedIdentityHandler(LoopbackKeyVault server, String path, String identityHeader) {
    this.server = server;
    this.path = path;
    this.identityHeader = identityHeader.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  void serve(HttpExchange exchange) throws IOException {
    Map<String, String> q = KeyVaultHandler.query(exchange.getRequestURI().getRawQuery());
    String resource = q.get("resource");
    String clientId = q.get("client_id");
    String resourceId = q.containsKey("mi_res_id") ? q.get("mi_res_id") : q.get("msi_res_id");
    String objectId = q.containsKey("object_id") ? q.get("object_id") : q.get("principal_id");
    Instant at = Instant.now();

    String header = exchange.getRequestHeaders().getFirst("X-IDENTITY-HEADER");
    int injected = server.takeManagedIdentityFault();
    if (injected != 0) {
      reply(exchange, at, q, null, injected, error(injected, "The managed identity endpoint is unavailable."));
      return;
    }
    if (!exchange.getRequestURI().getRawPath().equals(path)) {
      reply(exchange, at, q, null, 404, error(404, "Not found."));
      return;
    }
    if (!"GET".equalsIgnoreCase(exchange.getRequestMethod())) {
      reply(exchange, at, q, null, 405, error(405, "Only GET is supported."));
      return;
    }
    if (header == null
        || !MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), identityHeader)) {
      reply(exchange, at, q, null, 401, error(401, "The X-IDENTITY-HEADER is missing or not valid."));
      return;
    }
    if (!"2019-08-01".equals(q.get("api-version"))) {
      reply(exchange, at, q, null, 400, error(400, "The api-version must be 2019-08-01."));
      return;
    }
    if (resource == null || resource.isBlank()) {
      reply(exchange, at, q, null, 400, error(400, "The resource parameter is required."));
      return;
    }
    int selectors =
        (clientId != null ? 1 : 0) + (resourceId != null ? 1 : 0) + (objectId != null ? 1 : 0);
    if (selectors > 1) {
      reply(exchange, at, q, null, 400, error(400, "Specify at most one of client_id, mi_res_id and object_id."));
      return;
    }
    Optional<VaultIdentity> identity = server.findManagedIdentity(clientId, resourceId, objectId);
    if (identity.isEmpty()) {
      reply(
          exchange,
          at,
          q,
          null,
          400,
          error(
              400,
              "No User Assigned or Delegated Managed Identity found for specified"
                  + " ClientId/ResourceId/PrincipalId."));
      return;
    }
    Optional<ManagedIdentityRefusal> refusal = server.refusalOf(identity.get());
    if (refusal.isPresent()) {
      reply(exchange, at, q, null, 400, refusalBody(refusal.get()));
      return;
    }
    Duration lifetime = server.managedIdentityTokenLifetime();
    Instant issuedAt = Instant.now();
    String token = server.tokens().issue(identity.get(), resource, lifetime);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("access_token", token);
    body.put("expires_on", Long.toString(issuedAt.plus(lifetime).getEpochSecond()));
    body.put("resource", resource);
    body.put("token_type", "Bearer");
    body.put("client_id", identity.get().clientId());
    reply(exchange, at, q, identity.get().name(), 200, body);
  }

  private static Map<String, Object> refusalBody(ManagedIdentityRefusal refusal) {
    switch (refusal) {
      case APP_SERVICE_IDENTITY_NOT_FOUND:
        return error(
            400,
            "No User Assigned or Delegated Managed Identity found for specified"
                + " ClientId/ResourceId/PrincipalId.");
      case IMDS_IDENTITY_NOT_FOUND:
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "invalid_request");
        body.put("error_description", "Identity not found");
        return body;
      default:
        throw new AssertionError(refusal);
    }
  }

  private static Map<String, Object> error(int status, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("statusCode", status);
    body.put("message", message);
    body.put("correlationId", UUID.randomUUID().toString());
    return body;
  }

  private void reply(
      HttpExchange exchange,
      Instant at,
      Map<String, String> q,
      @Nullable String identity,
      int status,
      Map<String, Object> body)
      throws IOException {
    server.recordManagedIdentityRequest(
        new ManagedIdentityRequest(
            at,
            q.get("resource"),
            q.get("client_id"),
            q.containsKey("mi_res_id") ? q.get("mi_res_id") : q.get("msi_res_id"),
            q.containsKey("object_id") ? q.get("object_id") : q.get("principal_id"),
            identity,
            status));
    byte[] bytes = Json.write(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
