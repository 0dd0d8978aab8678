package dev.cmk.testkit.keyvault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.security.spec.MGF1ParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.net.ssl.HttpsURLConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The loopback Key Vault answered over real HTTPS ({@link HttpsURLConnection}, trusting only the
 * server's certificate) on {@code https://127.0.0.1:PORT}, which reaches the first vault.
 */
class LoopbackKeyVaultTest {
  private static final String API = "?api-version=7.5";
  // A fixed clock: this test never moves time. (cmk-testkit's ManualClock is not readable from
  // here: the test sources are patched into dev.cmk.testkit.keyvault, whose source tree makes
  // javac see dev.cmk.testkit as an empty package of this module.)
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-03-01T00:00:00Z"), ZoneOffset.UTC);

  private static LoopbackKeyVault server;
  private static LoopbackVault vault;
  private static VaultIdentity app;
  private static String token;

  /** A parsed answer. */
  record Answer(int status, Map<String, Object> body, HttpURLConnection connection) {
    @SuppressWarnings("unchecked")
    Map<String, Object> object(String field) {
      return (Map<String, Object>) body.get(field);
    }

    String errorCode() {
      return (String) object("error").get("code");
    }

    @SuppressWarnings("unchecked")
    String innerCode() {
      Map<String, Object> inner = (Map<String, Object>) object("error").get("innererror");
      return inner == null ? null : (String) inner.get("code");
    }
  }

  @BeforeAll
  static void start() {
    server =
        LoopbackKeyVault.builder()
            .keyVault("testvault")
            .managedHsm("testhsm")
            .clock(CLOCK)
            .managedIdentityEndpoint(URI.create("http://127.0.0.1:0/msi/token"), "secret-header")
            .build();
    vault = server.vault("testvault");
    app = server.createApplication("loopback-test-app");
    vault.grant(app, KeyPermission.all());
    token = server.issueToken(app);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static Answer call(String method, String path, String bearer, String json) throws IOException {
    RawHttps.Exchange x = RawHttps.send(server, method, "https://127.0.0.1:" + server.port() + path,
        bearer == null ? Map.of() : Map.of("Authorization", "Bearer " + bearer), json);
    return new Answer(x.status(), x.body(), x.connection());
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static byte[] unb64(Object s) {
    return Base64.getUrlDecoder().decode((String) s);
  }

  private static String version(Answer a) {
    String kid = (String) a.object("key").get("kid");
    return kid.substring(kid.lastIndexOf('/') + 1);
  }

  private static byte[] oaep256(int mode, java.security.Key key, byte[] in) throws Exception {
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(mode, key, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    return c.doFinal(in);
  }

  // ------------------------------------------------------------------ authentication

  @Test
  void request_withoutToken_answers401WithKeyVaultChallenge() throws IOException {
    Answer a = call("GET", "/keys/anything/" + API, null, null);
    assertEquals(401, a.status());
    assertEquals(
        "Bearer authorization=\"https://login.microsoftonline.com/" + server.tenantId()
            + "\", resource=\"https://vault.azure.net\"",
        a.connection().getHeaderField("WWW-Authenticate"));
    assertEquals("Unauthorized", a.errorCode());
  }

  @Test
  void request_forgedToken_answers401() throws IOException {
    String[] parts = token.split("\\.");
    String forged = parts[0] + "." + parts[1] + "." + b64(new byte[32]);
    Answer a = call("GET", "/keys/anything" + API, forged, null);
    assertEquals(401, a.status());
    assertNotNull(a.connection().getHeaderField("WWW-Authenticate"));
  }

  @Test
  void request_managedHsmTokenAtKeyVault_answers401InvalidAudience() throws IOException {
    Answer a = call("GET", "/keys/anything" + API, server.issueToken(app, "https://managedhsm.azure.net"), null);
    assertEquals(401, a.status());
    assertTrue(((String) a.object("error").get("message")).contains("Invalid audience"));
  }

  @Test
  void request_missingOrUnknownApiVersion_answers400() throws IOException {
    assertEquals(400, call("GET", "/keys/anything", token, null).status());
    assertEquals(400, call("GET", "/keys/anything?api-version=2016-10-01", token, null).status());
  }

  @Test
  void request_identityWithoutPermission_answers403AccessDeniedOrForbiddenByRbac() throws IOException {
    VaultIdentity stranger = server.createApplication("stranger");
    String strangerToken = server.issueToken(stranger);
    Answer policy = call("POST", "/keys/denied/create" + API, strangerToken, "{\"kty\":\"RSA\"}");
    assertEquals(403, policy.status());
    assertEquals("Forbidden", policy.errorCode());
    assertEquals("AccessDenied", policy.innerCode());
    vault.setRbacAuthorization(true);
    try {
      Answer rbac = call("POST", "/keys/denied/create" + API, strangerToken, "{\"kty\":\"RSA\"}");
      assertEquals("ForbiddenByRbac", rbac.innerCode());
    } finally {
      vault.setRbacAuthorization(false);
    }
  }

  @Test
  void grantOnKey_permitsOnlyThatKey() throws IOException {
    VaultIdentity scoped = server.createApplication("scoped");
    vault.createRsaKey("scoped-key", 2048);
    vault.createRsaKey("other-key", 2048);
    vault.grantOnKey(scoped, "scoped-key", Set.of(KeyPermission.GET));
    String t = server.issueToken(scoped);
    assertEquals(200, call("GET", "/keys/scoped-key/" + API, t, null).status());
    assertEquals(403, call("GET", "/keys/other-key/" + API, t, null).status());
    vault.revoke(scoped, KeyPermission.GET);
    assertEquals(403, call("GET", "/keys/scoped-key/" + API, t, null).status());
  }

  @Test
  void revokeOnKey_removesOnlyThatKeysAssignment() throws IOException {
    VaultIdentity scoped = server.createApplication("scoped-two");
    vault.createRsaKey("scoped-a", 2048);
    vault.createRsaKey("scoped-b", 2048);
    vault.grantOnKey(scoped, "scoped-a", Set.of(KeyPermission.GET));
    vault.grantOnKey(scoped, "scoped-b", Set.of(KeyPermission.GET));
    String t = server.issueToken(scoped);
    vault.revokeOnKey(scoped, "SCOPED-A");
    assertEquals(403, call("GET", "/keys/scoped-a/" + API, t, null).status());
    assertEquals(200, call("GET", "/keys/scoped-b/" + API, t, null).status());
  }

  // ------------------------------------------------------------------ keys

  @Test
  void createKey_rsa3072_returnsBundleWithModulusAndAttributes() throws IOException {
    Answer a =
        call(
            "POST",
            "/keys/created/create" + API,
            token,
            "{\"kty\":\"RSA\",\"key_size\":3072,\"attributes\":{\"exp\":1900000000},\"tags\":{\"t\":\"v\"}}");
    assertEquals(200, a.status());
    Map<String, Object> key = a.object("key");
    assertEquals("RSA", key.get("kty"));
    assertEquals(3072, new BigInteger(1, unb64(key.get("n"))).bitLength());
    assertArrayEquals(new byte[] {1, 0, 1}, unb64(key.get("e")));
    assertEquals(List.of("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"), key.get("key_ops"));
    assertTrue(((String) key.get("kid")).matches("https://127\\.0\\.0\\.1:\\d+/keys/created/[0-9a-f]{32}"));
    Map<String, Object> attributes = a.object("attributes");
    assertEquals(true, attributes.get("enabled"));
    assertEquals(1900000000, ((Number) attributes.get("exp")).intValue());
    assertEquals(CLOCK.instant().getEpochSecond(), ((Number) attributes.get("created")).longValue());
    assertEquals("Recoverable+Purgeable", attributes.get("recoveryLevel"));
    assertEquals(90, ((Number) attributes.get("recoverableDays")).intValue());
    assertEquals(Map.of("t", "v"), a.body().get("tags"));
  }

  @Test
  void createKey_unsupportedTypeOrSize_answers400() throws IOException {
    assertEquals(400, call("POST", "/keys/bad/create" + API, token, "{\"kty\":\"EC\"}").status());
    assertEquals(400, call("POST", "/keys/bad/create" + API, token, "{\"kty\":\"RSA\",\"key_size\":1024}").status());
    assertEquals(400, call("POST", "/keys/bad/create" + API, token, "not json").status());
  }

  @Test
  void getKey_latestForms_answerLatestVersion() throws IOException {
    KeyReference v1 = vault.createRsaKey("latest", 2048);
    KeyReference v2 = vault.rotateKey("latest");
    assertNotEquals(v1, v2);
    assertEquals(v2.version().orElseThrow(), version(call("GET", "/keys/latest/" + API, token, null)));
    assertEquals(v2.version().orElseThrow(), version(call("GET", "/keys/latest" + API, token, null)));
    assertEquals(
        v1.version().orElseThrow(),
        version(call("GET", "/keys/latest/" + v1.version().orElseThrow() + API, token, null)));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> items =
        (List<Map<String, Object>>) call("GET", "/keys/latest/versions" + API, token, null).body().get("value");
    assertEquals(2, items.size());
  }

  @Test
  void getKey_unknownKeyOrVersion_answers404KeyNotFound() throws IOException {
    Answer a = call("GET", "/keys/never-created/" + API, token, null);
    assertEquals(404, a.status());
    assertEquals("KeyNotFound", a.errorCode());
    vault.createRsaKey("known", 2048);
    assertEquals(404, call("GET", "/keys/known/0123456789abcdef0123456789abcdef" + API, token, null).status());
  }

  @Test
  void disabledVersion_refusesGetAndUnwrapWithKeyDisabled_butListsIt() throws Exception {
    KeyReference v = vault.createRsaKey("disabled", 2048);
    byte[] wrapped = oaep256(Cipher.ENCRYPT_MODE, vault.publicKey(v), new byte[32]);
    vault.keyManager().setEnabled(v, false);
    Answer get = call("GET", "/keys/disabled/" + v.version().orElseThrow() + API, token, null);
    assertEquals(403, get.status());
    assertEquals("KeyDisabled", get.innerCode());
    Answer unwrap =
        call(
            "POST",
            "/keys/disabled/" + v.version().orElseThrow() + "/unwrapkey" + API,
            token,
            "{\"alg\":\"RSA-OAEP-256\",\"value\":\"" + b64(wrapped) + "\"}");
    assertEquals(403, unwrap.status());
    assertEquals("KeyDisabled", unwrap.innerCode());
    assertEquals(200, call("GET", "/keys/disabled/versions" + API, token, null).status());
    vault.keyManager().setEnabled(v, true);
    assertEquals(200, call("GET", "/keys/disabled/" + API, token, null).status());
  }

  @Test
  void wrapAndUnwrap_interoperateWithJdkOaep256BothWays() throws Exception {
    KeyReference v = vault.createRsaKey("interop", 2048);
    String path = "/keys/interop/" + v.version().orElseThrow();
    byte[] dataKey = new byte[32];
    new java.security.SecureRandom().nextBytes(dataKey);

    Answer wrapped = call("POST", path + "/wrapkey" + API, token, "{\"alg\":\"RSA-OAEP-256\",\"value\":\"" + b64(dataKey) + "\"}");
    assertEquals(200, wrapped.status());
    assertArrayEquals(dataKey, oaep256(Cipher.DECRYPT_MODE, vault.exportPrivateKey(v), unb64(wrapped.body().get("value"))));

    byte[] jdkWrapped = oaep256(Cipher.ENCRYPT_MODE, vault.publicKey(v), dataKey);
    Answer unwrapped = call("POST", path + "/unwrapkey" + API, token, "{\"alg\":\"RSA-OAEP-256\",\"value\":\"" + b64(jdkWrapped) + "\"}");
    assertArrayEquals(dataKey, unb64(unwrapped.body().get("value")));
    assertEquals(v.version().orElseThrow(), ((String) unwrapped.body().get("kid")).substring(((String) unwrapped.body().get("kid")).lastIndexOf('/') + 1));
  }

  @Test
  void unwrap_tamperedValue_answers400BadParameter() throws Exception {
    KeyReference v = vault.createRsaKey("tampered", 2048);
    byte[] wrapped = oaep256(Cipher.ENCRYPT_MODE, vault.publicKey(v), new byte[32]);
    wrapped[10] ^= 1;
    Answer a = call("POST", "/keys/tampered//unwrapkey" + API, token, "{\"alg\":\"RSA-OAEP-256\",\"value\":\"" + b64(wrapped) + "\"}");
    assertEquals(400, a.status());
    assertEquals("BadParameter", a.errorCode());
  }

  @Test
  void keyOps_withoutWrapKey_answers403KeyOperationForbidden() throws IOException {
    KeyReference v = vault.createRsaKey("no-wrap", 2048);
    vault.keyManager().setOperations(v, Set.of(KeyOperation.UNWRAP_KEY));
    Answer a = call("POST", "/keys/no-wrap//wrapkey" + API, token, "{\"alg\":\"RSA-OAEP-256\",\"value\":\"AAAA\"}");
    assertEquals(403, a.status());
    assertEquals("KeyOperationForbidden", a.innerCode());
  }

  @Test
  void expiredKey_refusesWrapButUnwraps() throws Exception {
    KeyReference v = vault.createRsaKey("expired", 2048);
    byte[] wrapped = oaep256(Cipher.ENCRYPT_MODE, vault.publicKey(v), new byte[32]);
    vault.keyManager().setExpiry(v, CLOCK.instant().minusSeconds(1));
    Answer wrap = call("POST", "/keys/expired//wrapkey" + API, token, "{\"alg\":\"RSA-OAEP-256\",\"value\":\"AAAA\"}");
    assertEquals(403, wrap.status());
    assertEquals("KeyExpired", wrap.innerCode());
    Answer unwrap = call("POST", "/keys/expired//unwrapkey" + API, token, "{\"alg\":\"RSA-OAEP-256\",\"value\":\"" + b64(wrapped) + "\"}");
    assertEquals(200, unwrap.status());
  }

  @Test
  void updateKey_patchesAttributes() throws IOException {
    // HttpURLConnection cannot send PATCH; the admin API and the SDK tests cover updates.
    KeyReference v = vault.createRsaKey("updated", 2048);
    vault.keyManager().setNotBefore(v, Instant.parse("2030-01-01T00:00:00Z"));
    Answer a = call("GET", "/keys/updated/" + API, token, null);
    assertEquals(1893456000L, ((Number) a.object("attributes").get("nbf")).longValue());
  }

  // ------------------------------------------------------------------ deletion

  @Test
  void delete_softDelete_getDeletedRecoverAndPurge() throws IOException {
    vault.createRsaKey("soft", 2048);
    Answer deleted = call("DELETE", "/keys/soft" + API, token, null);
    assertEquals(200, deleted.status());
    assertTrue(((String) deleted.body().get("recoveryId")).endsWith("/deletedkeys/soft"));
    assertEquals(
        CLOCK.instant().plus(Duration.ofDays(90)).getEpochSecond(),
        ((Number) deleted.body().get("scheduledPurgeDate")).longValue());
    assertEquals(404, call("GET", "/keys/soft/" + API, token, null).status());
    assertEquals(409, call("POST", "/keys/soft/create" + API, token, "{\"kty\":\"RSA\"}").status());
    assertEquals(200, call("GET", "/deletedkeys/soft" + API, token, null).status());
    assertEquals(200, call("POST", "/deletedkeys/soft/recover" + API, token, null).status());
    assertEquals(200, call("GET", "/keys/soft/" + API, token, null).status());
    assertEquals(200, call("DELETE", "/keys/soft" + API, token, null).status());
    assertEquals(204, call("DELETE", "/deletedkeys/soft" + API, token, null).status());
    assertEquals(404, call("GET", "/deletedkeys/soft" + API, token, null).status());
  }

  @Test
  void purge_withPurgeProtection_answers403ForbiddenAndKeyStaysRecoverable() throws IOException {
    vault.setPurgeProtection(true);
    try {
      vault.createRsaKey("protected", 2048);
      assertEquals("Recoverable", call("GET", "/keys/protected/" + API, token, null).object("attributes").get("recoveryLevel"));
      call("DELETE", "/keys/protected" + API, token, null);
      Answer purge = call("DELETE", "/deletedkeys/protected" + API, token, null);
      assertEquals(403, purge.status());
      assertEquals("Forbidden", purge.errorCode());
      assertTrue(
          ((String) purge.object("error").get("message"))
              .startsWith("Operation \"purge\" is not allowed because purge protection is enabled"),
          purge.body().toString());
      assertTrue(vault.isDeleted("protected"));
      assertThrows(IllegalStateException.class, () -> vault.purgeDeletedKey("protected"));
      vault.recoverDeletedKey("protected");
    } finally {
      vault.setPurgeProtection(false);
    }
  }

  @Test
  void recoveryLevel_followsVaultSettings() {
    LoopbackKeyVault s = LoopbackKeyVault.builder().keyVault("levels").build();
    try {
      LoopbackVault v = s.vault("levels");
      assertEquals("Recoverable+Purgeable", v.recoveryLevel());
      v.setSoftDelete(true, 7);
      assertEquals("CustomizedRecoverable+Purgeable", v.recoveryLevel());
      v.setPurgeProtection(true);
      assertEquals("CustomizedRecoverable", v.recoveryLevel());
      v.setProtectedSubscription(true);
      assertEquals("CustomizedRecoverable+ProtectedSubscription", v.recoveryLevel());
      v.setSoftDelete(true, 90);
      assertEquals("Recoverable+ProtectedSubscription", v.recoveryLevel());
      v.setPurgeProtection(false);
      v.setSoftDelete(false, 90);
      assertEquals("Purgeable", v.recoveryLevel());
      assertTrue(v.recoverableDays().isEmpty());
    } finally {
      s.close();
    }
  }

  @Test
  void delete_withoutSoftDelete_removesKeyAtOnce() throws IOException {
    LoopbackKeyVault s = LoopbackKeyVault.builder().keyVault("hard").build();
    try {
      LoopbackVault v = s.vault("hard");
      v.setSoftDelete(false, 90);
      VaultIdentity id = s.createApplication("admin");
      v.grant(id, KeyPermission.all());
      v.createRsaKey("gone", 2048);
      URL url = URI.create("https://127.0.0.1:" + s.port() + "/keys/gone" + API).toURL();
      HttpsURLConnection c = (HttpsURLConnection) url.openConnection();
      c.setSSLSocketFactory(s.clientSslContext().getSocketFactory());
      c.setRequestMethod("DELETE");
      c.setRequestProperty("Authorization", "Bearer " + s.issueToken(id));
      assertEquals(200, c.getResponseCode());
      Map<String, Object> body = RawHttps.parse(c.getInputStream().readAllBytes());
      assertNull(body.get("recoveryId"));
      assertFalse(v.isDeleted("gone"));
      assertThrows(KeyNotFoundException.class, () -> v.latestVersion("gone"));
    } finally {
      s.close();
    }
  }

  // ------------------------------------------------------------------ faults

  @Test
  void throttleNext_answers429WithRetryAfterThenRecovers() throws IOException {
    vault.createRsaKey("throttled", 2048);
    vault.faults().throttleNext(1, Duration.ofSeconds(3));
    Answer a = call("GET", "/keys/throttled/" + API, token, null);
    assertEquals(429, a.status());
    assertEquals("Throttled", a.errorCode());
    assertEquals("3", a.connection().getHeaderField("Retry-After"));
    assertEquals(200, call("GET", "/keys/throttled/" + API, token, null).status());
  }

  @Test
  void failNext_answersServerErrorsThenRecovers() throws IOException {
    vault.createRsaKey("failing", 2048);
    vault.faults().failNext(2, 503);
    assertEquals(503, call("GET", "/keys/failing/" + API, token, null).status());
    assertEquals(503, call("GET", "/keys/failing/" + API, token, null).status());
    assertEquals(200, call("GET", "/keys/failing/" + API, token, null).status());
  }

  @Test
  void requestLimit_throttlesBeyondLimitInWindow() throws IOException {
    LoopbackKeyVault s = LoopbackKeyVault.builder().keyVault("limited").build();
    try {
      LoopbackVault v = s.vault("limited");
      VaultIdentity id = s.createApplication("client");
      v.grant(id, KeyPermission.all());
      v.createRsaKey("k", 2048);
      v.faults().setRequestLimit(3, Duration.ofSeconds(30));
      String t = s.issueToken(id);
      int ok = 0;
      int throttled = 0;
      for (int i = 0; i < 5; i++) {
        URL url = URI.create("https://127.0.0.1:" + s.port() + "/keys/k/" + API).toURL();
        HttpsURLConnection c = (HttpsURLConnection) url.openConnection();
        c.setSSLSocketFactory(s.clientSslContext().getSocketFactory());
        c.setRequestProperty("Authorization", "Bearer " + t);
        if (c.getResponseCode() == 200) {
          ok++;
        } else {
          assertEquals(429, c.getResponseCode());
          assertTrue(Integer.parseInt(c.getHeaderField("Retry-After")) >= 1);
          throttled++;
        }
      }
      assertEquals(3, ok);
      assertEquals(2, throttled);
      assertEquals(2, v.throttledCount());
    } finally {
      s.close();
    }
  }

  @Test
  void requests_recordIdentityTokenAndStatus() throws IOException {
    vault.createRsaKey("recorded", 2048);
    vault.clearRequests();
    call("GET", "/keys/recorded/" + API, token, null);
    RecordedRequest r = vault.requests().get(vault.requests().size() - 1);
    assertEquals("GET", r.method());
    assertEquals("/keys/recorded/", r.path());
    assertEquals("7.5", r.apiVersion());
    assertEquals(token, r.bearerToken());
    assertEquals(app.name(), r.identity());
    assertEquals(200, r.status());
  }

  // ------------------------------------------------------------------ managed identity

  @Test
  void managedIdentityEndpoint_portZero_reportsBoundPort() throws IOException {
    URI endpoint = server.managedIdentityEndpoint().orElseThrow();
    assertTrue(endpoint.getPort() > 0);
    assertEquals("/msi/token", endpoint.getPath());
    Map<String, Object> answer =
        miCall(endpoint + "?api-version=2019-08-01&resource=https://vault.azure.net", "secret-header", 200);
    String issued = (String) answer.get("access_token");
    Answer a = call("GET", "/keys/never-there/" + API, issued, null);
    assertEquals(403, a.status(), "a valid token of the system identity, which has no permissions");
    assertEquals("AccessDenied", a.innerCode());
  }

  @Test
  void managedIdentityEndpoint_onFixedPort_answersAppServiceProtocol() throws IOException {
    int port;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    LoopbackKeyVault s =
        LoopbackKeyVault.builder()
            .keyVault("mivault")
            .managedIdentityEndpoint(URI.create("http://127.0.0.1:" + port + "/msi/token"), "h3ader")
            .build();
    try {
      VaultIdentity user = s.createUserAssignedIdentity("worker");
      String base = "http://127.0.0.1:" + port + "/msi/token?api-version=2019-08-01&resource=https://vault.azure.net";
      Map<String, Object> system = miCall(base, "h3ader", 200);
      Map<String, Object> byClient = miCall(base + "&client_id=" + user.clientId(), "h3ader", 200);
      Map<String, Object> byResource = miCall(base + "&mi_res_id=" + user.resourceId(), "h3ader", 200);
      assertEquals(s.systemAssignedIdentity().clientId(), system.get("client_id"));
      assertEquals(user.clientId(), byClient.get("client_id"));
      assertEquals(user.clientId(), byResource.get("client_id"));
      assertNotEquals(system.get("access_token"), byClient.get("access_token"));
      assertEquals("Bearer", system.get("token_type"));
      assertTrue(Long.parseLong((String) system.get("expires_on")) > Instant.now().getEpochSecond());
      miCall(base, "wrong", 401);
      miCall(base + "&client_id=00000000-0000-0000-0000-000000000000", "h3ader", 400);
      s.failManagedIdentityNext(1, 500);
      miCall(base, "h3ader", 500);
      List<ManagedIdentityRequest> log = s.managedIdentityRequests();
      assertEquals(6, log.size());
      assertEquals("worker", log.get(1).identity());
    } finally {
      s.close();
    }
  }

  @Test
  void refuseManagedIdentity_answers400AsAppServiceOrImds_restoreIssuesAgain() throws IOException {
    VaultIdentity user = server.createUserAssignedIdentity("refused-worker");
    String url =
        server.managedIdentityEndpoint().orElseThrow()
            + "?api-version=2019-08-01&resource=https://vault.azure.net&client_id=" + user.clientId();
    server.refuseManagedIdentity(user, ManagedIdentityRefusal.APP_SERVICE_IDENTITY_NOT_FOUND);
    Map<String, Object> appService = miCall(url, "secret-header", 400);
    assertEquals(400, ((Number) appService.get("statusCode")).intValue());
    assertTrue(((String) appService.get("message")).startsWith("No User Assigned or Delegated Managed Identity found"));
    server.refuseManagedIdentity(user, ManagedIdentityRefusal.IMDS_IDENTITY_NOT_FOUND);
    Map<String, Object> imds = miCall(url, "secret-header", 400);
    assertEquals("invalid_request", imds.get("error"));
    assertEquals("Identity not found", imds.get("error_description"));
    assertTrue(server.managedIdentityRequests().stream()
        .filter(r -> user.clientId().equals(r.clientId()))
        .allMatch(r -> r.status() == 400 && r.identity() == null));
    server.restoreManagedIdentity(user);
    assertNotNull(miCall(url, "secret-header", 200).get("access_token"));
    assertThrows(
        IllegalArgumentException.class,
        () -> server.refuseManagedIdentity(app, ManagedIdentityRefusal.IMDS_IDENTITY_NOT_FOUND),
        "an application is not a managed identity");
  }

  @Test
  void managedIdentityTokenLifetimeZero_clientSeesItExpired_vaultAcceptsItWithinClockSkew() throws IOException {
    server.setManagedIdentityTokenLifetime(Duration.ZERO);
    Map<String, Object> answer;
    try {
      answer =
          miCall(server.managedIdentityEndpoint().orElseThrow() + "?api-version=2019-08-01&resource=https://vault.azure.net",
              "secret-header", 200);
    } finally {
      server.setManagedIdentityTokenLifetime(Duration.ofHours(1));
    }
    assertTrue(Long.parseLong((String) answer.get("expires_on")) <= Instant.now().getEpochSecond());
    Answer a = call("GET", "/keys/never-there/" + API, (String) answer.get("access_token"), null);
    assertEquals(403, a.status(), "accepted as the system identity's (which has no permissions), not 401 expired");
    assertThrows(IllegalArgumentException.class, () -> server.setManagedIdentityTokenLifetime(Duration.ofSeconds(-1)));
  }

  private static Map<String, Object> miCall(String url, String header, int expectedStatus) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setRequestProperty("X-IDENTITY-HEADER", header);
    assertEquals(expectedStatus, c.getResponseCode());
    InputStream in = expectedStatus >= 400 ? c.getErrorStream() : c.getInputStream();
    return RawHttps.parse(in.readAllBytes());
  }

  // ------------------------------------------------------------------ admin and builder

  @Test
  void managedHsm_servesOnlyRsaHsmAndChallengesForManagedHsm() {
    LoopbackVault hsm = server.vault("testhsm");
    assertTrue(hsm.isManagedHsm());
    assertThrows(IllegalArgumentException.class, () -> hsm.createRsaKey("soft", 2048));
    KeyReference k = hsm.createRsaHsmKey("hard", 3072);
    assertEquals(KeyReference.Kind.AZURE_MANAGED_HSM, k.kind());
    assertEquals(3072, hsm.publicKey(k).getModulus().bitLength());
    assertThrows(IllegalStateException.class, () -> hsm.setSoftDelete(false, 90));
  }

  @Test
  void builder_invalidSettings_areRejected() {
    assertThrows(IllegalStateException.class, () -> LoopbackKeyVault.builder().build());
    assertThrows(IllegalArgumentException.class, () -> LoopbackKeyVault.builder().keyVault("a"));
    assertThrows(IllegalArgumentException.class, () -> LoopbackKeyVault.builder().keyVault("x.example.com"));
    assertThrows(
        IllegalArgumentException.class,
        () -> LoopbackKeyVault.builder().keyVault("dup").keyVault("DUP"));
    assertThrows(IllegalStateException.class, () -> LoopbackKeyVault.builder().port(0).port(1));
    assertThrows(
        IllegalArgumentException.class,
        () -> LoopbackKeyVault.builder().managedIdentityEndpoint(URI.create("http://example.com:80/x"), "h"));
  }

  @Test
  void hostsFileContent_mapsEveryVaultHost() {
    String hosts = server.hostsFileContent();
    assertTrue(hosts.contains("127.0.0.1 testvault.vault.azure.net\n"));
    assertTrue(hosts.contains("127.0.0.1 testhsm.managedhsm.azure.net\n"));
    assertEquals("https://testvault.vault.azure.net:" + server.port(), server.vaultUrl("testvault"));
  }
}
