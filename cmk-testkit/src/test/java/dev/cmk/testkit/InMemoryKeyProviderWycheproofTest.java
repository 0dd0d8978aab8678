package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Project Wycheproof's RSAES-OAEP SHA-256 / MGF1-SHA-256 decryption vectors (2048 and 3072 bits)
 * through {@link InMemoryKeyProvider#unwrap}: every valid vector with an empty label and a
 * non-empty message unwraps to its message; every other vector (invalid padding, malformed
 * ciphertext, a non-empty label, an empty message) fails with {@link InvalidCiphertextException},
 * or cannot even be put into a {@link WrappedKey} (empty ciphertext). The vectors come from this
 * module's resources ({@link WycheproofVectors}); a missing file fails the test.
 */
class InMemoryKeyProviderWycheproofTest {

  /** One test case; byte fields decoded. */
  private record Vector(int tcId, String comment, byte[] msg, byte[] ct, byte[] label, String result) {}

  private static final Pattern PKCS8 = Pattern.compile("\"privateKeyPkcs8\"\\s*:\\s*\"([0-9a-f]+)\"");
  private static final Pattern TEST =
      Pattern.compile(
          "\\{\\s*\"tcId\"\\s*:\\s*(\\d+),\\s*\"comment\"\\s*:\\s*\"([^\"]*)\",\\s*\"flags\"\\s*:\\s*\\[[^\\]]*\\],"
              + "\\s*\"msg\"\\s*:\\s*\"([0-9a-f]*)\",\\s*\"ct\"\\s*:\\s*\"([0-9a-f]*)\","
              + "\\s*\"label\"\\s*:\\s*\"([0-9a-f]*)\",\\s*\"result\"\\s*:\\s*\"(\\w+)\"\\s*\\}");

  @TestFactory
  Stream<DynamicTest> unwrap_wycheproofRsaOaep2048Vectors_matchExpectedResult() throws Exception {
    return vectors(WycheproofVectors.RSA_OAEP_2048_SHA256, 2048);
  }

  @TestFactory
  Stream<DynamicTest> unwrap_wycheproofRsaOaep3072Vectors_matchExpectedResult() throws Exception {
    return vectors(WycheproofVectors.RSA_OAEP_3072_SHA256, 3072);
  }

  private Stream<DynamicTest> vectors(String file, int keySize) throws Exception {
    String json = WycheproofVectors.json(file);
    Matcher key = PKCS8.matcher(json);
    assertTrue(key.find(), "private key in " + file);
    KeyFactory rsa = KeyFactory.getInstance("RSA");
    RSAPrivateCrtKey priv =
        (RSAPrivateCrtKey)
            rsa.generatePrivate(new PKCS8EncodedKeySpec(HexFormat.of().parseHex(key.group(1))));
    KeyPair pair =
        new KeyPair(
            rsa.generatePublic(new RSAPublicKeySpec(priv.getModulus(), priv.getPublicExponent())),
            priv);
    InMemoryKeyProvider provider = InMemoryKeyProvider.create();
    KeyReference version = provider.manager().importKey("wycheproof-" + keySize, pair);
    assertEquals(keySize, provider.describe(version).sizeBits());

    List<Vector> vectors = new ArrayList<>();
    Matcher m = TEST.matcher(json);
    while (m.find()) {
      HexFormat hex = HexFormat.of();
      vectors.add(
          new Vector(
              Integer.parseInt(m.group(1)),
              m.group(2),
              hex.parseHex(m.group(3)),
              hex.parseHex(m.group(4)),
              hex.parseHex(m.group(5)),
              m.group(6)));
    }
    assertEquals(37, vectors.size(), "test cases parsed from " + file);

    return vectors.stream()
        .map(
            v ->
                DynamicTest.dynamicTest(
                    "tcId " + v.tcId() + " " + v.result() + " " + v.comment(),
                    () -> check(provider, version, v)));
  }

  private static void check(InMemoryKeyProvider provider, KeyReference version, Vector v) {
    if (v.ct().length == 0) {
      assertThrows(
          IllegalArgumentException.class,
          () -> new WrappedKey(provider.id(), version, WrapAlgorithm.RSA_OAEP_256, v.ct()));
      return;
    }
    WrappedKey wrapped = new WrappedKey(provider.id(), version, WrapAlgorithm.RSA_OAEP_256, v.ct());
    boolean unwraps = v.result().equals("valid") && v.label().length == 0 && v.msg().length > 0;
    if (unwraps) {
      assertArrayEquals(v.msg(), provider.unwrap(wrapped).copy());
    } else {
      InvalidCiphertextException e =
          assertThrows(InvalidCiphertextException.class, () -> provider.unwrap(wrapped));
      assertEquals(InvalidCiphertextException.MESSAGE, e.getMessage());
      assertEquals(null, e.getCause(), "no padding detail travels with the exception");
    }
  }
}
