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
import dev.cmk.keystore.internal.KeystoreFile;
import dev.cmk.keystore.internal.KeystoreMetadata;
import dev.cmk.keystore.internal.KeystoreMetadata.KeyEntry;
import dev.cmk.keystore.internal.KeystoreMetadata.VersionEntry;
import dev.cmk.keystore.internal.PasswordSource;
import dev.cmk.keystore.internal.RsaOaep;
import dev.cmk.keystore.internal.SelfSignedCertificates;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;

/**
 * A key provider (id {@value #ID}) whose keys live in a local, password-protected PKCS#12 keystore
 * file: for development, demos and on-premises installations without a key vault or HSM. Serves
 * {@code local:{name}/{version}} references ({@link KeyReference.Kind#LOCAL}).
 *
 * <p>It behaves like a small key vault: software RSA keys ({@link KeyType#RSA}) with versions
 * (named {@code {counter}-{random}}, e.g. {@code 00000003-9f1c2ab4}, so they sort by creation and
 * the latest is the newest), rotation, enable/disable, not-before and expiry, permitted operations,
 * and soft delete with a retention period (default 90 days) and purge protection (default on).
 * Data keys are wrapped with RSA-OAEP-256 (SHA-256, MGF1-SHA-256, empty label) using the public key
 * and unwrapped with the private key, both in this process. {@link #describe} reports the
 * keystore's deletion guarantees truthfully as a {@link VaultProtection}: with the defaults the
 * FHIR and DICOM key-policy presets accept its 2048- and 3072-bit keys.
 *
 * <p>How state maps to failures of the SPI operations:
 *
 * <ul>
 *   <li>unknown key or version, deleted key, a reference that is not {@code local:} &rarr; {@link
 *       KeyNotFoundException};
 *   <li>{@link #wrap} or {@link #unwrap} of a disabled version &rarr; {@link
 *       KeyAccessDeniedException} {@code KEY_DISABLED}; outside its not-before / expiry window
 *       &rarr; {@code KEY_NOT_VALID_NOW}; operation not permitted &rarr; {@code
 *       OPERATION_NOT_PERMITTED}; {@link #describe} and {@link #publicKey} work on disabled
 *       versions, as Key Vault's get-key does;
 *   <li>wrong keystore password, or a file that fails its integrity check &rarr; {@link
 *       KeyAccessDeniedException} {@code IDENTITY_NOT_AUTHORIZED};
 *   <li>the file cannot be read &rarr; {@link KeyProviderUnavailableException};
 *   <li>wrapped bytes that do not decrypt under the named version &rarr; {@link
 *       InvalidCiphertextException}.
 * </ul>
 *
 * <p><b>Several processes, one file.</b> Every change (create, rotate, disable, delete, ...) is a
 * read-modify-write under an exclusive lock of the sibling file {@code {keystore}.lock}, written to a
 * temporary file and atomically renamed over the keystore, so a crash never leaves a partial
 * keystore and concurrent writers never lose updates. Each {@link #describe}, {@link #wrap}, {@link
 * #unwrap} and {@link #publicKey} first compares the file's identity, modification time and size
 * with what was loaded (one {@code stat}) and reloads when another process (for example the {@code
 * cmk keys disable} command) changed it, so a disabled key is refused at the next call.
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

  /** RSA sizes {@link #createKey} generates. */
  public static final List<Integer> KEY_SIZES = List.of(2048, 3072, 4096);

  /** Soft-delete retention of a new keystore unless the builder says otherwise. */
  public static final int DEFAULT_RETENTION_DAYS = 90;

  /** Operations a new key version permits. */
  public static final Set<KeyOperation> DEFAULT_OPERATIONS =
      Set.copyOf(EnumSet.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY));

  private final KeystoreFile file;
  private final PasswordSource password;
  private final Clock clock;
  private final SecureRandom random;
  private final Object reloadLock = new Object();
  private volatile Snapshot snapshot;

  /** An immutable view of one version of the file, with lazily decrypted private keys. */
  private static final class Snapshot {
    final KeystoreFile.Stamp stamp;
    final KeystoreMetadata metadata;
    final KeyStore keyStore; // never modified once in a snapshot; getKey synchronized on it
    final Map<String, RSAPublicKey> publicKeys; // by version
    final Map<String, PrivateKey> privateKeys = new ConcurrentHashMap<>(); // by version

    Snapshot(KeystoreFile.Stamp stamp, KeystoreMetadata metadata, KeyStore ks, Snapshot previous) {
      this.stamp = stamp;
      this.metadata = metadata;
      this.keyStore = ks;
      Map<String, RSAPublicKey> pub = new HashMap<>();
      for (KeyEntry k : metadata.keys().values()) {
        for (VersionEntry v : k.versions()) {
          RSAPublicKey p = publicKeyOf(ks, v);
          pub.put(v.version(), p);
          if (previous != null) {
            PrivateKey known = previous.privateKeys.get(v.version());
            RSAPublicKey knownPublic = previous.publicKeys.get(v.version());
            if (known != null && p.equals(knownPublic)) {
              privateKeys.put(v.version(), known);
            }
          }
        }
      }
      this.publicKeys = Map.copyOf(pub);
    }

    private static RSAPublicKey publicKeyOf(KeyStore ks, VersionEntry v) {
      try {
        Certificate c = ks.getCertificate(v.alias());
        if (c == null || !(c.getPublicKey() instanceof RSAPublicKey)) {
          throw new KeyProviderUnavailableException(
              "keystore entry of version " + v.version() + " holds no RSA certificate", null, null);
        }
        return (RSAPublicKey) c.getPublicKey();
      } catch (java.security.KeyStoreException e) {
        throw new IllegalStateException("keystore not loaded", e);
      }
    }
  }

  private KeystoreKeyProvider(Builder b, Snapshot first) {
    this.file = b.file;
    this.password = b.password;
    this.clock = b.clock;
    this.random = b.random;
    this.snapshot = first;
  }

  /**
   * A builder. Required: {@link Builder#path} and one password source. Defaults: the system UTC
   * clock, no file creation, and for a keystore the builder creates 90 days retention with purge
   * protection.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------------------ lifecycle

  /**
   * Generates a software RSA key with one enabled version permitting wrapKey and unwrapKey.
   *
   * @param name the key name, 1&ndash;127 of {@code [0-9a-zA-Z-]}
   * @param sizeBits 2048, 3072 or 4096
   * @return the versioned reference of the first version
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if the name or size is not valid
   * @throws IllegalStateException if a key of that name exists (also when soft-deleted)
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public KeyReference createKey(String name, int sizeBits) {
    KeyReference key = KeyReference.local(Objects.requireNonNull(name, "name"), null);
    if (!KEY_SIZES.contains(sizeBits)) {
      throw new IllegalArgumentException(
          "RSA key size must be one of " + KEY_SIZES + " bits, found " + sizeBits);
    }
    KeyPair pair = generate(sizeBits);
    return addFirstVersion(key, pair);
  }

  /**
   * Stores an existing RSA key pair as a new key's first version (bring your own key, or a key
   * moved from another store). Pairs of 1024 to 8192 bits are accepted so that data under an old
   * key can be read and re-wrapped; every cmk key-policy preset rejects keys below 2048 bits.
   *
   * @param name the key name, 1&ndash;127 of {@code [0-9a-zA-Z-]}
   * @param keyPair a matching RSA key pair
   * @return the versioned reference of the first version
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the name is not valid or the pair is not a matching RSA
   *     pair of 1024&ndash;8192 bits
   * @throws IllegalStateException if a key of that name exists (also when soft-deleted)
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public KeyReference importKey(String name, KeyPair keyPair) {
    KeyReference key = KeyReference.local(Objects.requireNonNull(name, "name"), null);
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
    if (size < 1024 || size > 8192) {
      throw new IllegalArgumentException("RSA key size must be 1024-8192 bits, found " + size);
    }
    return addFirstVersion(key, keyPair);
  }

  private KeyReference addFirstVersion(KeyReference key, KeyPair pair) {
    return modify(
        w -> {
          KeyEntry existing = w.metadata.keys().get(key.name());
          if (existing != null && !retentionOver(w.metadata, existing)) {
            throw new IllegalStateException(
                existing.deleted()
                    ? "key " + key + " is deleted but recoverable; recover it, or wait until its"
                        + " retention ends"
                    : "key " + key + " already exists; rotate it to add a version");
          }
          if (existing != null) {
            w.remove(existing);
          }
          VersionEntry v = w.addVersion(key.name(), pair, DEFAULT_OPERATIONS);
          w.metadata = w.metadata.withKey(new KeyEntry(key.name(), null, List.of(v)));
          return key.withVersion(v.version());
        });
  }

  /**
   * Generates a new version of a key with the latest version's size (2048 bits when that is not a
   * size {@link #createKey} generates, e.g. an imported 1024-bit key) and operations, enabled and
   * without validity window; it becomes the latest version. Older versions stay usable.
   *
   * @param key the key (a version in it is ignored)
   * @return the versioned reference of the new version
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if the key does not exist or is deleted
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public KeyReference rotate(KeyReference key) {
    Objects.requireNonNull(key, "key");
    VersionEntry latest = activeKey(current(), key).latest();
    int bits = KEY_SIZES.contains(latest.bits()) ? latest.bits() : 2048;
    KeyPair pair = generate(bits);
    return modify(
        w -> {
          KeyEntry k = activeKey(w.metadata, key);
          VersionEntry v = w.addVersion(k.name(), pair, k.latest().operations());
          List<VersionEntry> versions = new ArrayList<>(k.versions());
          versions.add(v);
          w.metadata = w.metadata.withKey(new KeyEntry(k.name(), null, versions));
          return key.withVersion(v.version());
        });
  }

  /**
   * Enables or disables one version. A disabled version is refused by {@link #wrap} and {@link
   * #unwrap} (here and, at their next call, in every other process using the file) and still
   * described.
   *
   * @param version the key version (must be versioned)
   * @param enabled whether it may be used
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public void setEnabled(KeyReference version, boolean enabled) {
    updateVersion(version, v -> v.withEnabled(enabled));
  }

  /**
   * Sets or clears the start of a version's validity.
   *
   * @param version the key version (must be versioned)
   * @param notBefore first instant it may be used, or {@code null} for no limit
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public void setNotBefore(KeyReference version, Instant notBefore) {
    updateVersion(version, v -> v.withNotBefore(notBefore));
  }

  /**
   * Sets or clears the end of a version's validity.
   *
   * @param version the key version (must be versioned)
   * @param expiresOn first instant it may no longer be used, or {@code null} for no limit
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public void setExpiry(KeyReference version, Instant expiresOn) {
    updateVersion(version, v -> v.withExpiresOn(expiresOn));
  }

  /**
   * Replaces the operations a version permits.
   *
   * @param version the key version (must be versioned)
   * @param operations the permitted operations, possibly empty
   * @throws NullPointerException if an argument is null or {@code operations} contains null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public void setOperations(KeyReference version, Set<KeyOperation> operations) {
    Set<KeyOperation> ops = Set.copyOf(Objects.requireNonNull(operations, "operations"));
    updateVersion(version, v -> v.withOperations(ops));
  }

  private void updateVersion(KeyReference version, Function<VersionEntry, VersionEntry> change) {
    requireVersioned(version, "version");
    modify(
        w -> {
          KeyEntry k = activeKey(w.metadata, version);
          VersionEntry old = findVersion(k, version);
          List<VersionEntry> versions = new ArrayList<>(k.versions());
          versions.set(versions.indexOf(old), change.apply(old));
          w.metadata = w.metadata.withKey(new KeyEntry(k.name(), null, versions));
          return null;
        });
  }

  /**
   * Soft-deletes a key with all its versions: it is kept in the file, unusable and not found, until
   * it is {@linkplain #recover recovered} or its retention ends.
   *
   * @param key the key (a version in it is ignored)
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if the key does not exist or is already deleted
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public void delete(KeyReference key) {
    Objects.requireNonNull(key, "key");
    modify(
        w -> {
          KeyEntry k = activeKey(w.metadata, key);
          w.metadata = w.metadata.withKey(new KeyEntry(k.name(), clock.instant(), k.versions()));
          return null;
        });
  }

  /**
   * Recovers a soft-deleted key with all its versions and their attributes.
   *
   * @param key the key (a version in it is ignored)
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if no such key exists, deleted or not (never created, purged, or
   *     retention over)
   * @throws IllegalStateException if the key is not deleted
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public void recover(KeyReference key) {
    Objects.requireNonNull(key, "key");
    modify(
        w -> {
          KeyEntry k = existingKey(w.metadata, key);
          if (!k.deleted()) {
            throw new IllegalStateException("key " + key.versionless() + " is not deleted");
          }
          w.metadata = w.metadata.withKey(new KeyEntry(k.name(), null, k.versions()));
          return null;
        });
  }

  /**
   * Permanently removes a soft-deleted key from the file. With purge protection on (the default)
   * this is refused until the key's retention has ended.
   *
   * @param key the key (a version in it is ignored)
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if no such key exists in the file
   * @throws IllegalStateException if the key is not deleted, or purge protection is on and its
   *     retention has not ended
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public void purge(KeyReference key) {
    Objects.requireNonNull(key, "key");
    modify(
        w -> {
          KeyEntry k = w.metadata.keys().get(key.name());
          if (k == null) {
            throw new KeyNotFoundException("no such key in the keystore", key.versionless());
          }
          if (!k.deleted()) {
            throw new IllegalStateException(
                "key " + key.versionless() + " is not deleted; only a deleted key can be purged");
          }
          if (w.metadata.purgeProtection() && !retentionOver(w.metadata, k)) {
            throw new IllegalStateException(
                "purge protection is on: deleted key "
                    + key.versionless()
                    + " is kept until its retention ends at "
                    + scheduledPurge(w.metadata, k));
          }
          w.remove(k);
          return null;
        });
  }

  /**
   * Describes every version of a key, oldest first; the last is the latest.
   *
   * @param key the key (a version in it is ignored)
   * @return the descriptions
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if the key does not exist or is deleted
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read
   */
  public List<KeyDescription> listVersions(KeyReference key) {
    Objects.requireNonNull(key, "key");
    Snapshot s = current();
    KeyEntry k = activeKey(s, key);
    List<KeyDescription> out = new ArrayList<>();
    for (VersionEntry v : k.versions()) {
      out.add(description(s, key, v));
    }
    return List.copyOf(out);
  }

  /**
   * The keys that are not deleted, by name.
   *
   * @return versionless references
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read
   */
  public List<KeyReference> listKeys() {
    List<KeyReference> out = new ArrayList<>();
    for (KeyEntry k : current().metadata.keys().values()) {
      if (!k.deleted()) {
        out.add(KeyReference.local(k.name(), null));
      }
    }
    return List.copyOf(out);
  }

  /**
   * The soft-deleted keys whose retention has not ended.
   *
   * @return the deleted keys, by name
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read
   */
  public List<DeletedKey> listDeletedKeys() {
    Snapshot s = current();
    List<DeletedKey> out = new ArrayList<>();
    for (KeyEntry k : s.metadata.keys().values()) {
      if (k.deleted() && !retentionOver(s.metadata, k)) {
        out.add(
            new DeletedKey(
                KeyReference.local(k.name(), null),
                k.deletedOn(),
                scheduledPurge(s.metadata, k),
                k.versions().size()));
      }
    }
    return List.copyOf(out);
  }

  /**
   * The deletion guarantees of this keystore, fixed when the file was created.
   *
   * @return soft delete (always on), purge protection and retention
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read
   */
  public VaultProtection vaultProtection() {
    return protection(current().metadata);
  }

  /** The keystore file. */
  public Path path() {
    return file.path();
  }

  // ------------------------------------------------------------------------------------ SPI

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
    Objects.requireNonNull(reference, "reference");
    Snapshot s = current();
    KeyEntry k = activeKey(s, reference);
    VersionEntry v = reference.isVersioned() ? findVersion(k, reference) : k.latest();
    return description(s, reference, v);
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
    requireVersioned(reference, "reference");
    Objects.requireNonNull(dataKey, "dataKey");
    Snapshot s = current();
    VersionEntry v = findVersion(activeKey(s, reference), reference);
    checkUsable(reference, v, KeyOperation.WRAP_KEY);
    Cipher cipher =
        RsaOaep.cipher(Cipher.ENCRYPT_MODE, s.publicKeys.get(v.version()), WrapAlgorithm.RSA_OAEP_256);
    byte[] plain = dataKey.copy();
    try {
      return new WrappedKey(ID, reference, WrapAlgorithm.RSA_OAEP_256, cipher.doFinal(plain));
    } catch (IllegalBlockSizeException | BadPaddingException e) {
      throw new IllegalArgumentException(
          "a data key of " + plain.length + " bytes is too long for RSA-OAEP-256 under this key");
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
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
    Objects.requireNonNull(wrappedKey, "wrappedKey");
    KeyReference reference = wrappedKey.keyReference();
    if (!serves(reference)) {
      throw notServed(reference);
    }
    Snapshot s = current();
    VersionEntry v = findVersion(activeKey(s, reference), reference);
    checkUsable(reference, v, KeyOperation.UNWRAP_KEY);
    PrivateKey priv = privateKey(s, reference, v);
    Cipher cipher = RsaOaep.cipher(Cipher.DECRYPT_MODE, priv, wrappedKey.algorithm());
    byte[] plain;
    try {
      plain = cipher.doFinal(wrappedKey.ciphertext());
    } catch (IllegalBlockSizeException | BadPaddingException e) {
      // No cause: padding details must not travel (Manger's attack).
      throw new InvalidCiphertextException();
    }
    if (plain.length == 0) {
      throw new InvalidCiphertextException();
    }
    return SecretBytes.wrapOwned(plain);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Always present for an existing version, also a disabled one.
   *
   * @throws NullPointerException if {@code reference} is null
   * @throws IllegalArgumentException if {@code reference} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read
   */
  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    requireVersioned(reference, "reference");
    Snapshot s = current();
    VersionEntry v = findVersion(activeKey(s, reference), reference);
    return Optional.of(s.publicKeys.get(v.version()));
  }

  /** Names the file and the number of keys, never the password. */
  @Override
  public String toString() {
    Snapshot s = snapshot;
    return "KeystoreKeyProvider[id=" + ID + ", path=" + file.path() + ", keys="
        + s.metadata.keys().size() + "]";
  }

  // ------------------------------------------------------------------------------ internals

  /** A read-modify-write in progress, under the file lock. */
  private final class Working {
    final KeyStore keyStore;
    final char[] pw;
    KeystoreMetadata metadata;

    Working(KeyStore keyStore, KeystoreMetadata metadata, char[] pw) {
      this.keyStore = keyStore;
      this.metadata = metadata;
      this.pw = pw;
    }

    VersionEntry addVersion(String name, KeyPair pair, Set<KeyOperation> operations) {
      metadata = metadata.withNextCounter();
      String version =
          String.format("%08d", metadata.counter()) + "-" + HexFormat.of().toHexDigits(random.nextInt());
      Instant now = clock.instant();
      X509Certificate cert = SelfSignedCertificates.issue(pair, name, version, now, random);
      VersionEntry v =
          new VersionEntry(
              version,
              ((RSAPublicKey) pair.getPublic()).getModulus().bitLength(),
              now,
              true,
              null,
              null,
              operations);
      try {
        keyStore.setEntry(
            v.alias(),
            new KeyStore.PrivateKeyEntry(pair.getPrivate(), new Certificate[] {cert}),
            KeystoreFile.protection(pw));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK cannot store the key in the keystore", e);
      }
      return v;
    }

    void remove(KeyEntry k) {
      for (VersionEntry v : k.versions()) {
        try {
          keyStore.deleteEntry(v.alias());
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("the JDK cannot remove a keystore entry", e);
        }
      }
      metadata = metadata.withoutKey(k.name());
    }
  }

  /** Runs a change as one atomic read-modify-write of the file and publishes the result. */
  private <T> T modify(Function<Working, T> change) {
    try {
      return file.locked(
          () -> {
            char[] pw = password.read();
            try {
              KeystoreFile.Contents c = file.read(pw);
              Working w = new Working(c.keyStore(), c.metadata(), pw);
              T result = change.apply(w);
              for (KeyEntry k : List.copyOf(w.metadata.keys().values())) {
                if (k.deleted() && retentionOver(w.metadata, k)) {
                  w.remove(k); // retention over: the scheduled purge
                }
              }
              KeystoreFile.Stamp stamp = file.write(w.keyStore, w.metadata, pw);
              publish(new Snapshot(stamp, w.metadata, w.keyStore, snapshot));
              return result;
            } finally {
              Arrays.fill(pw, '\0');
            }
          });
    } catch (IOException e) {
      throw new KeyProviderUnavailableException(
          "keystore file " + file.path() + " cannot be written", null, e);
    }
  }

  private void publish(Snapshot s) {
    synchronized (reloadLock) {
      snapshot = s;
    }
  }

  /** The snapshot of the file as it is on disk now: one stat, a reload only when it changed. */
  private Snapshot current() {
    Snapshot s = snapshot;
    Optional<KeystoreFile.Stamp> now = stamp();
    if (now.isPresent() && now.get().equals(s.stamp)) {
      return s;
    }
    synchronized (reloadLock) {
      s = snapshot;
      if (now.isPresent() && now.get().equals(s.stamp)) {
        return s;
      }
      char[] pw = password.read();
      try {
        KeystoreFile.Contents c = file.read(pw);
        Snapshot fresh = new Snapshot(c.stamp(), c.metadata(), c.keyStore(), s);
        snapshot = fresh;
        return fresh;
      } finally {
        Arrays.fill(pw, '\0');
      }
    }
  }

  private Optional<KeystoreFile.Stamp> stamp() {
    try {
      return file.stamp();
    } catch (IOException e) {
      throw new KeyProviderUnavailableException(
          "keystore file " + file.path() + " cannot be read", null, e);
    }
  }

  private PrivateKey privateKey(Snapshot s, KeyReference reference, VersionEntry v) {
    PrivateKey known = s.privateKeys.get(v.version());
    if (known != null) {
      return known;
    }
    char[] pw = password.read();
    try {
      Key k;
      synchronized (s.keyStore) {
        k = s.keyStore.getKey(v.alias(), pw);
      }
      if (!(k instanceof PrivateKey)) {
        throw new KeyProviderUnavailableException(
            "keystore entry holds no private key", reference, null);
      }
      s.privateKeys.put(v.version(), (PrivateKey) k);
      return (PrivateKey) k;
    } catch (GeneralSecurityException e) {
      throw new KeyAccessDeniedException(
          "the keystore password does not decrypt the key entry",
          KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED,
          reference,
          e);
    } finally {
      Arrays.fill(pw, '\0');
    }
  }

  private KeyDescription description(Snapshot s, KeyReference reference, VersionEntry v) {
    return new KeyDescription(
        reference.withVersion(v.version()),
        KeyType.RSA,
        s.publicKeys.get(v.version()).getModulus().bitLength(),
        v.enabled(),
        v.notBefore(),
        v.expiresOn(),
        v.operations(),
        protection(s.metadata));
  }

  private static VaultProtection protection(KeystoreMetadata m) {
    return new VaultProtection(true, m.purgeProtection(), m.retentionDays(), null);
  }

  private void checkUsable(KeyReference reference, VersionEntry v, KeyOperation op) {
    if (!v.enabled()) {
      throw new KeyAccessDeniedException(
          "key version is disabled", KeyAccessDeniedException.Reason.KEY_DISABLED, reference);
    }
    Instant now = clock.instant();
    if ((v.notBefore() != null && now.isBefore(v.notBefore()))
        || (v.expiresOn() != null && !now.isBefore(v.expiresOn()))) {
      throw new KeyAccessDeniedException(
          "key version is outside its validity window (not-before "
              + (v.notBefore() == null ? "none" : v.notBefore())
              + ", expires "
              + (v.expiresOn() == null ? "never" : v.expiresOn())
              + ")",
          KeyAccessDeniedException.Reason.KEY_NOT_VALID_NOW,
          reference);
    }
    if (!v.operations().contains(op)) {
      throw new KeyAccessDeniedException(
          "key version does not permit " + op,
          KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED,
          reference);
    }
  }

  private KeyEntry activeKey(Snapshot s, KeyReference reference) {
    return activeKey(s.metadata, reference);
  }

  private KeyEntry activeKey(KeystoreMetadata m, KeyReference reference) {
    if (!serves(reference)) {
      throw notServed(reference);
    }
    KeyEntry k = m.keys().get(reference.name());
    if (k == null || k.deleted()) {
      throw new KeyNotFoundException(
          k == null ? "no such key in the keystore" : "key is deleted", reference);
    }
    return k;
  }

  private KeyEntry existingKey(KeystoreMetadata m, KeyReference reference) {
    if (!serves(reference)) {
      throw notServed(reference);
    }
    KeyEntry k = m.keys().get(reference.name());
    if (k == null || (k.deleted() && retentionOver(m, k))) {
      throw new KeyNotFoundException("no such key in the keystore", reference.versionless());
    }
    return k;
  }

  private static VersionEntry findVersion(KeyEntry k, KeyReference reference) {
    String version = reference.version().orElseThrow();
    for (VersionEntry v : k.versions()) {
      if (v.version().equals(version)) {
        return v;
      }
    }
    throw new KeyNotFoundException("no such key version in the keystore", reference);
  }

  private boolean retentionOver(KeystoreMetadata m, KeyEntry k) {
    return k.deleted() && !clock.instant().isBefore(scheduledPurge(m, k));
  }

  private static Instant scheduledPurge(KeystoreMetadata m, KeyEntry k) {
    return k.deletedOn().plus(Duration.ofDays(m.retentionDays()));
  }

  private static KeyNotFoundException notServed(KeyReference reference) {
    return new KeyNotFoundException(
        "the keystore provider serves only local: key references", reference);
  }

  private static void requireVersioned(KeyReference reference, String parameter) {
    Objects.requireNonNull(reference, parameter);
    if (!reference.isVersioned()) {
      throw new IllegalArgumentException(
          parameter + " must name a key version; resolve the latest version first");
    }
  }

  private KeyPair generate(int sizeBits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(sizeBits, random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate RSA-" + sizeBits + " keys", e);
    }
  }

  // -------------------------------------------------------------------------------- builder

  /**
   * Configures a {@link KeystoreKeyProvider}. Each setting may be set once; setters reject null
   * with the parameter's name.
   *
   * <p><b>Thread safety:</b> not thread-safe; use from one thread, then share the provider.
   */
  public static final class Builder {
    private KeystoreFile file;
    private PasswordSource password;
    private Clock clock;
    private SecureRandom random;
    private Boolean create;
    private Integer retentionDays;
    private Boolean purgeProtection;

    private Builder() {}

    /**
     * The keystore file (PKCS#12). Required.
     *
     * @param path the file
     * @return this builder
     * @throws NullPointerException if {@code path} is null
     * @throws IllegalStateException if already set
     */
    public Builder path(Path path) {
      Objects.requireNonNull(path, "path");
      once(file, "path");
      this.file = new KeystoreFile(path);
      return this;
    }

    /**
     * The password comes from a callback (a secrets manager, a prompt), called each time the file
     * is opened or written; it must return a fresh array, which is wiped after use. One password
     * source is required.
     *
     * @param password returns the password
     * @return this builder
     * @throws NullPointerException if {@code password} is null
     * @throws IllegalStateException if a password source is already set
     */
    public Builder password(Supplier<char[]> password) {
      Objects.requireNonNull(password, "password");
      once(this.password, "password source");
      this.password = PasswordSource.ofCallback(password);
      return this;
    }

    /**
     * The password is the UTF-8 content of a file (without one trailing line break), read each
     * time the keystore is opened or written. Keep it readable by the service account only.
     *
     * @param passwordFile the file
     * @return this builder
     * @throws NullPointerException if {@code passwordFile} is null
     * @throws IllegalStateException if a password source is already set
     */
    public Builder passwordFile(Path passwordFile) {
      Objects.requireNonNull(passwordFile, "passwordFile");
      once(this.password, "password source");
      this.password = PasswordSource.ofFile(passwordFile);
      return this;
    }

    /**
     * The password is the value of an environment variable.
     *
     * @param variable the variable's name, e.g. {@code CMK_KEYSTORE_PASSWORD}
     * @return this builder
     * @throws NullPointerException if {@code variable} is null
     * @throws IllegalArgumentException if {@code variable} is empty or contains {@code =}
     * @throws IllegalStateException if a password source is already set
     */
    public Builder passwordEnvironment(String variable) {
      Objects.requireNonNull(variable, "variable");
      once(this.password, "password source");
      this.password = PasswordSource.ofEnvironment(variable, System::getenv);
      return this;
    }

    /**
     * The clock for validity windows, creation and deletion times and retention. Default: system
     * UTC.
     *
     * @param clock the clock
     * @return this builder
     * @throws NullPointerException if {@code clock} is null
     * @throws IllegalStateException if already set
     */
    public Builder clock(Clock clock) {
      Objects.requireNonNull(clock, "clock");
      once(this.clock, "clock");
      this.clock = clock;
      return this;
    }

    /**
     * The randomness for key generation and versions. Default: a new {@link SecureRandom}.
     *
     * @param random the source
     * @return this builder
     * @throws NullPointerException if {@code random} is null
     * @throws IllegalStateException if already set
     */
    public Builder random(SecureRandom random) {
      Objects.requireNonNull(random, "random");
      once(this.random, "random");
      this.random = random;
      return this;
    }

    /**
     * Whether {@link #build()} creates an empty keystore when the file does not exist. Default:
     * false (a missing file is a configuration error).
     *
     * @param create whether to create
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder create(boolean create) {
      once(this.create, "create");
      this.create = create;
      return this;
    }

    /**
     * Soft-delete retention, in days, of a keystore this builder creates (7&ndash;90, default 90).
     * An existing keystore keeps the retention it was created with, like a vault's setting.
     *
     * @param days retention
     * @return this builder
     * @throws IllegalArgumentException if outside 7&ndash;90
     * @throws IllegalStateException if already set
     */
    public Builder retentionDays(int days) {
      if (days < 7 || days > 90) {
        throw new IllegalArgumentException("retentionDays must be 7-90, found " + days);
      }
      once(this.retentionDays, "retentionDays");
      this.retentionDays = days;
      return this;
    }

    /**
     * Creates the keystore (if this builder creates it) without purge protection: deleted keys can
     * then be purged at once, and the FHIR and DICOM key-policy presets reject its keys. An
     * existing keystore keeps the setting it was created with.
     *
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder withoutPurgeProtection() {
      once(this.purgeProtection, "purge protection");
      this.purgeProtection = false;
      return this;
    }

    /**
     * Opens (and with {@link #create(boolean) create(true)} creates) the keystore and verifies the
     * password.
     *
     * @return the provider
     * @throws IllegalStateException if the path or password source is missing, or the file does
     *     not exist and {@code create} is not set, or the password source cannot be read
     * @throws KeyAccessDeniedException ({@code IDENTITY_NOT_AUTHORIZED}) if the password is wrong
     *     or the file fails its integrity check
     * @throws KeyProviderUnavailableException if the file cannot be read or created, or is not a
     *     cmk keystore
     */
    public KeystoreKeyProvider build() {
      if (file == null) {
        throw new IllegalStateException("path is required");
      }
      if (password == null) {
        throw new IllegalStateException(
            "a password source is required: password, passwordFile or passwordEnvironment");
      }
      if (clock == null) {
        clock = Clock.systemUTC();
      }
      if (random == null) {
        random = new SecureRandom();
      }
      try {
        if (file.stamp().isEmpty()) {
          if (!Boolean.TRUE.equals(create)) {
            throw new IllegalStateException(
                "keystore file " + file.path() + " does not exist; create it with create(true)"
                    + " or 'cmk keys create'");
          }
          createFile();
        }
      } catch (IOException e) {
        throw new KeyProviderUnavailableException(
            "keystore file " + file.path() + " cannot be created", null, e);
      }
      char[] pw = password.read();
      try {
        KeystoreFile.Contents c = file.read(pw);
        return new KeystoreKeyProvider(
            this, new Snapshot(c.stamp(), c.metadata(), c.keyStore(), null));
      } finally {
        Arrays.fill(pw, '\0');
      }
    }

    private void createFile() throws IOException {
      file.locked(
          () -> {
            if (file.stamp().isEmpty()) {
              char[] pw = password.read();
              try {
                file.write(
                    KeystoreFile.newKeyStore(),
                    KeystoreMetadata.empty(
                        purgeProtection == null || purgeProtection,
                        retentionDays == null ? DEFAULT_RETENTION_DAYS : retentionDays),
                    pw);
              } finally {
                Arrays.fill(pw, '\0');
              }
            }
            return null;
          });
    }

    private static void once(Object current, String what) {
      if (current != null) {
        throw new IllegalStateException(what + " is already set");
      }
    }
  }
}
