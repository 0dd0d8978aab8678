package dev.cmk.keystore.internal;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.TokenProtection;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.spi.SecretSource;
import dev.cmk.keystore.internal.KeystoreMetadata.KeyEntry;
import dev.cmk.keystore.internal.KeystoreMetadata.VersionEntry;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The keystore file as the provider and its key manager see it: the current {@link
 * KeystoreSnapshot} (one {@code stat} per call, a reload only when another process or instance
 * changed the file), atomic read-modify-write changes under the file lock, and the lookups both
 * share (active key, version, retention).
 *
 * <p><b>Security guarantees:</b> the password is read from its {@link SecretSource} each time the
 * file is opened or written and wiped right after; it never appears in a message.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. Reads work on an immutable snapshot; changes
 * are serialized across threads and processes by {@link KeystoreFile#locked}.
 */
public final class KeystoreStore {
  private final KeystoreFile file;
  private final SecretSource password;
  private final Clock clock;
  private final SecureRandom random;
  private final Object reloadLock = new Object();
  private volatile KeystoreSnapshot snapshot;

  private KeystoreStore(
      KeystoreFile file, SecretSource password, Clock clock, SecureRandom random) {
    this.file = file;
    this.password = password;
    this.clock = clock;
    this.random = random;
  }

  /**
   * Opens the keystore file, first creating an empty one if it is missing and {@code create} says
   * so, and verifies the password.
   *
   * @param file the file
   * @param password the keystore password
   * @param clock for validity windows, creation and deletion times, retention
   * @param random for key generation and version names
   * @param createAs the empty metadata (purge protection, retention) of a keystore to create when
   *     the file is missing, or empty to refuse a missing file
   * @return the store
   * @throws IllegalStateException if the file is missing and {@code create} is empty, or the
   *     password source cannot be read
   * @throws KeyAccessDeniedException ({@code IDENTITY_NOT_AUTHORIZED}) if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or created
   */
  public static KeystoreStore open(
      KeystoreFile file,
      SecretSource password,
      Clock clock,
      SecureRandom random,
      Optional<KeystoreMetadata> createAs) {
    KeystoreStore store = new KeystoreStore(file, password, clock, random);
    try {
      if (file.stamp().isEmpty()) {
        KeystoreMetadata empty =
            createAs.orElseThrow(
                () ->
                    new IllegalStateException(
                        "keystore file " + file.path() + " does not exist; create it with"
                            + " create(true) or 'cmk keys create'"));
        store.createFile(empty);
      }
    } catch (IOException e) {
      throw new KeyProviderUnavailableException(
          "keystore file " + file.path() + " cannot be created", null, e);
    }
    KeystoreFile.Contents c = password.apply(file::read);
    store.snapshot = new KeystoreSnapshot(c.stamp(), c.metadata(), c.keyStore(), null);
    return store;
  }

  private void createFile(KeystoreMetadata empty) throws IOException {
    file.locked(
        () -> {
          if (file.stamp().isEmpty()) {
            password.apply(pw -> writeUnchecked(KeystoreFile.newKeyStore(), empty, pw));
          }
          return null;
        });
  }

  private KeystoreFile.Stamp writeUnchecked(KeyStore ks, KeystoreMetadata m, char[] pw) {
    try {
      return file.write(ks, m, pw);
    } catch (IOException e) {
      throw new KeyProviderUnavailableException(
          "keystore file " + file.path() + " cannot be written", null, e);
    }
  }

  /**
   * The keystore file.
   *
   * @return the path
   */
  public Path path() {
    return file.path();
  }

  /**
   * The store's clock, now.
   *
   * @return the current instant
   */
  public Instant now() {
    return clock.instant();
  }

  /**
   * The snapshot last loaded, without checking the file (for {@code toString}).
   *
   * @return the snapshot
   */
  public KeystoreSnapshot loaded() {
    return snapshot;
  }

  /**
   * The snapshot of the file as it is on disk now: one {@code stat}, a reload only when it changed.
   *
   * @return the current snapshot
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read
   */
  public KeystoreSnapshot current() {
    KeystoreSnapshot s = snapshot;
    Optional<KeystoreFile.Stamp> now = stamp();
    if (now.isPresent() && now.get().equals(s.stamp())) {
      return s;
    }
    synchronized (reloadLock) {
      s = snapshot;
      if (now.isPresent() && now.get().equals(s.stamp())) {
        return s;
      }
      KeystoreFile.Contents c = password.apply(file::read);
      KeystoreSnapshot fresh = new KeystoreSnapshot(c.stamp(), c.metadata(), c.keyStore(), s);
      snapshot = fresh;
      return fresh;
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

  /**
   * Runs a change as one atomic read-modify-write of the file and publishes the result. Keys whose
   * retention is over are purged in the same write.
   *
   * @param <T> the result type
   * @param change the change; may throw to abandon the write
   * @return what {@code change} returned
   * @throws KeyAccessDeniedException if the password is wrong
   * @throws KeyProviderUnavailableException if the file cannot be read or written
   */
  public <T> T modify(Function<KeystoreChange, T> change) {
    try {
      return file.locked(
          () ->
              password.apply(
                  pw -> {
                    KeystoreFile.Contents c = file.read(pw);
                    KeystoreChange w =
                        new KeystoreChange(c.keyStore(), c.metadata(), pw, clock.instant(), random);
                    T result = change.apply(w);
                    for (KeyEntry k : List.copyOf(w.metadata().keys().values())) {
                      if (retentionOver(w.metadata(), k)) {
                        w.remove(k); // retention over: the scheduled purge
                      }
                    }
                    KeystoreFile.Stamp stamp = writeUnchecked(w.keyStore(), w.metadata(), pw);
                    KeystoreSnapshot s =
                        new KeystoreSnapshot(stamp, w.metadata(), w.keyStore(), snapshot);
                    synchronized (reloadLock) {
                      snapshot = s;
                    }
                    return result;
                  }));
    } catch (IOException e) {
      throw new KeyProviderUnavailableException(
          "keystore file " + file.path() + " cannot be written", null, e);
    }
  }

  /**
   * The private key of a version, decrypted once per snapshot.
   *
   * @param s the snapshot the version was found in
   * @param reference the version, for messages
   * @param v the version
   * @return the private key
   * @throws KeyAccessDeniedException if the password does not decrypt the entry
   * @throws KeyProviderUnavailableException if the entry holds no private key
   */
  public PrivateKey privateKey(KeystoreSnapshot s, KeyReference reference, VersionEntry v) {
    PrivateKey known = s.cachedPrivateKey(v);
    if (known != null) {
      return known;
    }
    PrivateKey k =
        password.apply(
            pw -> {
              Key key;
              try {
                synchronized (s.keyStore()) {
                  key = s.keyStore().getKey(v.alias(), pw);
                }
              } catch (GeneralSecurityException e) {
                throw new KeyAccessDeniedException(
                    "the keystore password does not decrypt the key entry",
                    KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED,
                    reference,
                    e);
              }
              if (!(key instanceof PrivateKey)) {
                throw new KeyProviderUnavailableException(
                    "keystore entry holds no private key", reference, null);
              }
              return (PrivateKey) key;
            });
    s.cachePrivateKey(v, k);
    return k;
  }

  /**
   * Describes a version as the SPI reports it; made once per snapshot and version, so that wrap
   * and unwrap can check usability against it cheaply.
   *
   * @param s the snapshot the version was found in
   * @param key the key (its version is replaced by {@code v}'s)
   * @param v the version
   * @return the description
   */
  public KeyDescription description(KeystoreSnapshot s, KeyReference key, VersionEntry v) {
    return s.description(v, version -> describe(s, key, version));
  }

  private KeyDescription describe(KeystoreSnapshot s, KeyReference key, VersionEntry v) {
    return new KeyDescription(
        key.withVersion(v.version()),
        KeyType.RSA,
        s.publicKey(v).getModulus().bitLength(),
        v.enabled(),
        v.notBefore(),
        v.expiresOn(),
        v.operations(),
        protection(s.metadata()),
        TokenProtection.none());
  }

  /**
   * The deletion guarantees of a keystore: soft delete always, its purge protection and
   * retention.
   *
   * @param m the metadata
   * @return the protection
   */
  public static VaultProtection protection(KeystoreMetadata m) {
    return new VaultProtection(true, m.purgeProtection(), m.retentionDays(), null);
  }

  /**
   * The key of that name, not deleted.
   *
   * @param m the metadata
   * @param reference the key (served)
   * @return its entry
   * @throws KeyNotFoundException if there is no such key or it is deleted
   */
  public static KeyEntry activeKey(KeystoreMetadata m, KeyReference reference) {
    KeyEntry k = m.keys().get(reference.name());
    if (k == null || k.deleted()) {
      throw new KeyNotFoundException(
          k == null ? "no such key in the keystore" : "key is deleted", reference);
    }
    return k;
  }

  /**
   * The key of that name, deleted or not, unless its retention is over.
   *
   * @param m the metadata
   * @param reference the key (served)
   * @return its entry
   * @throws KeyNotFoundException if there is no such key
   */
  public KeyEntry existingKey(KeystoreMetadata m, KeyReference reference) {
    KeyEntry k = m.keys().get(reference.name());
    if (k == null || retentionOver(m, k)) {
      throw new KeyNotFoundException("no such key in the keystore", reference.versionless());
    }
    return k;
  }

  /**
   * The version a versioned reference names.
   *
   * @param k the key's entry
   * @param reference a versioned reference
   * @return the version
   * @throws KeyNotFoundException if the key has no such version
   */
  public static VersionEntry findVersion(KeyEntry k, KeyReference reference) {
    String version = reference.version().orElseThrow();
    for (VersionEntry v : k.versions()) {
      if (v.version().equals(version)) {
        return v;
      }
    }
    throw new KeyNotFoundException("no such key version in the keystore", reference);
  }

  /**
   * Whether a deleted key's retention has ended.
   *
   * @param m the metadata
   * @param k the key's entry
   * @return whether deleted and past its scheduled purge
   */
  public boolean retentionOver(KeystoreMetadata m, KeyEntry k) {
    return k.deleted() && !clock.instant().isBefore(scheduledPurge(m, k));
  }

  /**
   * When a deleted key's retention ends.
   *
   * @param m the metadata
   * @param k a deleted key's entry
   * @return its deletion time plus the keystore's retention
   */
  public static Instant scheduledPurge(KeystoreMetadata m, KeyEntry k) {
    return k.deletedOn().plus(Duration.ofDays(m.retentionDays()));
  }

  /**
   * Generates an RSA key pair.
   *
   * @param sizeBits the modulus size
   * @return the pair
   */
  public KeyPair generate(int sizeBits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(sizeBits, random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate RSA-" + sizeBits + " keys", e);
    }
  }
}
