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
 */
public record KeyDescription(
    KeyReference reference,
    KeyType keyType,
    int sizeBits,
    boolean enabled,
    Instant notBefore,
    Instant expiresOn,
    Set<KeyOperation> operations,
    VaultProtection vaultProtection) {

  /**
   * Validates the description and copies {@code operations}.
   *
   * @param reference the key, pinned to the described version
   * @param keyType key type
   * @param sizeBits modulus size for RSA keys; 0 when not applicable
   * @param enabled whether the version is enabled
   * @param notBefore start of validity, or {@code null}
   * @param expiresOn end of validity, or {@code null}
   * @param operations operations the key permits
   * @param vaultProtection deletion guarantees of the holding vault
   * @throws NullPointerException if {@code reference}, {@code keyType}, {@code operations} or
   *     {@code vaultProtection} is null
   * @throws IllegalArgumentException if {@code sizeBits} is negative
   */
  public KeyDescription {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(operations, "operations");
    Objects.requireNonNull(vaultProtection, "vaultProtection");
    if (sizeBits < 0) {
      throw new IllegalArgumentException("sizeBits must not be negative");
    }
    operations = Set.copyOf(operations);
  }

  /** {@return start of validity, when set} */
  public Optional<Instant> notBeforeTime() {
    return Optional.ofNullable(notBefore);
  }

  /** {@return end of validity, when set} */
  public Optional<Instant> expiryTime() {
    return Optional.ofNullable(expiresOn);
  }

  /**
   * {@return whether {@code now} is inside the not-before / expiry window}
   *
   * @param now the instant to check
   */
  public boolean isValidAt(Instant now) {
    Objects.requireNonNull(now, "now");
    return (notBefore == null || !now.isBefore(notBefore))
        && (expiresOn == null || now.isBefore(expiresOn));
  }

  /**
   * {@return whether the key can be used at {@code now} for wrapping and unwrapping: enabled, valid
   * and permitting both operations}
   *
   * @param now the instant to check
   */
  public boolean isUsableAt(Instant now) {
    return enabled
        && isValidAt(now)
        && operations.contains(KeyOperation.WRAP_KEY)
        && operations.contains(KeyOperation.UNWRAP_KEY);
  }

  /** {@return whether the described key has versions (the reference names one)} */
  public boolean isVersioned() {
    return reference.isVersioned();
  }

  /**
   * {@return the version described}
   *
   * @throws IllegalStateException if the key store has no versions
   */
  public String version() {
    return reference.version().orElseThrow(() -> new IllegalStateException("key has no version"));
  }
}
