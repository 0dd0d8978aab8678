package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.testkit.TestKeyPairs;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import javax.crypto.Cipher;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of the OAEP decoder: round trips and single-bit tampering of the encoded message. */
class OaepDecoderPropertyTest {

  private static final KeyPair KEY = TestKeyPairs.rsa2048();

  private static byte[] encodedMessage(WrapAlgorithm alg, byte[] message) throws Exception {
    // The JDK's own OAEP encoder (an empty message too), independent of the code under test.
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(Cipher.ENCRYPT_MODE, (RSAPublicKey) KEY.getPublic(), alg.oaepParameters());
    byte[] ct = oaep.doFinal(message);
    Cipher raw = Cipher.getInstance("RSA/ECB/NoPadding");
    raw.init(Cipher.DECRYPT_MODE, (RSAPrivateKey) KEY.getPrivate());
    byte[] out = raw.doFinal(ct);
    byte[] em = new byte[256];
    System.arraycopy(out, 0, em, 256 - out.length, out.length);
    return em;
  }

  @Property(tries = 150)
  void decode_anyMessageUpToMaximum_roundTrips(
      @ForAll @Size(max = 190) byte[] message, @ForAll boolean sha1) throws Exception {
    WrapAlgorithm alg = sha1 ? WrapAlgorithm.RSA_OAEP_SHA1 : WrapAlgorithm.RSA_OAEP_256;
    if (message.length > alg.maxMessageLength(256)) {
      message = Arrays.copyOf(message, alg.maxMessageLength(256));
    }
    byte[] em = encodedMessage(alg, message);
    assertArrayEquals(message, OaepDecoder.decode(em, RawRsa.digest(alg), new byte[0]));
  }

  @Property(tries = 150)
  void decode_anySingleBitFlipInEncodedMessage_invalidCiphertextWithoutCause(
      @ForAll @Size(min = 1, max = 64) byte[] message, @ForAll @IntRange(max = 256 * 8 - 1) int bit)
      throws Exception {
    byte[] em = encodedMessage(WrapAlgorithm.RSA_OAEP_256, message);
    em[bit / 8] ^= (byte) (1 << (bit % 8));
    InvalidCiphertextException e =
        assertThrows(
            InvalidCiphertextException.class,
            () -> OaepDecoder.decode(em, MessageDigest.getInstance("SHA-256"), new byte[0]));
    assertEquals(InvalidCiphertextException.MESSAGE, e.getMessage());
    assertNull(e.getCause());
  }

  @Property(tries = 50)
  void decode_wrongLabel_invalidCiphertext(
      @ForAll @Size(min = 1, max = 32) byte[] message, @ForAll @Size(min = 1, max = 16) byte[] label)
      throws Exception {
    byte[] em = encodedMessage(WrapAlgorithm.RSA_OAEP_256, message);
    assertThrows(
        InvalidCiphertextException.class,
        () -> OaepDecoder.decode(em, MessageDigest.getInstance("SHA-256"), label));
  }
}
