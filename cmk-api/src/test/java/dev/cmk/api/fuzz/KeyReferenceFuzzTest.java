package dev.cmk.api.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cmk.api.KeyReference;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of {@link KeyReference#parse}, which reads key references out of
 * envelope headers (attacker-controlled) and configuration. Input bytes are decoded as UTF-8.
 *
 * <p>Contract: the only exception is {@link IllegalArgumentException}, and its message never
 * repeats a {@code pin-value} given in the input; no input hangs; whatever parses has a canonical
 * form of at most 1024 printable ASCII characters that parses back to an equal reference with the
 * same text (idempotent), and its versionless and re-versioned forms are consistent.
 *
 * <p>In a normal build the seeds below run once each (regression mode). To fuzz:
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -pl cmk-api test -Djacoco.skip=true -Dtest=KeyReferenceFuzzTest \
 *     -Djazzer.max_duration=10m
 * </pre>
 *
 * A failing input is written to {@code cmk-api/} (Jazzer logs the file name).
 */
class KeyReferenceFuzzTest {
  private static final Pattern PIN_VALUE =
      Pattern.compile("pin-value=([^;?&]{4,})", Pattern.CASE_INSENSITIVE);
  /** A pin-value attribute (values are percent-encoded in canonical form, so '=' is literal). */
  private static final Pattern PIN_ATTRIBUTE =
      Pattern.compile("[:;?&]pin-value=", Pattern.CASE_INSENSITIVE);
  private static final Pattern KEY_NAME = Pattern.compile("[0-9a-zA-Z-]{1,127}");

  static Stream<Arguments> seeds() {
    return Stream.of(
            "https://cmkvault.vault.azure.net/keys/patient-data",
            "https://cmkvault.vault.azure.net/keys/patient-data/0123456789abcdef0123456789ABCDEF",
            "HTTPS://CmkVault.Vault.Azure.Net:443/keys/k/",
            "https://cmk-hsm.managedhsm.azure.net/keys/dicom/00112233445566778899aabbccddeeff",
            "https://vault-01.vault.usgovcloudapi.net:8443/keys/a-b-c",
            "https://x.vault.azure.net/keys/k?api-version=7.4",
            "https://ab.vault.azure.net/keys/k",
            "pkcs11:token=cmk;object=patient-data;id=v2",
            "pkcs11:object=k;token=My%20Token;serial=1234;slot-id=0;type=private",
            "pkcs11:object=k;pin-value=123456",
            "pkcs11:object=k?pin-value=s3cret-pin",
            "pin-value=local:",
            "pkcs11:object=k;object=k2",
            "pkcs11:token=%E2%82%AC;object=euro",
            "local:patient-data",
            "local:patient-data/00000001",
            "local:a/b/c",
            "local:",
            "file:///etc/passwd")
        .map(s -> arguments(named(s, s.getBytes(StandardCharsets.UTF_8))));
  }

  @MethodSource("seeds")
  @FuzzTest(maxDuration = "5m")
  @Timeout(value = 5, unit = TimeUnit.SECONDS)
  void parse_anyText_onlyIllegalArgumentAndStableCanonicalForm(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    KeyReference ref;
    try {
      ref = KeyReference.parse(text);
    } catch (IllegalArgumentException e) {
      assertNoPinInMessage(text, String.valueOf(e.getMessage()));
      return;
    }
    String canonical = ref.toString();
    assertTrue(canonical.length() <= KeyReference.MAX_LENGTH, "canonical form too long");
    assertTrue(canonical.chars().allMatch(c -> c > 0x20 && c < 0x7f),
        "canonical form is not printable ASCII: " + canonical);
    assertFalse(PIN_ATTRIBUTE.matcher(canonical).find(), "a PIN in " + canonical);
    assertFalse(ref.pkcs11Attributes().containsKey("pin-value"), canonical);

    KeyReference again = KeyReference.parse(canonical);
    assertEquals(ref, again);
    assertEquals(canonical, again.toString());
    assertEquals(ref.hashCode(), again.hashCode());
    assertEquals(ref.kind(), again.kind());
    assertEquals(ref.authority(), again.authority());
    assertEquals(ref.pkcs11Attributes(), again.pkcs11Attributes());
    assertTrue(KEY_NAME.matcher(ref.name()).matches(), ref.name());

    KeyReference versionless = ref.versionless();
    assertFalse(versionless.isVersioned());
    assertTrue(versionless.sameKeyAs(ref));
    assertEquals(versionless, KeyReference.parse(versionless.toString()));
    assertEquals(ref.isVersioned(), ref.version().isPresent());
    ref.version().ifPresent(v -> assertEquals(ref, versionless.withVersion(v)));

    boolean azure = ref.kind() == KeyReference.Kind.AZURE_KEY_VAULT
        || ref.kind() == KeyReference.Kind.AZURE_MANAGED_HSM;
    assertEquals(azure, ref.vaultUrl().isPresent());
    ref.vaultUrl().ifPresent(url -> assertTrue(canonical.startsWith(url + "/keys/"), canonical));
  }

  /**
   * A PIN given as {@code pin-value=...} must not reach the message. The message's fixed text may
   * happen to contain the same characters ({@code pin-value=local:}), so a match counts only if
   * the same input with the PIN replaced by zeros yields a message without it.
   */
  private static void assertNoPinInMessage(String text, String message) {
    Matcher pin = PIN_VALUE.matcher(text);
    while (pin.find()) {
      String value = pin.group(1);
      if (message.contains(value)) {
        String neutral = text.substring(0, pin.start(1)) + "0".repeat(value.length())
            + text.substring(pin.end(1));
        String neutralMessage;
        try {
          KeyReference.parse(neutral);
          neutralMessage = "";
        } catch (IllegalArgumentException e) {
          neutralMessage = String.valueOf(e.getMessage());
        }
        assertTrue(neutralMessage.contains(value), "message repeats a PIN: " + message);
      }
    }
  }
}
