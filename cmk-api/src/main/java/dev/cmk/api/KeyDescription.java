package dev.cmk.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a provider says about one version of a key-encryption key: everything a key policy checks.
 *
 * <p>{@link #refusal(KeyOperation, Instant)} and {@link #checkUsable(KeyOperation, Instant)} are the
 * one "may this version be used for this operation now?" rule that every provider and the core
 * apply, so that the same state always gives the same {@link KeyAccessDeniedException.Reason}.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param reference the key, pinned to the described version; unversioned only for key stores
 *     that have no versions (which key policies reject: such a key cannot be rotated)
 * @param keyType key type
 * @param sizeBits modulus size for RSA keys; 0 when not applicable
 * @param enabled whether the version is enabled
 * @param notBefore start of validity (inclusive), or {@code null} when unbounded
 * @param expiresOn end of validity (exclusive), or {@code null} when unbounded
 * @param operations operations the key permits
 * @param vaultProtection deletion guarantees of the holding vault
 * @param tokenProtection what a PKCS#11 token attests about the private key ({@link
 *     TokenProtection#none()} for keys not held by a token: every other provider passes it)
 */
public record KeyDescription(
    KeyReference reference,
    KeyType keyType,
    int sizeBits,
    boolean enabled,
    @Nullable Instant notBefore,
    @Nullable Instant expiresOn,
    Set<KeyOperation> operations,
    VaultProtection vaultProtection,
    TokenProtection tokenProtection) {

  /**
   * Validates and copies.
   *
   * @param reference see {@link #reference()}
   * @param keyType see {@link #keyType()}
   * @param sizeBits see {@link #sizeBits()}
   * @param enabled see {@link #enabled()}
   * @param notBefore see {@link #notBefore()}
   * @param expiresOn see {@link #expiresOn()}
   * @param operations see {@link #operations()}
   * @param vaultProtection see {@link #vaultProtection()}
   * @param tokenProtection see {@link #tokenProtection()}
   */
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
   * Whether {@code now} is inside the not-before / expiry window (not-before inclusive, expiry
   * exclusive).
   *
   * @param now the time to check
   * @return whether valid at {@code now}
   * @throws NullPointerException if {@code now} is null
   */
  public boolean isValidAt(Instant now) {
    Objects.requireNonNull(now, "now");
    return (notBefore == null || !now.isBefore(notBefore))
        && (expiresOn == null || now.isBefore(expiresOn));
  }

  /**
   * Why this version may not be used for {@code operation} at {@code now}, if it may not. The checks
   * run in this order and the first that fails decides the reason:
   *
   * <ol>
   *   <li>disabled &rarr; {@link KeyAccessDeniedException.Reason#KEY_DISABLED};
   *   <li>before its not-before time, or at or after its expiry &rarr; {@link
   *       KeyAccessDeniedException.Reason#KEY_NOT_VALID_NOW};
   *   <li>{@code operation} not in {@link #operations()} &rarr; {@link
   *       KeyAccessDeniedException.Reason#OPERATION_NOT_PERMITTED};
   *   <li>for {@link KeyOperation#WRAP_KEY} and {@link KeyOperation#UNWRAP_KEY}: a key type that
   *       cannot do RSA-OAEP (not {@link KeyType#isRsa()}) &rarr; {@link
   *       KeyAccessDeniedException.Reason#OPERATION_NOT_PERMITTED}.
   * </ol>
   *
   * <p>The exception names {@link #reference()} and has no cause; its message holds no secrets.
   * It is returned, not thrown, so that callers that cache refusals can keep it.
   *
   * @param operation the operation wanted
   * @param now the current time (from the caller's clock)
   * @return the refusal, or empty if the version is usable
   * @throws NullPointerException if an argument is null
   */
  public Optional<KeyAccessDeniedException> refusal(KeyOperation operation, Instant now) {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(now, "now");
    if (!enabled) {
      return Optional.of(
          new KeyAccessDeniedException(
              "key version is disabled", KeyAccessDeniedException.Reason.KEY_DISABLED, reference));
    }
    if (!isValidAt(now)) {
      return Optional.of(
          new KeyAccessDeniedException(
              "key version is outside its validity window (not-before "
                  + (notBefore == null ? "none" : notBefore)
                  + ", expires "
                  + (expiresOn == null ? "never" : expiresOn)
                  + ")",
              KeyAccessDeniedException.Reason.KEY_NOT_VALID_NOW,
              reference));
    }
    if (!operations.contains(operation)) {
      return Optional.of(
          new KeyAccessDeniedException(
              "key version does not permit " + operation.jwkName(),
              KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED,
              reference));
    }
    if ((operation == KeyOperation.WRAP_KEY || operation == KeyOperation.UNWRAP_KEY)
        && !keyType.isRsa()) {
      return Optional.of(
          new KeyAccessDeniedException(
              "a key of type "
                  + keyType.jwkName()
                  + " cannot "
                  + operation.jwkName()
                  + " with RSA-OAEP",
              KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED,
              reference));
    }
    return Optional.empty();
  }

  /**
   * Throws the {@linkplain #refusal(KeyOperation, Instant) refusal} of {@code operation} at {@code
   * now}, if there is one.
   *
   * @param operation the operation wanted
   * @param now the current time (from the caller's clock)
   * @throws KeyAccessDeniedException if the version may not be used for {@code operation} now,
   *     with the reason listed on {@link #refusal(KeyOperation, Instant)}
   * @throws NullPointerException if an argument is null
   */
  public void checkUsable(KeyOperation operation, Instant now) {
    Optional<KeyAccessDeniedException> refused = refusal(operation, now);
    if (refused.isPresent()) {
      throw refused.get();
    }
  }

  /**
   * Whether the key can be used right now for wrapping and unwrapping: enabled, inside its
   * validity window, and permitting both operations.
   *
   * @param now the current time
   * @return whether usable for both
   * @throws NullPointerException if {@code now} is null
   */
  public boolean isUsableAt(Instant now) {
    return enabled
        && isValidAt(now)
        && operations.contains(KeyOperation.WRAP_KEY)
        && operations.contains(KeyOperation.UNWRAP_KEY);
  }

  /**
   * Whether the described key has versions (the reference names one).
   *
   * @return whether versioned
   */
  public boolean isVersioned() {
    return reference.isVersioned();
  }

  /**
   * The version described.
   *
   * @return the version
   * @throws IllegalStateException if the key store has no versions
   */
  public String version() {
    return reference.version().orElseThrow(() -> new IllegalStateException("key has no version"));
  }
}
