package dev.cmk.testkit.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where users notice the loopback differs from Key Vault: api-versions, list paging, sub-resources
 * of a key, sign / verify, purge protection, the request log's headers, and the admin API's one
 * set of errors. Over real HTTPS on {@code https://127.0.0.1:PORT} (the first vault).
 */
class LoopbackFidelityTest {
  private static final String API = "?api-version=2025-07-01";

  private static LoopbackKeyVault server;
  private static LoopbackVault vault;
  private static String token;

  /** A parsed answer. */
  record Reply(int status, Map<String, Object> body) {
    @SuppressWarnings("unchecked")
    Map<String, Object> object(String field) {
      return (Map<String, Object>) body.get(field);
    }

    String error() {
      return (String) object("error").get("code");
    }

    String message() {
      return (String) object("error").get("message");
    }
  }

  @BeforeAll
  static void start() {
    server = LoopbackKeyVault.builder().keyVault("fidelity").keyVault("fidelitytwo").build();
    vault = server.vault("fidelity");
    VaultIdentity app = server.createApplication("fidelity-app");
    vault.grant(app, KeyPermission.all());
    server.vault("fidelitytwo").grant(app, KeyPermission.all());
    token = server.issueToken(app);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static Reply call(String method, String pathOrUrl, String json) throws IOException {
    String url = pathOrUrl.startsWith("https://") ? pathOrUrl : "https://127.0.0.1:" + server.port() + pathOrUrl;
    RawHttps.Exchange x = RawHttps.send(server, method, url,
        Map.of("Authorization", "Bearer " + token, "User-Agent", "fidelity-test/1.0"), json);
    return new Reply(x.status(), x.body() == null ? Map.of() : x.body());
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Every item of a list, following nextLink; asserts each page holds at most {@code max}. */
  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> allPages(String path, int max, int[] pages) throws IOException {
    List<Map<String, Object>> items = new ArrayList<>();
    String next = path + API + "&maxresults=" + max;
    while (next != null) {
      Reply page = call("GET", next, null);
      assertEquals(200, page.status(), page.body().toString());
      List<Map<String, Object>> value = (List<Map<String, Object>>) page.body().get("value");
      assertTrue(value.size() <= max, "page larger than maxresults: " + value.size());
      items.addAll(value);
      pages[0]++;
      next = (String) page.body().get("nextLink");
      assertTrue(next == null || next.contains("maxresults=" + max), next);
    }
    return items;
  }

  // ------------------------------------------------------------------ api-versions

  @ParameterizedTest
  @ValueSource(strings = {"7.0", "7.4", "7.6", "7.6-preview.2", "2025-07-01"})
  void request_supportedApiVersions_areServed(String version) throws IOException {
    vault.createRsaKey("apiversion", 2048);
    assertEquals(200, call("GET", "/keys/apiversion/?api-version=" + version, null).status());
  }

  @ParameterizedTest
  @ValueSource(strings = {"7.7", "2016-10-01", "2025-07-02", "latest"})
  void request_unknownApiVersion_answers400BadParameterNamingTheLatest(String version) throws IOException {
    Reply r = call("GET", "/keys/anything?api-version=" + version, null);
    assertEquals(400, r.status());
    assertEquals("BadParameter", r.error());
    assertEquals(
        "The specified version (" + version + ") is not recognized. Consider using the latest"
            + " supported version (2025-07-01).",
        r.message());
  }

  // ------------------------------------------------------------------ paging

  @Test
  void listKeys_maxresults_pagesWithNextLinkUntilEveryKeyIsSeen() throws IOException {
    for (int i = 0; i < 5; i++) {
      vault.createRsaKey("page-" + i, 2048);
    }
    int[] pages = {0};
    List<Map<String, Object>> keys = allPages("/keys", 2, pages);
    long paged = keys.stream().filter(k -> ((String) k.get("kid")).contains("/keys/page-")).count();
    assertEquals(5, paged);
    assertEquals(keys.size(), keys.stream().map(k -> k.get("kid")).distinct().count(), "no duplicates");
    assertEquals((keys.size() + 1) / 2, pages[0]);
  }

  @Test
  void listVersions_andDeletedKeys_pageToo() throws IOException {
    for (int i = 0; i < 4; i++) {
      vault.createRsaKey("versioned", 2048);
    }
    int[] pages = {0};
    assertEquals(vault.versions("versioned").size(), allPages("/keys/versioned/versions", 3, pages).size());
    assertEquals(2, pages[0]);
    for (int i = 0; i < 3; i++) {
      vault.createRsaKey("deleted-" + i, 2048);
      vault.deleteKey("deleted-" + i);
    }
    pages[0] = 0;
    assertEquals(3, allPages("/deletedkeys", 1, pages).size());
    assertEquals(3, pages[0]);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "26", "-1", "many"})
  void listKeys_maxresultsOutside1To25_answers400(String max) throws IOException {
    Reply r = call("GET", "/keys" + API + "&maxresults=" + max, null);
    assertEquals(400, r.status());
    assertEquals("BadParameter", r.error());
  }

  @Test
  void listKeys_forgedSkipToken_answers400() throws IOException {
    assertEquals(400, call("GET", "/keys" + API + "&$skiptoken=" + b64("-3".getBytes(StandardCharsets.US_ASCII)), null).status());
  }

  // ------------------------------------------------------------------ sub-resources

  @Test
  void rotationPolicy_defaultThenSet_isReturnedNotParsedAsAVersion() throws IOException {
    vault.createRsaKey("policy", 2048);
    Reply initial = call("GET", "/keys/policy/rotationpolicy" + API, null);
    assertEquals(200, initial.status(), initial.body().toString());
    assertEquals(
        List.of(Map.of("trigger", Map.of("timeBeforeExpiry", "P30D"), "action", Map.of("type", "Notify"))),
        initial.body().get("lifetimeActions"));
    Reply set =
        call(
            "PUT",
            "/keys/policy/rotationpolicy" + API,
            "{\"lifetimeActions\":[{\"trigger\":{\"timeAfterCreate\":\"P90D\"},\"action\":{\"type\":\"rotate\"}}],"
                + "\"attributes\":{\"expiryTime\":\"P1Y\"}}");
    assertEquals(200, set.status(), set.body().toString());
    Reply read = call("GET", "/keys/policy/rotationpolicy" + API, null);
    assertTrue(((String) read.body().get("id")).endsWith("/keys/policy/rotationpolicy"));
    assertEquals("P1Y", read.object("attributes").get("expiryTime"));
    assertEquals(
        List.of(Map.of("trigger", Map.of("timeAfterCreate", "P90D"), "action", Map.of("type", "Rotate"))),
        read.body().get("lifetimeActions"));
    assertEquals(400, call("PUT", "/keys/policy/rotationpolicy" + API, "{\"attributes\":{\"expiryTime\":\"P7D\"}}").status());
  }

  @Test
  void backupAndRestore_roundTripIntoAnEmptyName_andRefuseConflictsAndTampering() throws IOException {
    KeyReference v = vault.createRsaKey("backedup", 2048);
    Reply backup = call("POST", "/keys/backedup/backup" + API, null);
    assertEquals(200, backup.status());
    String blob = (String) backup.body().get("value");
    Reply conflict = call("POST", "/keys/restore" + API, "{\"value\":\"" + blob + "\"}");
    assertEquals(409, conflict.status());
    assertEquals("Conflict", conflict.error());
    vault.deleteKey("backedup");
    vault.purgeDeletedKey("backedup");
    Reply restored = call("POST", "/keys/restore" + API, "{\"value\":\"" + blob + "\"}");
    assertEquals(200, restored.status(), restored.body().toString());
    assertEquals(v, vault.latestVersion("backedup"));
    assertEquals(vault.publicKey(v), vault.publicKey(vault.latestVersion("backedup")));
    byte[] tampered = Base64.getUrlDecoder().decode(blob);
    tampered[tampered.length - 1] ^= 1;
    assertEquals(400, call("POST", "/keys/restore" + API, "{\"value\":\"" + b64(tampered) + "\"}").status());
  }

  @Test
  void releaseAndAttestation_answerTheirDocumented400() throws IOException {
    KeyReference v = vault.createRsaKey("unreleasable", 2048);
    String version = v.version().orElseThrow();
    Reply release = call("POST", "/keys/unreleasable/" + version + "/release" + API, "{\"target\":\"x\"}");
    assertEquals(400, release.status());
    assertTrue(release.message().contains("not exportable"), release.message());
    assertEquals(400, call("GET", "/keys/unreleasable/" + version + "/attestation" + API, null).status());
    assertEquals(404, call("POST", "/keys/unreleasable/" + version + "/nothing" + API, "{}").status());
  }

  // ------------------------------------------------------------------ sign and verify

  @ParameterizedTest
  @ValueSource(strings = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
  void signAndVerify_rsaAlgorithms_interoperateWithTheJdk(String alg) throws Exception {
    KeyReference v = vault.createRsaKey("signer-" + alg.toLowerCase(), 2048);
    String hash = "SHA-" + alg.substring(2);
    byte[] data = ("signed by " + alg).getBytes(StandardCharsets.UTF_8);
    byte[] digest = MessageDigest.getInstance(hash).digest(data);
    String base = "/keys/" + v.name() + "/" + v.version().orElseThrow();
    Reply signed = call("POST", base + "/sign" + API, "{\"alg\":\"" + alg + "\",\"value\":\"" + b64(digest) + "\"}");
    assertEquals(200, signed.status(), signed.body().toString());
    byte[] signature = Base64.getUrlDecoder().decode((String) signed.body().get("value"));
    Signature jdk = Signature.getInstance(alg.startsWith("RS") ? hash.replace("-", "") + "withRSA" : "RSASSA-PSS");
    if (alg.startsWith("PS")) {
      int len = digest.length;
      jdk.setParameter(new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(hash), len, 1));
    }
    jdk.initVerify(vault.publicKey(v));
    jdk.update(data);
    assertTrue(jdk.verify(signature), "the JDK accepts Key Vault's signature");
    String verify = "{\"alg\":\"" + alg + "\",\"digest\":\"" + b64(digest) + "\",\"value\":\"";
    assertEquals(true, call("POST", base + "/verify" + API, verify + b64(signature) + "\"}").body().get("value"));
    signature[10] ^= 1;
    assertEquals(false, call("POST", base + "/verify" + API, verify + b64(signature) + "\"}").body().get("value"));
  }

  @Test
  void sign_wrongDigestLengthUnknownAlgOrNotPermitted_isRefused() throws IOException {
    KeyReference v = vault.createRsaKey("signer-refusals", 2048);
    String base = "/keys/signer-refusals/" + v.version().orElseThrow() + "/sign" + API;
    assertEquals(400, call("POST", base, "{\"alg\":\"RS256\",\"value\":\"" + b64(new byte[20]) + "\"}").status());
    assertEquals(400, call("POST", base, "{\"alg\":\"ES256\",\"value\":\"" + b64(new byte[32]) + "\"}").status());
    vault.keyManager().setOperations(v, Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY));
    Reply forbidden = call("POST", base, "{\"alg\":\"RS256\",\"value\":\"" + b64(new byte[32]) + "\"}");
    assertEquals(403, forbidden.status());
  }

  // ------------------------------------------------------------------ request log

  @Test
  void requests_recordHeadersButNotAuthorization() throws IOException {
    vault.clearRequests();
    call("GET", "/keys" + API, null);
    RecordedRequest r = vault.requests().get(0);
    assertEquals("fidelity-test/1.0", r.header("User-Agent").orElseThrow());
    assertEquals("fidelity-test/1.0", r.header("user-agent").orElseThrow());
    assertFalse(r.header("Authorization").isPresent());
    assertNotNull(r.bearerToken());
    assertEquals("2025-07-01", r.apiVersion());
  }

  // ------------------------------------------------------------------ one set of errors

  @Test
  void adminApi_missingOrSoftDeletedVersions_areNotFoundOnEveryPath() {
    KeyReference v = vault.createRsaKey("admin-errors", 2048);
    KeyReference absent = v.withVersion("0123456789abcdef0123456789abcdef");
    KeyReference elsewhere = KeyReference.parse(server.vaultUrl("fidelitytwo") + "/keys/admin-errors/" + v.version().orElseThrow());
    for (KeyReference missing : List.of(absent, elsewhere)) {
      assertThrows(KeyNotFoundException.class, () -> vault.keyManager().setEnabled(missing, false));
      assertThrows(KeyNotFoundException.class, () -> vault.isEnabled(missing));
      assertThrows(KeyNotFoundException.class, () -> vault.publicKey(missing));
    }
    vault.deleteKey("admin-errors");
    assertThrows(KeyNotFoundException.class, () -> vault.keyManager().setEnabled(v, false));
    assertThrows(KeyNotFoundException.class, () -> vault.isEnabled(v));
    assertThrows(KeyNotFoundException.class, () -> vault.exportPrivateKey(v));
    assertThrows(KeyNotFoundException.class, () -> vault.rotateKey("admin-errors"));
    assertThrows(KeyNotFoundException.class, () -> vault.latestVersion("admin-errors"));
    vault.recoverDeletedKey("admin-errors");
    assertTrue(vault.isEnabled(v));
    assertThrows(KeyNotFoundException.class, () -> vault.recoverDeletedKey("never-created"));
  }

  @Test
  void purge_underPurgeProtection_answersKeyVaultsForbidden() throws IOException {
    vault.createRsaKey("kept", 2048);
    vault.deleteKey("kept");
    vault.setPurgeProtection(true);
    try {
      Reply r = call("DELETE", "/deletedkeys/kept" + API, null);
      assertEquals(403, r.status());
      assertEquals("Forbidden", r.error());
      assertTrue(r.message().contains("purge protection is enabled for this vault"), r.message());
      assertEquals(404, call("DELETE", "/deletedkeys/never-deleted" + API, null).status());
    } finally {
      vault.setPurgeProtection(false);
    }
  }
}
