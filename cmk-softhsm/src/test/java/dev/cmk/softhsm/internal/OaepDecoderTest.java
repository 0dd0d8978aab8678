package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.spi.RsaOaep;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.Cipher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The software OAEP decoder against the Wycheproof RSA-OAEP-256 vectors (2048 and 3072 bits), with
 * raw RSA done by the JDK as the token would do it, and against JDK-encrypted messages.
 */
class OaepDecoderTest {

  private static KeyPair rsa2048;

  @BeforeAll
  static void generateKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    rsa2048 = g.generateKeyPair();
  }

  /** What {@code CKM_RSA_X_509} decryption returns, done in software. */
  static byte[] rawRsa(RSAPrivateKey key, byte[] ciphertext) throws Exception {
    Cipher raw = Cipher.getInstance("RSA/ECB/NoPadding");
    raw.init(Cipher.DECRYPT_MODE, key);
    return raw.doFinal(ciphertext);
  }

  private static byte[] leftPad(byte[] b, int length) {
    byte[] out = new byte[length];
    System.arraycopy(b, 0, out, length - b.length, b.length);
    return out;
  }

  /** Public checks, raw RSA and decoding, as the provider does it (with a label). */
  private static byte[] decrypt(RSAPrivateKey key, byte[] ct, byte[] label) throws Exception {
    RawRsa.checkCiphertext(ct, key.getModulus());
    int k = RawRsa.modulusBytes(key.getModulus());
    byte[] em = leftPad(rawRsa(key, ct), k);
    return OaepDecoder.decode(em, MessageDigest.getInstance("SHA-256"), label);
  }

  @Test
  void decode_wycheproofVectors_acceptValidAndRejectInvalidWithOneError() throws Exception {
    int valid = 0;
    int invalid = 0;
    Set<String> errors = new HashSet<>();
    List<String> failures = new ArrayList<>();
    for (WycheproofOaep.Vectors file : WycheproofOaep.load()) {
      for (WycheproofOaep.Case c : file.cases()) {
        String where = file.file() + " " + c;
        if (c.valid()) {
          try {
            byte[] msg = decrypt(file.privateKey(), c.ct(), c.label());
            if (!Arrays.equals(c.msg(), msg)) {
              failures.add(where + ": wrong plaintext");
            }
            valid++;
          } catch (InvalidCiphertextException e) {
            failures.add(where + ": rejected a valid case");
          }
        } else {
          try {
            decrypt(file.privateKey(), c.ct(), c.label());
            failures.add(where + ": accepted an invalid case");
          } catch (InvalidCiphertextException e) {
            assertNull(e.getCause(), where + ": the error must not carry a cause");
            errors.add(e.getClass().getName() + ": " + e.getMessage());
            invalid++;
          }
        }
      }
    }
    assertEquals(List.of(), failures);
    assertEquals(36, valid, "valid cases in the two files");
    assertEquals(38, invalid, "invalid cases in the two files");
    assertEquals(
        Set.of(InvalidCiphertextException.class.getName() + ": " + InvalidCiphertextException.MESSAGE),
        errors,
        "every padding or ciphertext failure looks the same");
  }

  @Test
  void decodeRaw_jdkOaep256AndSha1_roundTripsEveryLength() throws Exception {
    RSAPublicKey pub = (RSAPublicKey) rsa2048.getPublic();
    RSAPrivateKey priv = (RSAPrivateKey) rsa2048.getPrivate();
    for (WrapAlgorithm alg : WrapAlgorithm.values()) {
      int max = alg.maxMessageLength(256);
      for (int len : new int[] {1, 16, 32, max - 1, max}) {
        byte[] msg = new byte[len];
        Arrays.fill(msg, (byte) len);
        byte[] ct = RsaOaep.wrap(pub, alg, SecretBytes.copyOf(msg));
        assertArrayEquals(msg, RawRsa.decodeRaw(rawRsa(priv, ct), 256, alg), alg + " length " + len);
      }
    }
  }

  @Test
  void decodeRaw_sha1CiphertextDecodedAsSha256_invalidCiphertext() throws Exception {
    byte[] ct = RsaOaep.wrap((RSAPublicKey) rsa2048.getPublic(), WrapAlgorithm.RSA_OAEP_SHA1, SecretBytes.copyOf(new byte[32]));
    byte[] raw = rawRsa((RSAPrivateKey) rsa2048.getPrivate(), ct);
    assertThrows(
        InvalidCiphertextException.class,
        () -> RawRsa.decodeRaw(raw, 256, WrapAlgorithm.RSA_OAEP_256));
  }

  @Test
  void decodeRaw_outputLongerThanModulus_invalidCiphertext() {
    assertThrows(
        InvalidCiphertextException.class,
        () -> RawRsa.decodeRaw(new byte[257], 256, WrapAlgorithm.RSA_OAEP_256));
  }

  @Test
  void decodeRaw_leadingZerosDroppedByToken_stillDecodes() throws Exception {
    RSAPrivateKey priv = (RSAPrivateKey) rsa2048.getPrivate();
    byte[] msg = {1, 2, 3};
    byte[] raw = rawRsa(priv, RsaOaep.wrap((RSAPublicKey) rsa2048.getPublic(), WrapAlgorithm.RSA_OAEP_256, SecretBytes.copyOf(msg)));
    assertEquals(0, raw[0], "EM starts with the zero byte Y");
    byte[] stripped = Arrays.copyOfRange(raw, 1, raw.length);
    assertArrayEquals(msg, RawRsa.decodeRaw(stripped, 256, WrapAlgorithm.RSA_OAEP_256));
  }

  @Test
  void decodeRaw_wipesTheRawOutput() throws Exception {
    byte[] raw = rawRsa(
        (RSAPrivateKey) rsa2048.getPrivate(),
        RsaOaep.wrap((RSAPublicKey) rsa2048.getPublic(), WrapAlgorithm.RSA_OAEP_256, SecretBytes.copyOf(new byte[] {7})));
    RawRsa.decodeRaw(raw, 256, WrapAlgorithm.RSA_OAEP_256);
    assertTrue(Arrays.equals(new byte[raw.length], raw), "raw RSA output is zeroed after decoding");
  }

  @Test
  void decode_tooShortForDigest_invalidCiphertext() throws Exception {
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    assertThrows(InvalidCiphertextException.class, () -> OaepDecoder.decode(new byte[65], sha256, new byte[0]));
  }

  @Test
  void checkCiphertext_wrongLengthOrNotBelowModulus_invalidCiphertext() {
    BigInteger n = ((RSAPublicKey) rsa2048.getPublic()).getModulus();
    byte[] nBytes = leftPad(toUnsigned(n), 256);
    byte[] nMinusOne = leftPad(toUnsigned(n.subtract(BigInteger.ONE)), 256);
    RawRsa.checkCiphertext(nMinusOne, n);
    RawRsa.checkCiphertext(new byte[256], n);
    assertThrows(InvalidCiphertextException.class, () -> RawRsa.checkCiphertext(nBytes, n));
    assertThrows(InvalidCiphertextException.class, () -> RawRsa.checkCiphertext(new byte[255], n));
    assertThrows(InvalidCiphertextException.class, () -> RawRsa.checkCiphertext(new byte[257], n));
  }

  private static byte[] toUnsigned(BigInteger v) {
    byte[] b = v.toByteArray();
    return b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }

  @Test
  void encrypt_messageLongerThanOaepAllows_illegalArgumentNamingSizes() {
    RSAPublicKey pub = (RSAPublicKey) rsa2048.getPublic();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RsaOaep.wrap(pub, WrapAlgorithm.RSA_OAEP_256, SecretBytes.copyOf(new byte[191])));
    assertTrue(e.getMessage().contains("at most 190"), e.getMessage());
  }
}
