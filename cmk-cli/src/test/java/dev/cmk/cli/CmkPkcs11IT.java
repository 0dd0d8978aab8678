package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.SecretSource;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.softhsm.Pkcs11KeyProvider;
import dev.cmk.testkit.SoftHsmToken;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cmk} with keys an HSM administrator made on a real SoftHSM2 token with OpenSC's {@code
 * pkcs11-tool}: a binary {@code CKA_ID} ({@code id=%01%02}) and a label with spaces and {@code #}
 * are found and decrypt; an EC key and an RSA-1024 key are refused by the key policy (exit 5)
 * naming the rule, never "key not found on the token".
 */
class CmkPkcs11IT {
  private static final String RSA_OBJECT = "object=HSM%20admin%20key%20%231;id=%01%02";

  @TempDir static Path dir;
  private static SoftHsmToken token;

  @BeforeAll
  static void setUp() {
    token = SoftHsmToken.create("cli-it");
    token.keypairgen("rsa:2048", "0102", "HSM admin key #1");
    token.keypairgen("EC:prime256v1", "ec01", "ec-key");
    token.keypairgen("rsa:1024", "01", "small-key");
  }

  private static String ref(String attributes) {
    return "pkcs11:token=" + token.label() + ";" + attributes;
  }

  private static CliFixture cli() {
    CliFixture cli = new CliFixture(dir);
    cli.env.put("CMK_PKCS11_LIBRARY", SoftHsmToken.library().toString());
    cli.env.put("CMK_PKCS11_PIN", token.pin());
    return cli;
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  @Test
  void decrypt_envelopeUnderPkcs11ToolKeyWithBinaryId_roundTripsAndInspectNamesTheId() {
    byte[] plaintext = randomBytes(50_000);
    byte[] envelope;
    // Written in-process under a policy that waives deletion protection, so that this test does
    // not depend on how the presets judge token keys (see the disabled test below).
    try (Pkcs11KeyProvider p =
            Pkcs11KeyProvider.builder()
                .library(SoftHsmToken.library())
                .tokenLabel(token.label())
                .pin(SecretSource.ofCallback(token.pin()::toCharArray))
                .build();
        EnvelopeCrypto crypto =
            EnvelopeCrypto.builder()
                .provider(p)
                .writeKey(KeyReference.parse(ref("object=HSM%20admin%20key%20%231")))
                .keyPolicy(KeyPolicy.builder().allowKeysWithoutDeletionProtection().build())
                .build()) {
      envelope = crypto.encrypt(plaintext, "Patient/7".getBytes(StandardCharsets.UTF_8));
    }
    CliFixture cli = cli();
    CliFixture.Result info = cli.runWithInput(envelope, "inspect", "-");
    assertEquals(0, info.exitCode(), info.toString());
    assertTrue(info.out().contains(ref(RSA_OBJECT)), info.out());

    CliFixture.Result dec =
        cli.runWithInput(
            envelope, "decrypt", "--aad", "Patient/7", "--pkcs11-token", token.label(), "-");
    assertEquals(0, dec.exitCode(), dec.toString());
    assertArrayEquals(plaintext, dec.stdout());
  }

  @Test
  void encrypt_ecKeyOnToken_exit5NamingTheKeyTypeRuleNotKeyNotFound() {
    CliFixture.Result r =
        cli().runWithInput(randomBytes(100), "encrypt", "--key", ref("object=ec-key"), "-");
    assertAll(
        () -> assertEquals(ExitCode.POLICY_VIOLATION, r.exitCode(), r.toString()),
        () -> assertTrue(r.stderr().contains("key type EC-HSM not in"), r.stderr()),
        () -> assertFalse(r.stderr().contains("not found"), r.stderr()),
        () -> assertEquals(0, r.stdout().length, "no envelope written"));
  }

  @Test
  void encrypt_rsa1024KeyOnToken_exit5NamingTheKeySizeRule() {
    CliFixture.Result r =
        cli().runWithInput(randomBytes(100), "encrypt", "--key", ref("object=small-key"), "-");
    assertAll(
        () -> assertEquals(ExitCode.POLICY_VIOLATION, r.exitCode(), r.toString()),
        () -> assertTrue(r.stderr().contains("key size 1024 not in"), r.stderr()),
        () -> assertFalse(r.stderr().contains("not found"), r.stderr()));
  }

  @Test
  void encrypt_pkcs11ToolKeyUnderBothPresets_roundTrips() {
    for (String policy : new String[] {"dicom", "fhir"}) {
      CliFixture cli = cli();
      byte[] plaintext = randomBytes(10_000);
      CliFixture.Result enc =
          cli.runWithInput(
              plaintext,
              "encrypt",
              "--key",
              ref("object=HSM%20admin%20key%20%231"),
              "--policy",
              policy,
              "--aad",
              "Study/1",
              "-");
      assertEquals(0, enc.exitCode(), policy + ": " + enc);
      CliFixture.Result dec =
          cli.runWithInput(
              enc.stdout(), "decrypt", "--aad", "Study/1", "--pkcs11-token", token.label(), "-");
      assertEquals(0, dec.exitCode(), policy + ": " + dec);
      assertArrayEquals(plaintext, dec.stdout());
    }
  }
}
