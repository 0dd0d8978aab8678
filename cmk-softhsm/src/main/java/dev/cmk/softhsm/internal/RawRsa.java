package dev.cmk.softhsm.internal;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.WrapAlgorithm;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The software side of unwrapping with raw RSA ({@code CKM_RSA_X_509}) on a token that cannot
 * decrypt RSA-OAEP itself: the public checks on a wrapped key before it reaches the token, and the
 * OAEP decoding ({@link OaepDecoder}) of what raw RSA returns. Wrapping (RSA-OAEP under the public
 * key read from the token) is cmk-api's one implementation, {@link dev.cmk.api.spi.RsaOaep}; this
 * module has no second one.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class RawRsa {
  private RawRsa() {}

  /** Bytes in the big-endian encoding of a modulus of {@code n}'s size. */
  public static int modulusBytes(BigInteger n) {
    return (n.bitLength() + 7) / 8;
  }

  /**
   * The checks RFC 8017 makes before the RSA operation: the ciphertext is exactly as long as the
   * modulus and, as a number, smaller than it. Both depend only on public data.
   *
   * @throws InvalidCiphertextException if either fails
   */
  public static void checkCiphertext(byte[] ciphertext, BigInteger modulus) {
    if (ciphertext.length != modulusBytes(modulus)
        || new BigInteger(1, ciphertext).compareTo(modulus) >= 0) {
      throw new InvalidCiphertextException();
    }
  }

  /**
   * Left-pads the output of a raw RSA decryption to the modulus length (tokens may drop leading
   * zero bytes) and OAEP-decodes it.
   *
   * @param rawOutput what {@code CKM_RSA_X_509} decryption returned; wiped
   * @param modulusBytes length of the modulus
   * @param algorithm the OAEP variant
   * @return the message
   * @throws InvalidCiphertextException on any padding failure
   */
  public static byte[] decodeRaw(byte[] rawOutput, int modulusBytes, WrapAlgorithm algorithm) {
    byte[] em = new byte[modulusBytes];
    try {
      if (rawOutput.length > modulusBytes) {
        throw new InvalidCiphertextException();
      }
      System.arraycopy(rawOutput, 0, em, modulusBytes - rawOutput.length, rawOutput.length);
      return OaepDecoder.decode(em, digest(algorithm), new byte[0]);
    } finally {
      Arrays.fill(rawOutput, (byte) 0);
      Arrays.fill(em, (byte) 0);
    }
  }

  /** A fresh digest for {@code algorithm}'s OAEP hash. */
  static MessageDigest digest(WrapAlgorithm algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.digestName());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + algorithm.jwaName() + "'s digest", e);
    }
  }
}
