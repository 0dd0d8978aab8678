package dev.cmk.api.spi;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAKey;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;

/**
 * The one RSA-OAEP key wrap of cmk: wraps a data key under an RSA public key and unwraps it with
 * the private key, with the exact parameters of a {@link WrapAlgorithm} (never the JDK's
 * defaults). Used by every provider that holds or exports RSA keys in this process (keystore,
 * in-memory, the Azure provider's local wrap, the loopback vault, the PKCS#11 provider's software
 * wrap).
 *
 * <p><b>Security guarantees:</b> every unwrap failure that depends on the ciphertext (bad OAEP
 * padding, wrong length, a value not smaller than the modulus, an empty message) is one {@link
 * InvalidCiphertextException} <em>without a cause</em>, so that neither the exception nor its
 * message tells which check failed (Manger's attack). Plaintext copies made here are wiped before
 * returning. Messages never contain key material or data keys.
 *
 * <p><b>Thread safety:</b> stateless; every call uses its own {@link Cipher}. Safe for concurrent
 * use.
 */
public final class RsaOaep {
  /** One shared source for OAEP seeds (SecureRandom is thread-safe; seeding one per wrap is waste). */
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final String TRANSFORMATION = "RSA/ECB/OAEPPadding";

  private RsaOaep() {}

  /**
   * Wraps {@code dataKey} under {@code key} with fresh randomness from a new {@link SecureRandom}.
   *
   * @param key an RSA public key
   * @param algorithm the OAEP variant
   * @param dataKey the data key; neither modified nor destroyed
   * @return the wrapped bytes, as long as the modulus
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code key} is not an RSA key, or the data key is longer
   *     than {@link WrapAlgorithm#maxMessageLength(int)} for this key
   * @throws IllegalStateException if {@code dataKey} is destroyed, or the JDK lacks RSA-OAEP
   */
  public static byte[] wrap(PublicKey key, WrapAlgorithm algorithm, SecretBytes dataKey) {
    return wrap(key, algorithm, dataKey, RANDOM);
  }

  /**
   * Wraps {@code dataKey} under {@code key}, taking the OAEP seed from {@code random}.
   *
   * @param key an RSA public key
   * @param algorithm the OAEP variant
   * @param dataKey the data key; neither modified nor destroyed
   * @param random the source of the OAEP seed
   * @return the wrapped bytes, as long as the modulus
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code key} is not an RSA key, or the data key is longer
   *     than {@link WrapAlgorithm#maxMessageLength(int)} for this key
   * @throws IllegalStateException if {@code dataKey} is destroyed, or the JDK lacks RSA-OAEP
   */
  public static byte[] wrap(
      PublicKey key, WrapAlgorithm algorithm, SecretBytes dataKey, SecureRandom random) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(dataKey, "dataKey");
    Objects.requireNonNull(random, "random");
    int bits = modulusBits(key);
    int max = algorithm.maxMessageLength((bits + 7) / 8);
    if (dataKey.length() > max) {
      throw new IllegalArgumentException(
          "a data key of "
              + dataKey.length()
              + " bytes is too long for "
              + algorithm.jwaName()
              + " under an RSA-"
              + bits
              + " key (at most "
              + Math.max(max, 0)
              + ")");
    }
    Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key, algorithm, random);
    byte[] plain = dataKey.copy();
    try {
      return cipher.doFinal(plain);
    } catch (IllegalBlockSizeException | BadPaddingException e) {
      // The length was checked above: not expected from a conforming JDK provider.
      throw new IllegalStateException("the JDK refused to " + algorithm.jwaName() + "-wrap", e);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * Unwraps a data key.
   *
   * @param key the RSA private key of the version named by the wrapped key
   * @param algorithm the OAEP variant the bytes were wrapped with
   * @param wrapped the wrapped bytes; not modified
   * @return the data key; the caller owns and should destroy it
   * @throws InvalidCiphertextException without a cause if the bytes do not unwrap under {@code
   *     key} (any padding or length failure, or an empty message)
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code key} is not an RSA private key the JDK can use
   * @throws IllegalStateException if the JDK lacks RSA-OAEP
   */
  public static SecretBytes unwrap(PrivateKey key, WrapAlgorithm algorithm, byte[] wrapped) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(wrapped, "wrapped");
    Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, algorithm, null);
    byte[] plain;
    try {
      plain = cipher.doFinal(wrapped);
    } catch (IllegalBlockSizeException | BadPaddingException e) {
      // No cause, on purpose: padding details must not travel.
      throw new InvalidCiphertextException();
    }
    if (plain.length == 0) {
      throw new InvalidCiphertextException();
    }
    return SecretBytes.wrapOwned(plain);
  }

  private static int modulusBits(PublicKey key) {
    if (!(key instanceof RSAKey) || !"RSA".equals(key.getAlgorithm())) {
      throw new IllegalArgumentException(
          "RSA-OAEP needs an RSA public key, found " + key.getAlgorithm());
    }
    return ((RSAKey) key).getModulus().bitLength();
  }

  private static Cipher cipher(int mode, Key key, WrapAlgorithm algorithm, SecureRandom random) {
    Cipher c;
    try {
      c = Cipher.getInstance(TRANSFORMATION);
    } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
      throw new IllegalStateException("the JDK lacks " + TRANSFORMATION, e);
    }
    try {
      if (random == null) {
        c.init(mode, key, algorithm.oaepParameters());
      } else {
        c.init(mode, key, algorithm.oaepParameters(), random);
      }
      return c;
    } catch (InvalidKeyException e) {
      throw new IllegalArgumentException(
          "the key cannot be used for " + algorithm.jwaName() + " (" + key.getAlgorithm() + ")", e);
    } catch (InvalidAlgorithmParameterException e) {
      throw new IllegalStateException("the JDK does not support " + algorithm.jwaName(), e);
    }
  }
}
