package dev.cmk.api.spi;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import java.security.PublicKey;
import java.util.Optional;

/**
 * A source of key-encryption keys (KEKs): describes keys, resolves their latest version, wraps and
 * unwraps data keys. Key lifecycle (create, rotate, disable, delete) is the separate {@link
 * KeyManager}, offered by {@link #keyManager()} where the backend supports it. Implemented by {@code cmk-azure-keyvault} (Key Vault, Managed HSM), {@code
 * cmk-softhsm} (PKCS#11) and the testkit's in-memory provider.
 *
 * <p><b>Contract</b> (pinned by {@code dev.cmk.testkit.KeyEncryptionKeyProviderContract}):
 *
 * <ul>
 *   <li>Every failure is a {@link dev.cmk.api.CmkException}: {@link KeyNotFoundException} (no such
 *       key or version, deleted), {@link KeyAccessDeniedException} (disabled, expired, forbidden),
 *       {@link KeyProviderUnavailableException} (transient), {@link
 *       dev.cmk.api.InvalidCiphertextException} (wrapped bytes that do not unwrap under the named
 *       key). Vendor exceptions are only causes; messages hold no secrets.
 *   <li>{@link #wrap} returns a {@link WrappedKey} naming the exact key version and wrap algorithm
 *       used, so that {@link #unwrap} needs nothing else.
 *   <li>{@link #unwrap} of a wrapped key made by any version that is still enabled succeeds, also
 *       after newer versions were created (rotation never breaks old envelopes).
 *   <li>A reference the provider does not {@linkplain #serves serve}, and (in {@link #unwrap}) a
 *       wrapped key made by a provider with another {@link #id()}, are {@link
 *       KeyNotFoundException}s; {@link ServedKeys} applies this rule.
 *   <li>Usability of a version for an operation follows {@link
 *       KeyDescription#refusal(dev.cmk.api.KeyOperation, java.time.Instant)}; RSA-OAEP done in this
 *       process uses {@link RsaOaep}.
 *   <li>{@link #wrap} may be done locally with a cached public key; it must still refuse a key
 *       version it knows to be disabled. Callers that must never write unreadable data check the
 *       enabled state separately (the core's loss-of-access guard does).
 * </ul>
 *
 * <p><b>Thread safety:</b> implementations must be safe for concurrent use.
 */
public interface KeyEncryptionKeyProvider extends AutoCloseable {

  /**
   * A stable id written into every envelope this provider wraps for, e.g. {@code azure-keyvault},
   * {@code pkcs11}, {@code in-memory}. See {@link dev.cmk.api.ProviderIds} for the rules.
   *
   * @return the id
   */
  String id();

  /**
   * Whether this provider can serve {@code reference} (scheme, host or token it is configured for).
   *
   * @param reference a key reference
   * @return whether it is served
   */
  boolean serves(KeyReference reference);

  /**
   * Describes one version of a key; a versionless reference describes the latest version.
   *
   * @param reference the key, versioned or not
   * @return the description, whose reference is always versioned
   * @throws KeyNotFoundException if the key or version does not exist
   * @throws KeyAccessDeniedException if the identity may not read the key
   * @throws KeyProviderUnavailableException on transient failures
   */
  KeyDescription describe(KeyReference reference);

  /**
   * Resolves the latest version of a key.
   *
   * @param reference the key (a version in it is ignored)
   * @return the versioned reference of the latest version
   * @throws KeyNotFoundException if the key does not exist
   * @throws KeyAccessDeniedException if the identity may not read the key
   * @throws KeyProviderUnavailableException on transient failures
   */
  default KeyReference resolveLatest(KeyReference reference) {
    return describe(reference.versionless()).reference();
  }

  /**
   * Wraps a data key under one version of a key.
   *
   * @param reference the key version (must be versioned)
   * @param dataKey the data key; not modified or retained
   * @return the wrapped key, naming the version and algorithm used
   * @throws IllegalArgumentException if {@code reference} is not versioned
   * @throws KeyNotFoundException if the key version does not exist
   * @throws KeyAccessDeniedException if the version is known to be disabled, or forbidden
   * @throws KeyProviderUnavailableException on transient failures
   */
  WrappedKey wrap(KeyReference reference, SecretBytes dataKey);

  /**
   * Unwraps a data key.
   *
   * @param wrappedKey what {@link #wrap} returned (possibly read back from an envelope)
   * @return the data key; the caller owns and should destroy it
   * @throws dev.cmk.api.InvalidCiphertextException if the bytes do not unwrap under that key
   * @throws KeyNotFoundException if the key version does not exist
   * @throws KeyAccessDeniedException if the version is disabled or the identity is forbidden
   * @throws KeyProviderUnavailableException on transient failures
   */
  SecretBytes unwrap(WrappedKey wrappedKey);

  /**
   * The public part of a key version, where the backend exposes it, so that wrapping can be done
   * (or checked) locally.
   *
   * @param reference the key version (must be versioned)
   * @return the public key, or empty when the backend does not expose it
   * @throws IllegalArgumentException if {@code reference} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the reference is not served
   * @throws KeyAccessDeniedException if the identity may not read the key
   * @throws KeyProviderUnavailableException on transient failures
   */
  Optional<PublicKey> publicKey(KeyReference reference);

  /**
   * The key manager of this provider's backend, when it offers one: create, rotate, disable,
   * delete and list keys with the provider's connection and credentials. Changes made through it
   * are visible to this provider at its next call. See {@link KeyManager} for the vocabulary.
   *
   * @return the manager, or empty when this provider does not manage keys (the default)
   */
  default Optional<KeyManager> keyManager() {
    return Optional.empty();
  }

  /** Releases sessions, connections and cached keys. Idempotent. The default does nothing. */
  @Override
  default void close() {}
}
