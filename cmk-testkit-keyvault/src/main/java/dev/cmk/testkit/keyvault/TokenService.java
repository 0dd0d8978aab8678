package dev.cmk.testkit.keyvault;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Issues and checks the loopback tenant's bearer tokens. Tokens are shaped like Entra ID access
 * tokens (three base64url parts: header, claims, signature) so that clients treat them as usual,
 * but the server trusts only tokens it issued itself: a token is valid when it is in the issued
 * table, not expired, and its audience matches.
 */
final class TokenService {
  /** Audience of tokens for Key Vault. */
  static final String KEY_VAULT_RESOURCE = "https://vault.azure.net";
  /** Audience of tokens for Managed HSM. */
  static final String MANAGED_HSM_RESOURCE = "https://managedhsm.azure.net";

  static final Duration LIFETIME = Duration.ofHours(1);

  /**
   * How long after its expiry a token is still accepted, as Entra-protected services allow for
   * clock skew (5 minutes).
   */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

  /** A token the service issued. */
  record Issued(VaultIdentity identity, String audience, Instant expiresOn) {}

  private final String tenantId;
  private final SecureRandom random;
  private final Map<String, Issued> issued = new ConcurrentHashMap<>();

  TokenService(String tenantId, SecureRandom random) {
    this.tenantId = tenantId;
    this.random = random;
  }

  /** Normalises a resource or scope to an audience: drops {@code /.default} and a trailing slash. */
  static String audienceOf(String resourceOrScope) {
    String a = resourceOrScope;
    if (a.endsWith("/.default")) {
      a = a.substring(0, a.length() - "/.default".length());
    }
    while (a.endsWith("/")) {
      a = a.substring(0, a.length() - 1);
    }
    return a;
  }

  String issue(VaultIdentity identity, String resource) {
    return issue(identity, resource, LIFETIME);
  }

  String issue(VaultIdentity identity, String resource, Duration lifetime) {
    String audience = audienceOf(resource);
    Instant now = Instant.now();
    Instant expires = now.plus(lifetime);
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("typ", "JWT");
    header.put("alg", "RS256");
    header.put("kid", "cmk-loopback");
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("aud", audience);
    claims.put("iss", "https://sts.windows.net/" + tenantId + "/");
    claims.put("iat", now.getEpochSecond());
    claims.put("nbf", now.getEpochSecond());
    claims.put("exp", expires.getEpochSecond());
    claims.put("appid", identity.clientId());
    claims.put("oid", identity.objectId());
    claims.put("sub", identity.objectId());
    claims.put("tid", tenantId);
    if (identity.resourceId() != null) {
      claims.put("xms_mirid", identity.resourceId());
    }
    byte[] signature = new byte[32];
    random.nextBytes(signature);
    String token =
        Json.base64Url(Json.write(header))
            + "."
            + Json.base64Url(Json.write(claims))
            + "."
            + Json.base64Url(signature);
    issued.put(token, new Issued(identity, audience, expires));
    return token;
  }

  Optional<Issued> lookup(String token) {
    return Optional.ofNullable(issued.get(token));
  }
}
