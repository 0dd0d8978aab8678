package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.api.spi.SecretSource;
import dev.cmk.softhsm.Pkcs11KeyProvider;
import dev.cmk.testkit.SoftHsmToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cmk} against a real PKCS#11 token (SoftHSM2): the {@code pkcs11} provider is found by
 * {@code ServiceLoader} and built by its real factory from the tool's settings (library, token,
 * PIN source), and unwraps in the token. The token is initialized with {@code softhsm2-util};
 * the envelope is written through cmk-core with a policy that waives deletion protection (a bare
 * token has none, so the CLI's presets refuse to encrypt under it, which {@code check-key}
 * shows). Skipped without SoftHSM2, failed when {@code CI=true}.
 */
class CmkSoftHsmIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir static Path shared;

  private static Path library;
  private static String label;
  private static String userPin;
  private static KeyReference version;
  private static byte[] plaintext;
  private static byte[] envelope;

  @TempDir Path dir;

  private static void unavailable(String why) {
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + " (CI=true: SoftHSM2 is required)");
    }
    Assumptions.abort(why);
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  @BeforeAll
  static void token() throws Exception {
    String conf = System.getenv("SOFTHSM2_CONF");
    if (conf == null || conf.isEmpty()) {
      unavailable("SOFTHSM2_CONF is not set; run the integration tests through Maven");
    }
    library = Path.of(System.getProperty("cmk.softhsm.library", "/usr/lib/softhsm/libsofthsm2.so"));
    Path util = Path.of("/usr/bin/softhsm2-util");
    if (!Files.exists(library) || !Files.isExecutable(util)) {
      unavailable("SoftHSM2 not installed (apt-get install softhsm2)");
    }
    SoftHsmToken.configure(); // a fresh token directory, before this JVM loads the library
    label = "cli-it-" + randomHex(4);
    userPin = randomHex(8);
    Process init = new ProcessBuilder(util.toString(), "--init-token", "--free", "--label", label,
        "--so-pin", randomHex(8), "--pin", userPin)
        .redirectErrorStream(true).redirectOutput(shared.resolve("init.log").toFile()).start();
    assertTrue(init.waitFor(1, TimeUnit.MINUTES));
    assertEquals(0, init.exitValue(), Files.readString(shared.resolve("init.log")));

    KeyPolicy waived = KeyPolicy.builder().name("pkcs11-token").keyTypes(KeyType.RSA_HSM)
        .allowKeysWithoutDeletionProtection().build();
    plaintext = new byte[100_000];
    RANDOM.nextBytes(plaintext);
    try (Pkcs11KeyProvider p = Pkcs11KeyProvider.builder().library(library).tokenLabel(label)
        .pin(SecretSource.ofCallback(userPin::toCharArray)).build()) {
      version = p.manager().createKey("cli-kek", 2048);
      try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(p)
          .writeKey(version.versionless()).keyPolicy(waived).build()) {
        envelope = crypto.encrypt(plaintext, "scan/1".getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private CliFixture cli() {
    CliFixture cli = new CliFixture(dir);
    cli.env.put("CMK_PKCS11_LIBRARY", library.toString());
    cli.env.put("CMK_PKCS11_PIN", userPin);
    return cli;
  }

  @Test
  void decrypt_tokenAllowed_discoveredFactoryBuildsTheProviderAndUnwrapsInTheToken() throws IOException {
    CliFixture cli = cli();
    cli.env.put("CMK_PKCS11_TOKENS", label);
    Path pinFile = dir.resolve("pin");
    Files.writeString(pinFile, userPin + "\n");
    Path envelopeFile = dir.resolve("scan.cmk");
    Files.write(envelopeFile, envelope);

    CliFixture.Result byEnv = cli.run("decrypt", "--aad", "scan/1", envelopeFile.toString());
    CliFixture.Result byFile = cli.run("decrypt", "--aad", "scan/1", "--pin-file", pinFile.toString(),
        "--pkcs11-token", label, envelopeFile.toString());
    CliFixture.Result inspect = cli.run("inspect", "--format", "json", envelopeFile.toString());

    assertEquals(ExitCode.OK, byEnv.exitCode(), byEnv.toString());
    assertArrayEquals(plaintext, byEnv.stdout());
    assertEquals(ExitCode.OK, byFile.exitCode(), byFile.toString());
    assertArrayEquals(plaintext, byFile.stdout());
    Map<String, Object> j = Json.parse(inspect);
    assertEquals("pkcs11", j.get("keyProvider"));
    assertEquals(version.toString(), j.get("keyReference"));
    for (CliFixture.Result r : List.of(byEnv, byFile)) {
      assertFalse(r.stderr().contains(userPin), r.stderr());
    }
  }

  @Test
  void decrypt_tokenNotAllowed_exit3AndWrongPin_exit3WithoutThePin() {
    CliFixture cli = cli();
    cli.env.put("CMK_PKCS11_TOKENS", "another-token");
    CliFixture.Result refused = cli.runWithInput(envelope, "decrypt", "--aad", "scan/1");

    cli.env.put("CMK_PKCS11_TOKENS", label);
    cli.env.put("CMK_PKCS11_PIN", "99999999");
    CliFixture.Result wrongPin = cli.runWithInput(envelope, "--verbose", "decrypt", "--aad", "scan/1");

    assertAll(
        () -> assertEquals(ExitCode.KEY_ACCESS, refused.exitCode(), refused.toString()),
        () -> assertTrue(refused.stderr().contains("'" + label + "', which is not an allowed token"),
            refused.stderr()),
        () -> assertTrue(wrongPin.exitCode() == ExitCode.KEY_ACCESS
            || wrongPin.exitCode() == ExitCode.PROVIDER_UNAVAILABLE, wrongPin.toString()),
        () -> assertEquals(0, wrongPin.stdout().length),
        () -> assertFalse(wrongPin.stderr().contains("99999999"), wrongPin.stderr()),
        () -> assertFalse(wrongPin.stderr().contains(userPin), wrongPin.stderr()));
  }

  @Test
  void checkKey_tokenKeyUnderDicomPolicy_tokenRulesStandForTheVaultRules_exit0() {
    CliFixture cli = cli();
    String key = "pkcs11:token=" + label + ";object=cli-kek";

    CliFixture.Result r = cli.run("check-key", "--policy", "dicom", "--format", "json", key);

    assertEquals(ExitCode.OK, r.exitCode(), r.toString());
    Map<String, Object> j = Json.parse(r);
    assertEquals("pkcs11", j.get("provider"));
    assertEquals(version.toString(), j.get("key"));
    List<Map<String, Object>> requirements =
        Json.array(j.get("requirements")).stream().map(Json::object).toList();
    List<Object> rules = requirements.stream().map(m -> m.get("rule")).map(Object.class::cast)
        .toList();
    assertTrue(rules.containsAll(List.of(KeyPolicy.RULE_TOKEN_PERSISTENT,
        KeyPolicy.RULE_TOKEN_SENSITIVE, KeyPolicy.RULE_TOKEN_NOT_EXTRACTABLE)), rules.toString());
    assertFalse(rules.contains(KeyPolicy.RULE_SOFT_DELETE), "a token has no vault rules");
    assertTrue(requirements.stream().allMatch(m -> Json.bool(m.get("met"))), requirements.toString());
  }

  @Test
  void keys_tokenKey_createRotateDisableEnableListThroughTheTokensKeyManager() {
    CliFixture cli = cli();
    String key = "pkcs11:token=" + label + ";object=cli-managed";

    CliFixture.Result created = cli.run("keys", "create", "--size", "2048", key);
    assertEquals(ExitCode.OK, created.exitCode(), created.toString());
    KeyReference v1 = KeyReference.parse(created.out().strip());
    CliFixture.Result rotated = cli.run("keys", "rotate", key);
    assertEquals(ExitCode.OK, rotated.exitCode(), rotated.toString());
    KeyReference v2 = KeyReference.parse(rotated.out().strip());
    CliFixture.Result disabled = cli.run("keys", "disable", v1.toString());
    CliFixture.Result listed = cli.run("keys", "list", "--pkcs11-token", label, "--format", "json");
    CliFixture.Result one = cli.run("keys", "list", key);
    CliFixture.Result enabled = cli.run("keys", "enable", key);

    assertAll(
        () -> assertEquals(KeyReference.parse(key), v1.versionless()),
        () -> assertTrue(v1.isVersioned() && !v1.equals(v2) && v2.sameKeyAs(v1), v1 + " " + v2),
        () -> assertEquals("disabled " + v1, disabled.out().strip(), disabled.toString()),
        () -> assertEquals(ExitCode.OK, listed.exitCode(), listed.toString()),
        () -> assertTrue(one.out().contains(v2.version().orElseThrow() + " ")
            && one.out().contains("(latest)") && one.out().contains("DISABLED"), one.out()),
        () -> assertEquals("enabled " + v2, enabled.out().strip(), "versionless: the latest"));
    Map<String, Object> j = Json.parse(listed);
    assertEquals(label, j.get("token"));
    Map<String, Object> managed = Json.array(j.get("keys")).stream().map(Json::object)
        .filter(k -> key.equals(k.get("key"))).findFirst().orElseThrow();
    List<Map<String, Object>> versions =
        Json.array(managed.get("versions")).stream().map(Json::object).toList();
    assertEquals(List.of(v1.toString(), v2.toString()),
        versions.stream().map(v -> v.get("reference")).toList());
    assertEquals(List.of(false, true), versions.stream().map(v -> v.get("enabled")).toList());

    try (Pkcs11KeyProvider p = Pkcs11KeyProvider.builder().library(library).tokenLabel(label)
        .pin(SecretSource.ofCallback(userPin::toCharArray)).build()) {
      assertFalse(p.describe(v1).enabled(), "the CLI disabled the version in the token");
      assertEquals(v2, p.resolveLatest(v1.versionless()));
    }
  }

  @Test
  void keysList_unknownTokenOrBothKeyAndToken_failsWithoutThePin() {
    CliFixture cli = cli();
    CliFixture.Result unknown = cli.run("keys", "list", "--pkcs11-token", "no-such-token");
    CliFixture.Result both =
        cli.run("keys", "list", "--pkcs11-token", label, "pkcs11:token=" + label + ";object=x");

    assertTrue(unknown.exitCode() == ExitCode.PROVIDER_UNAVAILABLE
        || unknown.exitCode() == ExitCode.KEY_ACCESS, unknown.toString());
    assertEquals(ExitCode.USAGE, both.exitCode(), both.toString());
    assertFalse(unknown.stderr().contains(userPin), unknown.stderr());
  }
}
