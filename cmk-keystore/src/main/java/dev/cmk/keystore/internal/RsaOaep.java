package dev.cmk.keystore.internal;

import dev.cmk.api.WrapAlgorithm;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.spec.MGF1ParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * JDK ciphers for the RSA-OAEP variants cmk uses: OAEP with SHA-256 and MGF1-SHA-256, or SHA-1
 * and MGF1-SHA-1, both with an empty label. Parameters are always explicit: the JDK's default MGF1
 * digest for {@code OAEPWithSHA-256AndMGF1Padding} is SHA-1, which Key Vault's RSA-OAEP-256 is
 * not.
 *
 * <p><b>Thread safety:</b> stateless; each call returns a new {@link Cipher}.
 */
public final class RsaOaep {
  private RsaOaep() {}

  /**
   * An initialised cipher.
   *
   * @param mode {@link Cipher#ENCRYPT_MODE} or {@link Cipher#DECRYPT_MODE}
   * @param key the RSA public (encrypt) or private (decrypt) key
   * @param algorithm the OAEP variant
   * @return the cipher
   * @throws IllegalStateException if the JDK lacks RSA-OAEP (not expected) or the key is not RSA
   */
  public static Cipher cipher(int mode, Key key, WrapAlgorithm algorithm) {
    OAEPParameterSpec spec;
    switch (algorithm) {
      case RSA_OAEP_256:
        spec =
            new OAEPParameterSpec(
                "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
        break;
      case RSA_OAEP_SHA1:
        spec =
            new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);
        break;
      default:
        throw new IllegalStateException("unsupported wrap algorithm " + algorithm);
    }
    try {
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
      c.init(mode, key, spec);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA-OAEP is not available for this key", e);
    }
  }
}
