package dev.cmk.softhsm.internal;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.WrapAlgorithm;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * The software halves of RSA-OAEP: encryption with the JDK under a public key exported from the
 * token, the public checks on a wrapped key before it reaches the token, and the OAEP decoding
 * after raw RSA.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class RsaOaep {
  private RsaOaep() {}

  /** The JDK parameters for {@code algorithm}: hash and MGF1 hash equal, empty label. */
  public static OAEPParameterSpec parameters(WrapAlgorithm algorithm) {
    switch (algorithm) {
      case RSA_OAEP_256:
        return new OAEPParameterSpec(
            "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
      case RSA_OAEP_SHA1:
        return new OAEPParameterSpec(
            "SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);
      default:
        throw new IllegalArgumentException("unsupported wrap algorithm " + algorithm);
    }
  }

  /** A fresh digest for {@code algorithm}'s OAEP hash. */
  public static MessageDigest digest(WrapAlgorithm algorithm) {
    try {
      return MessageDigest.getInstance(parameters(algorithm).getDigestAlgorithm());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + algorithm.jwaName() + "'s digest", e);
    }
  }

  /** Longest message {@code algorithm} can encrypt under a {@code modulusBytes}-byte key. */
  public static int maxMessageLength(WrapAlgorithm algorithm, int modulusBytes) {
    return modulusBytes - 2 * digest(algorithm).getDigestLength() - 2;
  }

  /**
   * Encrypts {@code message} with RSA-OAEP under {@code key} in software.
   *
   * @throws IllegalArgumentException if the message is too long for the key
   */
  public static byte[] encrypt(RSAPublicKey key, WrapAlgorithm algorithm, byte[] message) {
    int k = modulusBytes(key.getModulus());
    int max = maxMessageLength(algorithm, k);
    if (message.length > max) {
      throw new IllegalArgumentException(
          "a data key of "
              + message.length
              + " bytes is too long for "
              + algorithm.jwaName()
              + " with an RSA-"
              + key.getModulus().bitLength()
              + " key (at most "
              + max
              + ")");
    }
    try {
      Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, parameters(algorithm));
      return cipher.doFinal(message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot encrypt with " + algorithm.jwaName(), e);
    }
  }

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
}
