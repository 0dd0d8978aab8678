package dev.cmk.testkit.keyvault;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.spi.RsaOaep;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import org.jspecify.annotations.Nullable;

/** RSA encryption for {@link KeyCrypto}: RSA-OAEP-256, RSA-OAEP and RSA1_5. Stateless. */
final class RsaCipher {
  private RsaCipher() {}

  /**
   * The RSA operation of {@code alg}: RSA-OAEP-256 and RSA-OAEP through cmk-api's {@link RsaOaep}
   * (the one RSA-OAEP of cmk), RSA1_5 through the JDK; any failure is Key Vault's 400.
   */
  static byte[] apply(String alg, boolean encrypting, KeyPair pair, byte[] input) {
    WrapAlgorithm oaep = oaep(alg);
    if (oaep != null) {
      try {
        if (encrypting) {
          return RsaOaep.wrap(pair.getPublic(), oaep, SecretBytes.copyOf(input));
        }
        SecretBytes plain = RsaOaep.unwrap(pair.getPrivate(), oaep, input);
        try {
          return plain.copy();
        } finally {
          plain.destroy();
        }
      } catch (IllegalArgumentException | InvalidCiphertextException e) {
        throw cannotProcess();
      }
    }
    if (!alg.equals("RSA1_5")) {
      throw KeyVaultError.badParameter("Algorithm " + alg + " is not supported for RSA keys.");
    }
    try {
      Cipher cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding");
      cipher.init(
          encrypting ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE,
          encrypting ? pair.getPublic() : pair.getPrivate());
      return cipher.doFinal(input);
    } catch (BadPaddingException | IllegalBlockSizeException e) {
      throw cannotProcess();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA cipher unavailable", e);
    }
  }

  private static @Nullable WrapAlgorithm oaep(String alg) {
    for (WrapAlgorithm a : WrapAlgorithm.values()) {
      if (a.jwaName().equals(alg)) {
        return a;
      }
    }
    return null;
  }

  private static KeyVaultError cannotProcess() {
    return KeyVaultError.badParameter(
        "The parameter is incorrect: the value cannot be processed with this key and algorithm.");
  }
}
