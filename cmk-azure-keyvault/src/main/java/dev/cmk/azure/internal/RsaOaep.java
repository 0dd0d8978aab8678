package dev.cmk.azure.internal;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/** Local RSA-OAEP-256 wrapping with a Key Vault key's public half. */
public final class RsaOaep {
  private static final OAEPParameterSpec OAEP_256 =
      new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
  private static final int OAEP_256_OVERHEAD = 2 * 32 + 2;

  private RsaOaep() {}

  /**
   * Builds an RSA public key from a JSON Web Key's modulus and exponent.
   *
   * @param n the modulus, unsigned big-endian
   * @param e the public exponent, unsigned big-endian
   * @return the key
   * @throws IllegalArgumentException if the numbers do not form an RSA public key
   */
  public static RSAPublicKey publicKey(byte[] n, byte[] e) {
    if (n == null || e == null || n.length == 0 || e.length == 0) {
      throw new IllegalArgumentException("the JSON Web Key has no RSA modulus or exponent");
    }
    try {
      return (RSAPublicKey)
          KeyFactory.getInstance("RSA")
              .generatePublic(new RSAPublicKeySpec(new BigInteger(1, n), new BigInteger(1, e)));
    } catch (GeneralSecurityException ex) {
      throw new IllegalArgumentException("the JSON Web Key is not a valid RSA public key", ex);
    }
  }

  /**
   * Encrypts {@code plaintext} with RSAES-OAEP, SHA-256 and MGF1-SHA-256, empty label (Key
   * Vault's {@code RSA-OAEP-256}).
   *
   * @param key the public key
   * @param plaintext what to wrap
   * @return the wrapped bytes, as long as the modulus
   * @throws IllegalArgumentException if {@code plaintext} is too long for the key
   */
  public static byte[] wrap(RSAPublicKey key, byte[] plaintext) {
    int modulusBytes = (key.getModulus().bitLength() + 7) / 8;
    if (plaintext.length > modulusBytes - OAEP_256_OVERHEAD) {
      throw new IllegalArgumentException(
          "a " + plaintext.length + "-byte key cannot be wrapped with RSA-OAEP-256 under a "
              + key.getModulus().bitLength() + "-bit key");
    }
    try {
      Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, OAEP_256);
      return cipher.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA-OAEP-256 is not available in this JVM", e);
    }
  }
}
