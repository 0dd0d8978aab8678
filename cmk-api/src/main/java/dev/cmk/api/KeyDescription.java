package dev.cmk.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a provider says about one version of a key-encryption key: everything a key policy checks.
 *
 * @param reference the key, pinned to the described version; unversioned only for key stores
 *     that have no versions (which key policies reject: such a key cannot be rotated)
 * @param keyType key type
 * @param sizeBits modulus size for RSA keys; 0 when not applicable
 * @param enabled whether the version is enabled
 * @param notBefore start of validity, or {@code null}
 * @param expiresOn end of validity, or {@code null}
 * @param operations operations the key permits
 * @param vaultProtection deletion guarantees of the holding vault
 * @param tokenProtection what a PKCS#11 token attests about the private key ({@link
 *     TokenProtection#none()} for other providers)
 */
public record KeyDescription(
    KeyReference reference,
    KeyType keyType,
    int sizeBits,
    boolean enabled,
    Instant notBefore,
    Instant expiresOn,
    Set<KeyOperation> operations,
    VaultProtection vaultProtection,
    TokenProtection tokenProtection) {

  /** Validates and copies. */
  public KeyDescription {
    Objects.requireNonNull(tokenProtection, "tokenProtection");
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(operations, "operations");
    Objects.requireNonNull(vaultProtection, "vaultProtection");
    if (sizeBits < 0) {
      throw new IllegalArgumentException("sizeBits must not be negative");
    }
    operations = Set.copyOf(operations);
  }

  /**
   * A description of a key that is not held by a PKCS#11 token ({@link TokenProtection#none()}).
   *
   * @param reference the key, pinned to the described version
   * @param keyType key type
   * @param sizeBits modulus size for RSA keys; 0 when not applicable
   * @param enabled whether the version is enabled
   * @param notBefore start of validity, or {@code null}
   * @param expiresOn end of validity, or {@code null}
   * @param operations operations the key permits
   * @param vaultProtection deletion guarantees of the holding vault
   */
  public KeyDescription(
      KeyReference reference,
      KeyType keyType,
      int sizeBits,
      boolean enabled,
      Instant notBefore,
      Instant expiresOn,
      Set<KeyOperation> operations,
      VaultProtection vaultProtection) {
    this(
        reference,
        keyType,
        sizeBits,
        enabled,
        notBefore,
        expiresOn,
        operations,
        vaultProtection,
        TokenProtection.none());
  }

  /** Start of validity, when set. */
  public Optional<Instant> notBeforeTime() {
    return Optional.ofNullable(notBefore);
  }

  /** End of validity, when set. */
  public Optional<Instant> expiryTime() {
    return Optional.ofNullable(expiresOn);
  }

  /** Whether {@code now} is inside the not-before / expiry window. */
  public boolean isValidAt(Instant now) {
    Objects.requireNonNull(now, "now");
    return (notBefore == null || !now.isBefore(notBefore))
        && (expiresOn == null || now.isBefore(expiresOn));
  }

  /** Whether the key can be used right now for wrapping and unwrapping. */
  public boolean isUsableAt(Instant now) {
    return enabled
        && isValidAt(now)
        && operations.contains(KeyOperation.WRAP_KEY)
        && operations.contains(KeyOperation.UNWRAP_KEY);
  }

  /** Whether the described key has versions (the reference names one). */
  public boolean isVersioned() {
    return reference.isVersioned();
  }

  /**
   * The version described.
   *
   * @throws IllegalStateException if the key store has no versions
   */
  public String version() {
    return reference.version().orElseThrow(() -> new IllegalStateException("key has no version"));
  }
}
