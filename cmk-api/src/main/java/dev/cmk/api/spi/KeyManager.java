package dev.cmk.api.spi;

import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Key lifecycle in a provider's backend: create, rotate, enable and disable, validity, permitted
 * operations, delete, recover, purge and list. The management half of a backend, beside the
 * cryptographic half ({@link KeyEncryptionKeyProvider}: describe, wrap, unwrap), as Azure splits
 * {@code KeyClient} from {@code CryptographyClient}: applications that only encrypt never need it,
 * and operators' tools (the {@code cmk keys} command) use it for every backend that has one.
 *
 * <p>A provider offers its manager through {@link KeyEncryptionKeyProvider#keyManager()}; the
 * manager shares the provider's connection and credentials, and every change is visible to that
 * provider at its next call. Backends whose credentials for cryptography should not manage keys
 * (Azure Key Vault: the key-management RBAC roles are separate) return no manager.
 *
 * <p><b>One vocabulary.</b> Keys are RSA key-encryption keys with versions; the newest version is
 * the latest, which {@link KeyEncryptionKeyProvider#resolveLatest} returns. Every implementation
 * uses the same failures:
 *
 * <ul>
 *   <li>a reference the provider does not serve, or a key or version that does not exist (never
 *       created, deleted, purged) &rarr; {@link KeyNotFoundException} (see {@link ServedKeys});
 *   <li>a versionless reference where a version is needed &rarr; {@link IllegalArgumentException}
 *       naming the parameter ({@link KeyReference#requireVersioned});
 *   <li>an invalid key name or size &rarr; {@link IllegalArgumentException};
 *   <li>a state that forbids the change (a key of that name exists, recover of a key that is not
 *       deleted, purge refused by purge protection) &rarr; {@link IllegalStateException};
 *   <li>an operation outside {@link #capabilities()} &rarr; {@link UnsupportedOperationException};
 *   <li>the backend refuses the identity or credential &rarr; {@link KeyAccessDeniedException};
 *       transient failures &rarr; {@link KeyProviderUnavailableException}.
 * </ul>
 *
 * <p><b>Security:</b> no method returns or logs private key material; messages never contain
 * secrets. Deleting a key makes every envelope wrapped under it unreadable once the deletion can
 * no longer be undone ({@link #purgeKey}, or at once without {@link Capability#SOFT_DELETE}).
 *
 * <p><b>Thread safety:</b> implementations must be safe for concurrent use.
 */
public interface KeyManager {

  /** What a manager can do beyond the operations every manager has. */
  enum Capability {
    /**
     * {@link #deleteKey} keeps the key recoverable until its retention ends; {@link #recoverKey},
     * {@link #purgeKey} and {@link #listDeletedKeys} work. Without it, delete is permanent.
     */
    SOFT_DELETE,
    /** {@link #setNotBefore} and {@link #setExpiry} work. */
    VALIDITY,
    /** {@link #setOperations} works. */
    OPERATIONS,
    /** {@link #importKey} works. */
    IMPORT,
    /** {@link #deleteVersion} works. */
    DELETE_VERSION
  }

  /**
   * The optional operations this manager supports.
   *
   * @return the capabilities (immutable)
   */
  Set<Capability> capabilities();

  /**
   * The RSA modulus sizes {@link #createKey} accepts unless a manager says otherwise: 2048, 3072
   * and 4096 bits, the sizes Azure Key Vault and Managed HSM create.
   */
  List<Integer> RSA_KEY_SIZES = List.of(2048, 3072, 4096);

  /**
   * The RSA modulus sizes {@link #createKey} accepts; by default {@link #RSA_KEY_SIZES}.
   *
   * @return the sizes in bits, ascending (immutable)
   */
  default List<Integer> keySizes() {
    return RSA_KEY_SIZES;
  }

  /**
   * The versionless reference of the key named {@code name} in this backend (whether or not it
   * exists).
   *
   * @param name a key name, 1&ndash;127 of {@code [0-9a-zA-Z-]}
   * @return the reference
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if the name is not valid
   */
  KeyReference keyReference(String name);

  /**
   * Creates an RSA key with one enabled version permitting wrapKey and unwrapKey.
   *
   * @param name the key name, 1&ndash;127 of {@code [0-9a-zA-Z-]}
   * @param sizeBits one of {@link #keySizes()}
   * @return the versioned reference of the first version
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if the name or size is not valid
   * @throws IllegalStateException if a key of that name exists (also when soft-deleted)
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  KeyReference createKey(String name, int sizeBits);

  /**
   * Creates a new version of a key, of the size and operations of its latest version, enabled and
   * without validity window; it becomes the latest. Older versions stay usable.
   *
   * @param key the key (a version in it is ignored)
   * @return the versioned reference of the new version
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if the key does not exist, is deleted or is not served
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  KeyReference rotateKey(KeyReference key);

  /**
   * Enables or disables one version. A disabled version is refused by wrap and unwrap ({@link
   * KeyAccessDeniedException.Reason#KEY_DISABLED}) and still described.
   *
   * @param version the key version (must be versioned)
   * @param enabled whether it may be used
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist, the key is deleted or not served
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  void setEnabled(KeyReference version, boolean enabled);

  /**
   * Sets or clears the start of a version's validity ({@link Capability#VALIDITY}).
   *
   * @param version the key version (must be versioned)
   * @param notBefore first instant it may be used, or {@code null} for no limit
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist, the key is deleted or not served
   * @throws UnsupportedOperationException without {@link Capability#VALIDITY}
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  default void setNotBefore(KeyReference version, @Nullable Instant notBefore) {
    throw unsupported(Capability.VALIDITY);
  }

  /**
   * Sets or clears the end of a version's validity ({@link Capability#VALIDITY}).
   *
   * @param version the key version (must be versioned)
   * @param expiresOn first instant it may no longer be used, or {@code null} for no limit
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist, the key is deleted or not served
   * @throws UnsupportedOperationException without {@link Capability#VALIDITY}
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  default void setExpiry(KeyReference version, @Nullable Instant expiresOn) {
    throw unsupported(Capability.VALIDITY);
  }

  /**
   * Replaces the operations a version permits ({@link Capability#OPERATIONS}).
   *
   * @param version the key version (must be versioned)
   * @param operations the permitted operations, possibly empty
   * @throws NullPointerException if an argument is null or {@code operations} contains null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist, the key is deleted or not served
   * @throws UnsupportedOperationException without {@link Capability#OPERATIONS}
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  default void setOperations(KeyReference version, Set<KeyOperation> operations) {
    throw unsupported(Capability.OPERATIONS);
  }

  /**
   * Stores an existing RSA key pair as a new key's first version (bring your own key), {@link
   * Capability#IMPORT}.
   *
   * @param name the key name, 1&ndash;127 of {@code [0-9a-zA-Z-]}
   * @param keyPair a matching RSA key pair
   * @return the versioned reference of the first version
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the name is not valid or the pair is not a matching RSA
   *     pair of a size the backend accepts
   * @throws IllegalStateException if a key of that name exists (also when soft-deleted)
   * @throws UnsupportedOperationException without {@link Capability#IMPORT}
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  default KeyReference importKey(String name, KeyPair keyPair) {
    throw unsupported(Capability.IMPORT);
  }

  /**
   * Deletes a key with all its versions: with {@link Capability#SOFT_DELETE} it is kept,
   * unusable and not found, until {@linkplain #recoverKey recovered}, purged or its retention
   * ends; without, it is gone at once.
   *
   * @param key the key (a version in it is ignored)
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if the key does not exist, is already deleted or is not served
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  void deleteKey(KeyReference key);

  /**
   * Deletes one version permanently ({@link Capability#DELETE_VERSION}); data wrapped under it is
   * lost.
   *
   * @param version the key version (must be versioned)
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or is not served
   * @throws UnsupportedOperationException without {@link Capability#DELETE_VERSION}
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  default void deleteVersion(KeyReference version) {
    throw unsupported(Capability.DELETE_VERSION);
  }

  /**
   * Recovers a soft-deleted key with all its versions and their attributes ({@link
   * Capability#SOFT_DELETE}).
   *
   * @param key the key (a version in it is ignored)
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if no such key exists, deleted or not, or it is not served
   * @throws IllegalStateException if the key is not deleted
   * @throws UnsupportedOperationException without {@link Capability#SOFT_DELETE}
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  default void recoverKey(KeyReference key) {
    throw unsupported(Capability.SOFT_DELETE);
  }

  /**
   * Permanently removes a soft-deleted key ({@link Capability#SOFT_DELETE}). With purge protection
   * this is refused until the key's retention has ended.
   *
   * @param key the key (a version in it is ignored)
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if no such key exists or it is not served
   * @throws IllegalStateException if the key is not deleted, or purge protection forbids it now
   * @throws UnsupportedOperationException without {@link Capability#SOFT_DELETE}
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  default void purgeKey(KeyReference key) {
    throw unsupported(Capability.SOFT_DELETE);
  }

  /**
   * The keys that exist and are not deleted.
   *
   * @return versionless references, sorted by name
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  List<KeyReference> listKeys();

  /**
   * Describes every version of a key, oldest first; the last is the latest.
   *
   * @param key the key (a version in it is ignored)
   * @return the descriptions, at least one
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if the key does not exist, is deleted or is not served
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  List<KeyDescription> listVersions(KeyReference key);

  /**
   * The soft-deleted keys whose retention has not ended; empty without {@link
   * Capability#SOFT_DELETE}.
   *
   * @return the deleted keys, sorted by name
   * @throws KeyAccessDeniedException if the backend refuses
   * @throws KeyProviderUnavailableException on transient failures
   */
  default List<DeletedKey> listDeletedKeys() {
    return List.of();
  }

  /**
   * The precondition of {@link #importKey}: {@code keyPair} is a matching RSA pair (same modulus,
   * and same public exponent where the private key has one) of {@code minBits} to {@code maxBits}
   * bits.
   *
   * @param keyPair the pair to import
   * @param minBits smallest modulus accepted
   * @param maxBits largest modulus accepted
   * @return the modulus size in bits
   * @throws NullPointerException if {@code keyPair} is null
   * @throws IllegalArgumentException if the pair is not RSA, does not match, or is out of range
   */
  static int requireRsaKeyPair(KeyPair keyPair, int minBits, int maxBits) {
    Objects.requireNonNull(keyPair, "keyPair");
    if (!(keyPair.getPublic() instanceof RSAPublicKey)
        || !(keyPair.getPrivate() instanceof RSAPrivateKey)) {
      throw new IllegalArgumentException("keyPair must be an RSA key pair");
    }
    RSAPublicKey pub = (RSAPublicKey) keyPair.getPublic();
    RSAPrivateKey priv = (RSAPrivateKey) keyPair.getPrivate();
    if (!pub.getModulus().equals(priv.getModulus())
        || (priv instanceof RSAPrivateCrtKey
            && !((RSAPrivateCrtKey) priv).getPublicExponent().equals(pub.getPublicExponent()))) {
      throw new IllegalArgumentException("keyPair's public and private keys do not match");
    }
    int size = pub.getModulus().bitLength();
    if (size < minBits || size > maxBits) {
      throw new IllegalArgumentException(
          "RSA key size must be " + minBits + "-" + maxBits + " bits, found " + size);
    }
    return size;
  }

  /**
   * The size precondition of {@link #createKey}: {@code sizeBits} is one of {@code accepted}
   * (normally the manager's {@link #keySizes()}).
   *
   * @param sizeBits the requested modulus size
   * @param accepted the sizes accepted
   * @return {@code sizeBits}
   * @throws NullPointerException if {@code accepted} is null
   * @throws IllegalArgumentException if {@code sizeBits} is not accepted; the message lists the
   *     accepted sizes
   */
  static int requireKeySize(int sizeBits, List<Integer> accepted) {
    if (!Objects.requireNonNull(accepted, "accepted").contains(sizeBits)) {
      throw new IllegalArgumentException(
          "RSA key size must be one of " + accepted + " bits, found " + sizeBits);
    }
    return sizeBits;
  }

  /**
   * The exception an implementation throws for an operation outside its {@link #capabilities()}.
   *
   * @param capability the capability the operation needs
   * @return the exception, to throw
   */
  static UnsupportedOperationException unsupported(Capability capability) {
    return new UnsupportedOperationException(
        "this key manager does not support " + capability + " operations");
  }
}
