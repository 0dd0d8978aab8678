package dev.cmk.azure.internal;

import com.azure.security.keyvault.keys.models.KeyProperties;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyType;
import dev.cmk.api.VaultProtection;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Maps what Key Vault answers about a key to cmk's vocabulary: key type ({@code kty}, with Managed
 * HSM keys always HSM-protected), permitted operations ({@code key_ops}), the vault's deletion
 * protection ({@code recoveryLevel}, {@code recoverableDays}), dates, and the RSA public key of a
 * JSON Web Key. Stateless.
 */
public final class KeyVaultKeys {
  private KeyVaultKeys() {}

  /**
   * Builds an RSA public key from a JSON Web Key's modulus and exponent.
   *
   * @param n the modulus, unsigned big-endian
   * @param e the public exponent, unsigned big-endian
   * @return the key
   * @throws IllegalArgumentException if the numbers do not form an RSA public key
   */
  public static RSAPublicKey rsaPublicKey(byte[] n, byte[] e) {
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

  public static KeyType keyType(String kty, boolean managedHsm) {
    if (kty == null) {
      return KeyType.OTHER;
    }
    KeyType type;
    switch (kty.toUpperCase(Locale.ROOT)) {
      case "RSA":
        type = KeyType.RSA;
        break;
      case "RSA-HSM":
        type = KeyType.RSA_HSM;
        break;
      case "EC":
        type = KeyType.EC;
        break;
      case "EC-HSM":
        type = KeyType.EC_HSM;
        break;
      case "OCT":
        type = KeyType.OCT;
        break;
      case "OCT-HSM":
        type = KeyType.OCT_HSM;
        break;
      default:
        return KeyType.OTHER;
    }
    if (managedHsm) {
      // Every Managed HSM key lives in the HSM, whatever label it carries.
      switch (type) {
        case RSA:
          return KeyType.RSA_HSM;
        case EC:
          return KeyType.EC_HSM;
        case OCT:
          return KeyType.OCT_HSM;
        default:
          return type;
      }
    }
    return type;
  }

  /** The operation Key Vault names {@code azureName} (its JWK name), or null for others. */
  public static @Nullable KeyOperation keyOperation(String azureName) {
    for (KeyOperation op : KeyOperation.values()) {
      if (op.jwkName().equals(azureName)) {
        return op;
      }
    }
    return null;
  }

  public static VaultProtection protection(KeyProperties p) {
    return p.getRecoveryLevel() == null
        ? VaultProtection.none()
        : VaultProtection.fromAzureRecoveryLevel(p.getRecoveryLevel(), p.getRecoverableDays());
  }

  public static @Nullable Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
