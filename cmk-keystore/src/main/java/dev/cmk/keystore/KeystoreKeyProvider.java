package dev.cmk.keystore;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.api.spi.RsaOaep;
import dev.cmk.api.spi.ServedKeys;
import dev.cmk.keystore.internal.KeystoreKeyManager;
import dev.cmk.keystore.internal.KeystoreMetadata.KeyEntry;
import dev.cmk.keystore.internal.KeystoreMetadata.VersionEntry;
import dev.cmk.keystore.internal.KeystoreSnapshot;
import dev.cmk.keystore.internal.KeystoreStore;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A key provider (id {@value #ID}) whose keys live in a local, password-protected PKCS#12 keystore
 * file: for development, demos and on-premises installations without a key vault or HSM. Serves
 * {@code local:{name}/{version}} references ({@link KeyReference.Kind#LOCAL}). Built with {@link
 * #builder()}.
 *
 * <p>It behaves like a small key vault. Its {@link #keyManager() key manager} (always present)
 * creates software RSA keys ({@link KeyType#RSA}) with versions (named {@code {counter}-{random}},
 * e.g. {@code 00000003-9f1c2ab4}, so they sort by creation and the latest is the newest), rotates,
 * enables and disables them, sets not-before, expiry and permitted operations, imports existing
 * pairs, and soft-deletes with a retention period (default 90 days) and purge protection (default
 * on). Data keys are wrapped with RSA-OAEP-256 (SHA-256, MGF1-SHA-256, empty label) using the
 * public key and unwrapped with the private key, both in this process ({@link RsaOaep}). {@link
 * #describe} reports the keystore's deletion guarantees truthfully as a {@link VaultProtection}:
 * with the defaults the FHIR and DICOM key-policy presets accept its 2048- and 3072-bit keys.
 *
 * <p>How state maps to failures of the SPI operations:
 *
 * <ul>
 *   <li>unknown key or version, deleted key, a reference that is not {@code local:}, a wrapped key
 *       made by another provider &rarr; {@link KeyNotFoundException};
 *   <li>{@link #wrap} or {@link #unwrap} of a disabled version, outside its validity window or
 *       without the operation &rarr; {@link KeyAccessDeniedException} with the reason of {@link
 *       KeyDescription#refusal}; {@link #describe} and {@link #publicKey} work on disabled
 *       versions, as Key Vault's get-key does;
 *   <li>wrong keystore password, or a file that fails its integrity check &rarr; {@link
 *       KeyAccessDeniedException} {@code IDENTITY_NOT_AUTHORIZED};
 *   <li>the file cannot be read &rarr; {@link KeyProviderUnavailableException};
 *   <li>wrapped bytes that do not decrypt under the named version &rarr; {@link
 *       InvalidCiphertextException}.
 * </ul>
 *
 * <p><b>Several processes, one file.</b> Every change is a read-modify-write under an exclusive
 * lock of the sibling file {@code {keystore}.lock}, written to a temporary file and atomically
 * renamed over the keystore, so a crash never leaves a partial keystore and concurrent writers
 * never lose updates. Each {@link #describe}, {@link #wrap}, {@link #unwrap} and {@link #publicKey}
 * first compares the file's identity, modification time and size with what was loaded (one {@code
 * stat}) and reloads when another process (for example the {@code cmk keys disable} command)
 * changed it, so a disabled key is refused at the next call.
 *
 * <p><b>Security guarantees:</b> the password is read from its source each time the file is opened
 * or written and wiped after use; it never appears in {@link #toString()}, a log line or an
 * exception message. Private keys are encrypted in the file with PBES2 (PBKDF2-HMAC-SHA-256,
 * AES-256); the file's HMAC covers keys and metadata, so a file altered without the password is
 * refused. Decrypted private keys are held in this process's memory; this provider is as strong as
 * the host, the file permissions (the file is created {@code rw-------} on POSIX systems) and the
 * password. Use Key Vault, Managed HSM or a PKCS#11 HSM for production key custody. Exception
 * messages never contain key material or data keys.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. Reads work on an immutable snapshot of the
 * file; changes are serialized across threads and processes.
 */
public final class KeystoreKeyProvider implements KeyEncryptionKeyProvider {

  /** The provider id written into envelopes. */
  public static final String ID = "keystore";

  /** RSA sizes the key manager's {@link KeyManager#createKey createKey} generates. */
  public static final List<Integer> KEY_SIZES = KeyManager.RSA_KEY_SIZES;

  /** Soft-delete retention of a new keystore unless the builder says otherwise. */
  public static final int DEFAULT_RETENTION_DAYS = 90;

  /** Operations a new key version permits. */
  public static final Set<KeyOperation> DEFAULT_OPERATIONS = KeystoreKeyManager.DEFAULT_OPERATIONS;

  private final KeystoreStore store;
  private final KeystoreKeyManager manager;
  private final SecureRandom random;

  KeystoreKeyProvider(KeystoreStore store, SecureRandom random) {
    this.store = store;
    this.random = random;
    this.manager = new KeystoreKeyManager(this, store);
  }

  /**
   * A builder. Required: {@link KeystoreKeyProviderBuilder#path} and one password source.
   * Defaults: the system UTC clock, no file creation, and for a keystore the builder creates 90
   * days retention with purge protection.
   *
   * @return a new builder
   */
  public static KeystoreKeyProviderBuilder builder() {
    return new KeystoreKeyProviderBuilder();
  }

  /**
   * The keystore's key manager: create, rotate, enable and disable, validity, operations, import,
   * soft delete, recover, purge and list. Changes are visible to this provider at once and to
   * other processes using the file at their next call.
   *
   * @return the manager; always present
   */
  @Override
  public Optional<KeyManager> keyManager() {
    return Optional.of(manager);
  }

  /**
   * The deletion guarantees of this keystore, fixed when the file was created.
   *
   * @return soft delete (always on), purge protection and retention
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read
   */
  public VaultProtection vaultProtection() {
    return KeystoreStore.protection(store.current().metadata());
  }

  /**
   * The keystore file.
   *
   * @return the path
   */
  public Path path() {
    return store.path();
  }

  @Override
  public String id() {
    return ID;
  }

  /**
   * Whether {@code reference} is a {@code local:} reference; true also for keys not in the file,
   * which are then not found.
   *
   * @throws NullPointerException if {@code reference} is null
   */
  @Override
  public boolean serves(KeyReference reference) {
    return Objects.requireNonNull(reference, "reference").kind() == KeyReference.Kind.LOCAL;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Describes disabled and expired versions too. Notices changes other processes made to the
   * file.
   *
   * @throws NullPointerException if {@code reference} is null
   */
  @Override
  public KeyDescription describe(KeyReference reference) {
    ServedKeys.requireServed(this, reference);
    KeystoreSnapshot s = store.current();
    KeyEntry k = KeystoreStore.activeKey(s.metadata(), reference);
    VersionEntry v = reference.isVersioned() ? KeystoreStore.findVersion(k, reference) : k.latest();
    return store.description(s, reference, v);
  }

  /**
   * {@inheritDoc}
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code reference} is not versioned, or the data key is too
   *     long for one RSA-OAEP-256 block of the key
   * @throws IllegalStateException if {@code dataKey} is destroyed
   */
  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    ServedKeys.requireServed(this, KeyReference.requireVersioned(reference, "reference"));
    Objects.requireNonNull(dataKey, "dataKey");
    KeystoreSnapshot s = store.current();
    VersionEntry v = version(s, reference);
    store.description(s, reference, v).checkUsable(KeyOperation.WRAP_KEY, store.now());
    byte[] wrapped = RsaOaep.wrap(s.publicKey(v), WrapAlgorithm.RSA_OAEP_256, dataKey, random);
    return new WrappedKey(ID, reference, WrapAlgorithm.RSA_OAEP_256, wrapped);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Accepts {@link WrapAlgorithm#RSA_OAEP_256} and {@link WrapAlgorithm#RSA_OAEP_SHA1}. Notices
   * changes other processes made to the file (a version disabled by {@code cmk keys disable} is
   * refused at the next call).
   *
   * @throws NullPointerException if {@code wrappedKey} is null
   */
  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    KeyReference reference = ServedKeys.requireOwn(this, wrappedKey);
    KeystoreSnapshot s = store.current();
    VersionEntry v = version(s, reference);
    store.description(s, reference, v).checkUsable(KeyOperation.UNWRAP_KEY, store.now());
    return RsaOaep.unwrap(
        store.privateKey(s, reference, v), wrappedKey.algorithm(), wrappedKey.ciphertext());
  }

  /**
   * {@inheritDoc}
   *
   * <p>Always present for an existing version, also a disabled one.
   *
   * @throws NullPointerException if {@code reference} is null
   */
  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    ServedKeys.requireServed(this, KeyReference.requireVersioned(reference, "reference"));
    KeystoreSnapshot s = store.current();
    return Optional.of(s.publicKey(version(s, reference)));
  }

  private static VersionEntry version(KeystoreSnapshot s, KeyReference reference) {
    return KeystoreStore.findVersion(KeystoreStore.activeKey(s.metadata(), reference), reference);
  }

  /** Names the file and the number of keys, never the password. */
  @Override
  public String toString() {
    return "KeystoreKeyProvider[id=" + ID + ", path=" + store.path() + ", keys="
        + store.loaded().metadata().keys().size() + "]";
  }
}
