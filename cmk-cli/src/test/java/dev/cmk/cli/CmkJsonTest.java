package dev.cmk.cli;

import static dev.cmk.cli.Json.array;
import static dev.cmk.cli.Json.assertFields;
import static dev.cmk.cli.Json.bool;
import static dev.cmk.cli.Json.integer;
import static dev.cmk.cli.Json.object;
import static dev.cmk.cli.Json.string;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.keystore.KeystoreKeyProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --format json}: every command's report is parsed as JSON (not compared as text) and every
 * documented field is checked for presence, type and value (cmk-cli/README.md, "JSON output").
 */
class CmkJsonTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static String versionOf(String reference) {
    return reference.substring(reference.lastIndexOf('/') + 1);
  }

  private static void assertHeader(Map<String, Object> json, String command) {
    assertEquals(1L, integer(json.get("schemaVersion")));
    assertEquals(command, string(json.get("command")));
  }

  @Test
  void inspect_formatJson_everyFieldWithTypesAndValues() {
    CliFixture cli = new CliFixture(dir);
    String v1 = cli.createKey("inspected", 2048);
    byte[] plaintext = randomBytes(70_000);
    byte[] envelope = cli.runWithInput(plaintext, "encrypt", "-k", "inspected").stdout();

    CliFixture.Result r = cli.runWithInput(envelope, "inspect", "--format", "json");

    assertEquals(ExitCode.OK, r.exitCode(), r.toString());
    Map<String, Object> j = Json.parse(r);
    assertFields(j, "schemaVersion", "command", "formatVersion", "suite", "keyProvider", "key",
        "keyVersion", "keyReference", "wrapAlgorithm", "wrappedKeyBytes", "headerBytes",
        "segmentSizeBytes", "envelopeBytes", "layoutValid", "plaintextBytes", "segments",
        "overheadBytes");
    long header = integer(j.get("headerBytes"));
    long segmentSize = integer(j.get("segmentSizeBytes"));
    assertAll(
        () -> assertHeader(j, "inspect"),
        () -> assertEquals(1L, integer(j.get("formatVersion"))),
        () -> assertFalse(string(j.get("suite")).isEmpty()),
        () -> assertEquals("keystore", string(j.get("keyProvider"))),
        () -> assertEquals("local:inspected", string(j.get("key"))),
        () -> assertEquals(versionOf(v1), string(j.get("keyVersion"))),
        () -> assertEquals(v1, string(j.get("keyReference"))),
        () -> assertEquals("RSA-OAEP-256", string(j.get("wrapAlgorithm"))),
        () -> assertEquals(256L, integer(j.get("wrappedKeyBytes"))),
        () -> assertTrue(header > 256 && header < 4096, "header " + header),
        () -> assertTrue(segmentSize > 0),
        () -> assertEquals((long) envelope.length, integer(j.get("envelopeBytes"))),
        () -> assertTrue(bool(j.get("layoutValid"))),
        () -> assertEquals((long) plaintext.length, integer(j.get("plaintextBytes"))),
        () -> assertEquals((plaintext.length + segmentSize - 1) / segmentSize, integer(j.get("segments"))),
        () -> assertEquals((long) envelope.length - plaintext.length, integer(j.get("overheadBytes"))));
  }

  @Test
  void inspect_formatJsonTruncatedEnvelope_layoutInvalidNullsAndExit7() {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("cut", 2048);
    byte[] envelope = cli.runWithInput(randomBytes(10_000), "encrypt", "-k", "cut").stdout();

    long header = integer(Json.parse(cli.runWithInput(envelope, "inspect", "--format=json"))
        .get("headerBytes"));
    // Ten bytes after the header cannot be a segment (shorter than its tag).
    byte[] cut = Arrays.copyOf(envelope, (int) header + 10);

    CliFixture.Result r = cli.runWithInput(cut, "inspect", "--format=json");

    assertEquals(ExitCode.INVALID_CIPHERTEXT, r.exitCode(), r.toString());
    Map<String, Object> j = Json.parse(r);
    assertAll(
        () -> assertHeader(j, "inspect"),
        () -> assertFalse(bool(j.get("layoutValid"))),
        () -> assertEquals((long) cut.length, integer(j.get("envelopeBytes"))),
        () -> assertTrue(j.containsKey("plaintextBytes") && j.get("plaintextBytes") == null),
        () -> assertTrue(j.containsKey("segments") && j.get("segments") == null),
        () -> assertTrue(j.containsKey("overheadBytes") && j.get("overheadBytes") == null),
        () -> assertTrue(r.stderr().startsWith("cmk: invalid ciphertext"), r.stderr()));
  }

  @Test
  void status_formatJson_availableThenDisabled() {
    CliFixture cli = new CliFixture(dir);
    String v1 = cli.createKey("svc", 2048);

    CliFixture.Result ok = cli.run("status", "--format", "json", "svc");
    cli.run("keys", "disable", "svc");
    CliFixture.Result down = cli.run("status", "--format", "json", "--policy", "fhir", "svc");

    assertEquals(ExitCode.OK, ok.exitCode(), ok.toString());
    assertEquals(ExitCode.KEY_ACCESS, down.exitCode(), down.toString());
    for (CliFixture.Result r : List.of(ok, down)) {
      assertFields(Json.parse(r), "schemaVersion", "command", "key", "policy", "state", "since",
          "cause", "causeAuthoritative", "currentVersion", "lastConfirmed",
          "graceRemainingSeconds", "lastError");
    }
    Map<String, Object> a = Json.parse(ok);
    Map<String, Object> d = Json.parse(down);
    assertAll(
        () -> assertHeader(a, "status"),
        () -> assertEquals("local:svc", string(a.get("key"))),
        () -> assertEquals("dicom-service", string(a.get("policy"))),
        () -> assertEquals("AVAILABLE", string(a.get("state"))),
        () -> Instant.parse(string(a.get("since"))),
        () -> assertEquals("NONE", string(a.get("cause"))),
        () -> assertFalse(bool(a.get("causeAuthoritative"))),
        () -> assertEquals(v1, string(a.get("currentVersion"))),
        () -> Instant.parse(string(a.get("lastConfirmed"))),
        () -> assertTrue(integer(a.get("graceRemainingSeconds")) >= 0),
        () -> assertNull(a.get("lastError")),
        () -> assertEquals("fhir-service", string(d.get("policy"))),
        () -> assertEquals("UNAVAILABLE", string(d.get("state"))),
        () -> assertEquals("KEY_DISABLED", string(d.get("cause"))),
        () -> assertTrue(bool(d.get("causeAuthoritative"))),
        () -> assertFalse(string(d.get("lastError")).isEmpty()),
        () -> Instant.parse(string(d.get("since"))));
  }

  @Test
  void checkKey_formatJson_compliantAndFailingKey() throws Exception {
    CliFixture cli = new CliFixture(dir);
    String v1 = cli.createKey("fhir-key", 3072);
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    KeyReference weak;
    try (KeystoreKeyProvider p = KeystoreKeyProvider.builder()
        .path(cli.keystore).password(CliFixture.PASSWORD::toCharArray).build()) {
      weak = p.keyManager().orElseThrow().importKey("legacy", g.generateKeyPair());
    }

    CliFixture.Result good = cli.run("check-key", "--policy", "fhir", "--format", "json", "fhir-key");
    CliFixture.Result bad = cli.run("check-key", "--policy", "dicom", "--format", "json", "legacy");

    assertEquals(ExitCode.OK, good.exitCode(), good.toString());
    assertEquals(ExitCode.POLICY_VIOLATION, bad.exitCode(), bad.toString());
    Map<String, Object> g1 = Json.parse(good);
    Map<String, Object> b1 = Json.parse(bad);
    for (Map<String, Object> j : List.of(g1, b1)) {
      assertHeader(j, "check-key");
      assertFields(j, "schemaVersion", "command", "key", "provider", "policy", "compliant",
          "requirementsTotal", "requirementsFailed", "requirements");
      List<Object> reqs = array(j.get("requirements"));
      assertEquals((long) reqs.size(), integer(j.get("requirementsTotal")));
      long failed = 0;
      for (Object o : reqs) {
        Map<String, Object> req = object(o);
        assertFields(req, "rule", "met", "found");
        assertFalse(string(req.get("rule")).isEmpty());
        assertFalse(string(req.get("found")).isEmpty());
        failed += bool(req.get("met")) ? 0 : 1;
      }
      assertEquals(failed, integer(j.get("requirementsFailed")));
      assertEquals(failed == 0, bool(j.get("compliant")));
      assertEquals("keystore", string(j.get("provider")));
    }
    Map<String, Object> size = array(b1.get("requirements")).stream().map(Json::object)
        .filter(m -> m.get("rule").equals("key-size")).findFirst().orElseThrow();
    assertAll(
        () -> assertEquals(v1, string(g1.get("key"))),
        () -> assertEquals("fhir-service", string(g1.get("policy"))),
        () -> assertEquals(9L, integer(g1.get("requirementsTotal"))),
        () -> assertTrue(bool(g1.get("compliant"))),
        () -> assertEquals(weak.toString(), string(b1.get("key"))),
        () -> assertEquals("dicom-service", string(b1.get("policy"))),
        () -> assertEquals(1L, integer(b1.get("requirementsFailed"))),
        () -> assertFalse(bool(size.get("met"))),
        () -> assertEquals("key size 1024 not in [2048, 3072]", string(size.get("found"))));
  }

  @Test
  void keys_formatJson_createRotateDisableEnableList() {
    CliFixture cli = new CliFixture(dir);
    Map<String, Object> created =
        Json.parse(cli.run("keys", "create", "--format", "json", "listed", "--size", "2048"));
    String v1 = string(created.get("reference"));
    Map<String, Object> rotated = Json.parse(cli.run("keys", "rotate", "--format", "json", "listed"));
    String v2 = string(rotated.get("reference"));
    Map<String, Object> disabled = Json.parse(cli.run("keys", "disable", "--format", "json", v1));
    CliFixture.Result listed = cli.run("keys", "list", "--format", "json");
    Map<String, Object> enabled = Json.parse(cli.run("keys", "enable", "--format", "json", v1));

    Object[][] changes = {
      {created, "keys create", v1, true}, {rotated, "keys rotate", v2, true},
      {disabled, "keys disable", v1, false}, {enabled, "keys enable", v1, true}};
    for (Object[] c : changes) {
      @SuppressWarnings("unchecked")
      Map<String, Object> j = (Map<String, Object>) c[0];
      assertHeader(j, (String) c[1]);
      assertFields(j, "schemaVersion", "command", "key", "version", "reference", "enabled");
      assertEquals("local:listed", string(j.get("key")));
      assertEquals(versionOf((String) c[2]), string(j.get("version")));
      assertEquals(c[2], string(j.get("reference")));
      assertEquals(c[3], bool(j.get("enabled")));
    }
    assertTrue(v1.startsWith("local:listed/") && !v1.equals(v2), v1 + " " + v2);

    assertEquals(ExitCode.OK, listed.exitCode(), listed.toString());
    Map<String, Object> list = Json.parse(listed);
    assertHeader(list, "keys list");
    assertFields(list, "schemaVersion", "command", "keystore", "keys", "deleted");
    assertEquals(cli.keystore.toString(), string(list.get("keystore")));
    assertEquals(List.of(), array(list.get("deleted")));
    List<Object> keys = array(list.get("keys"));
    assertEquals(1, keys.size());
    Map<String, Object> key = object(keys.get(0));
    assertFields(key, "key", "versions");
    assertEquals("local:listed", string(key.get("key")));
    List<Object> versions = array(key.get("versions"));
    assertEquals(2, versions.size());
    for (int i = 0; i < 2; i++) {
      Map<String, Object> v = object(versions.get(i));
      assertFields(v, "version", "reference", "keyType", "sizeBits", "enabled", "operations",
          "notBefore", "expires", "latest");
      String ref = i == 0 ? v1 : v2;
      assertEquals(versionOf(ref), string(v.get("version")));
      assertEquals(ref, string(v.get("reference")));
      assertEquals("RSA", string(v.get("keyType")));
      assertEquals(2048L, integer(v.get("sizeBits")));
      assertEquals(i == 1, bool(v.get("enabled")), "v1 was disabled when listed");
      assertEquals(List.of("wrapKey", "unwrapKey"), array(v.get("operations")));
      assertTrue(v.containsKey("notBefore") && v.get("notBefore") == null);
      assertTrue(v.containsKey("expires") && v.get("expires") == null);
      assertEquals(i == 1, bool(v.get("latest")));
    }
  }

  @Test
  void rewrap_formatJson_countsMovedFromAndFailuresWithExitCodes() throws Exception {
    CliFixture cli = new CliFixture(dir);
    String v1 = cli.createKey("archive", 2048);
    Path tree = Files.createDirectories(dir.resolve("store"));
    for (String name : List.of("a.cmk", "b.cmk")) {
      assertEquals(0, cli.runWithInput(randomBytes(5_000), "encrypt", "-k", "archive", "-o",
          tree.resolve(name).toString()).exitCode());
    }
    Files.writeString(tree.resolve("notes.txt"), "not an envelope");
    Path forged = tree.resolve("c.cmk");
    Files.write(forged, Envelopes.naming("azure-keyvault",
        "https://evil.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef"));
    String v2 = cli.run("keys", "rotate", "archive").out().strip();

    CliFixture.Result r = cli.run("rewrap", "-k", "archive", "--format", "json", tree.toString());

    assertEquals(ExitCode.KEY_ACCESS, r.exitCode(), r.toString());
    Map<String, Object> j = Json.parse(r);
    assertHeader(j, "rewrap");
    assertFields(j, "schemaVersion", "command", "target", "envelopes", "rewrapped",
        "alreadyCurrent", "format2", "failed", "notEnvelopes", "notAttempted",
        "staleTempFilesRemoved", "staleTempBytesRemoved", "elapsedSeconds", "movedFrom", "failures");
    List<Object> moved = array(j.get("movedFrom"));
    List<Object> failures = array(j.get("failures"));
    assertAll(
        () -> assertEquals(v2, string(j.get("target"))),
        () -> assertEquals(3L, integer(j.get("envelopes"))),
        () -> assertEquals(2L, integer(j.get("rewrapped"))),
        () -> assertEquals(0L, integer(j.get("alreadyCurrent"))),
        () -> assertEquals(0L, integer(j.get("format2"))),
        () -> assertEquals(1L, integer(j.get("failed"))),
        () -> assertEquals(1L, integer(j.get("notEnvelopes"))),
        () -> assertEquals(0L, integer(j.get("notAttempted"))),
        () -> assertEquals(0L, integer(j.get("staleTempFilesRemoved"))),
        () -> assertEquals(0L, integer(j.get("staleTempBytesRemoved"))),
        () -> assertInstanceOf(Number.class, j.get("elapsedSeconds")),
        () -> assertTrue(((Number) j.get("elapsedSeconds")).doubleValue() >= 0),
        () -> assertEquals(1, moved.size()),
        () -> assertFields(object(moved.get(0)), "key", "count"),
        () -> assertEquals(v1, string(object(moved.get(0)).get("key"))),
        () -> assertEquals(2L, integer(object(moved.get(0)).get("count"))),
        () -> assertEquals(1, failures.size()),
        () -> assertFields(object(failures.get(0)), "file", "error", "exitCode"),
        () -> assertEquals(forged.toString(), string(object(failures.get(0)).get("file"))),
        () -> assertTrue(string(object(failures.get(0)).get("error")).contains("not an allowed vault")),
        () -> assertEquals((long) ExitCode.KEY_ACCESS, integer(object(failures.get(0)).get("exitCode"))));

    CliFixture.Result again = cli.run("rewrap", "-k", "archive", "--format", "json",
        tree.resolve("a.cmk").toString());
    assertEquals(ExitCode.OK, again.exitCode(), again.toString());
    Map<String, Object> k = Json.parse(again);
    assertEquals(1L, integer(k.get("alreadyCurrent")));
    assertEquals(List.of(), array(k.get("movedFrom")));
    assertEquals(List.of(), array(k.get("failures")));
  }

  @Test
  void formatOption_unknownValue_usageError() {
    CliFixture cli = new CliFixture(dir);
    CliFixture.Result r = cli.run("keys", "list", "--format", "yaml");
    assertEquals(ExitCode.USAGE, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains("--format"), r.stderr());
  }
}
