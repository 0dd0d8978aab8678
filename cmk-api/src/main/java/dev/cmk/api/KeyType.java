package dev.cmk.api;

/**
 * The type of a key-encryption key, in Key Vault's vocabulary. Only {@link #RSA} and {@link
 * #RSA_HSM} can wrap cmk data keys; the others exist so that a key policy can name what it found.
 */
public enum KeyType {
  /** Software-protected RSA. */
  RSA,
  /** HSM-protected RSA (Key Vault premium, Managed HSM, PKCS#11 tokens). */
  RSA_HSM,
  /** Software-protected elliptic curve. */
  EC,
  /** HSM-protected elliptic curve. */
  EC_HSM,
  /** Symmetric key. */
  OCT,
  /** HSM-protected symmetric key. */
  OCT_HSM,
  /** Anything else. */
  OTHER;

  /** {@return whether this is an RSA type (software or HSM)} */
  public boolean isRsa() {
    return this == RSA || this == RSA_HSM;
  }

  /** {@return whether the key material is HSM-protected} */
  public boolean isHsm() {
    return this == RSA_HSM || this == EC_HSM || this == OCT_HSM;
  }

  /** {@return the Key Vault name of this type, e.g. {@code RSA-HSM}} */
  public String jwkName() {
    return name().replace('_', '-');
  }
}
