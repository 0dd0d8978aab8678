package dev.cmk.testkit;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.ProviderIds;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.ServedKeys;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * A key provider that holds software RSA keys in memory and behaves like a key vault: versioned
 * keys, rotation, enable/disable, not-before and expiry, permitted operations, soft delete with
 * recovery and purge protection. With call counters, simulated latency and fault injection
 * ({@link FaultControls}). Serves {@code local:} references ({@link KeyReference.Kind#LOCAL}).
 *
 * <p>Wrapping is real RSAES-OAEP with SHA-256 and MGF1-SHA-256 and an empty label (Key Vault's
 * {@code RSA-OAEP-256}), so wrapped keys interoperate with the JDK, Key Vault and PKCS#11 tokens
 * given the same key ({@link #importKey}, {@link #exportPrivateKey}). {@link #unwrap} also accepts
 * {@link WrapAlgorithm#RSA_OAEP_SHA1}.
 *
 * <p>Versions are named {@code 00000001}, {@code 00000002}, ... from one counter per provider, so
 * they sort in creation order and no two keys share a version; the latest version of a key is the
 * one created last.
 *
 * <p>How state maps to failures of the SPI operations:
 *
 * <ul>
 *   <li>unknown key or version, deleted (also soft-deleted) key, a reference that is not {@code
 *       local:} &rarr; {@link KeyNotFoundException};
 *   <li>{@link #wrap} or {@link #unwrap} on a disabled version &rarr; {@link
 *       KeyAccessDeniedException} {@code KEY_DISABLED}; outside its not-before / expiry window
 *       (by the configured clock) &rarr; {@code KEY_NOT_VALID_NOW}; without {@code WRAP_KEY} /
 *       {@code UNWRAP_KEY} among its operations, or not an RSA key &rarr; {@code
 *       OPERATION_NOT_PERMITTED};
 *   <li>wrapped bytes that do not decrypt under the named version &rarr; {@link
 *       InvalidCiphertextException}.
 * </ul>
 *
 * <p>{@link #describe} and {@link #publicKey} work on disabled and expired versions, as Key Vault's
 * get-key does.
 *
 * <p>The lifecycle methods ({@link #createKey}, {@link #rotate}, {@link #setEnabled}, {@link
 * #delete}, ...) act like the customer in the vault's portal: they are not counted and never
 * faulted.
 *
 * <p><b>Security guarantees:</b> exception messages and {@link #toString()} never contain key
 * material or data keys. This is a test tool: private keys live in ordinary heap memory and are
 * exportable; do not use it to protect real data.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. Key state changes are atomic; cryptographic
 * work happens outside the lock, on a snapshot of the key version taken when the call started.
 */
public final class InMemoryKeyProvider implements KeyEncryptionKeyProvider, FaultControls {

  /** The id used when the builder sets none. */
  public static final String DEFAULT_ID = "in-memory";

  private static final List<Integer> RSA_SIZES = List.of(1024, 2048, 3072, 4096);
  private static final Map<Integer, String> EC_CURVES =
      Map.of(256, "secp256r1", 384, "secp384r1", 521, "secp521r1");
  private static final Set<KeyOperation> RSA_OPERATIONS =
      Set.copyOf(
          EnumSet.of(
              KeyOperation.ENCRYPT,
              KeyOperation.DECRYPT,
              KeyOperation.SIGN,
              KeyOperation.VERIFY,
              KeyOperation.WRAP_KEY,
              KeyOperation.UNWRAP_KEY));
  private static final Set<KeyOperation> EC_OPERATIONS =
      Set.copyOf(EnumSet.of(KeyOperation.SIGN, KeyOperation.VERIFY));

  /** Mutable attributes of one version, replaced as a whole under the lock. */
  private record Attributes(
      boolean enabled, Instant notBefore, Instant expiresOn, Set<KeyOperation> operations) {}

  private static final class StoredVersion {
    final KeyReference reference;
    final KeyType type;
    final int generatedBits; // RSA modulus size or EC curve size
    final KeyPair keyPair;
    Attributes attributes; // guarded by lock

    StoredVersion(
        KeyReference reference, KeyType type, int generatedBits, KeyPair keyPair, Attributes a) {
      this.reference = reference;
      this.type = type;
      this.generatedBits = generatedBits;
      this.keyPair = keyPair;
      this.attributes = a;
    }

    int describedBits() {
      return type.isRsa() ? generatedBits : 0;
    }
  }

  private static final class StoredKey {
    final List<StoredVersion> versions = new ArrayList<>(); // guarded by lock; oldest first
    Instant deletedOn; // guarded by lock; null while active
  }

  /** A consistent view of one version, taken under the lock. */
  private record Snapshot(KeyDescription description, KeyPair keyPair) {}

  private final String id;
  private final Clock clock;
  private final VaultProtection vaultProtection;
  private final SecureRandom random;
  private final FaultInjector faults;
  private final Object lock = new Object();
  private final Map<String, StoredKey> keys = new HashMap<>(); // guarded by lock
  private long lastVersion; // guarded by lock

  private InMemoryKeyProvider(Builder b) {
    this.id = b.id;
    this.clock = b.clock;
    this.vaultProtection = b.vaultProtection;
    this.random = b.random;
    this.faults = new FaultInjector(b.latency);
  }

  /**
   * A builder with the defaults: id {@value #DEFAULT_ID}, the system UTC clock, soft delete with
   * purge protection and 90 days retention (Key Vault's {@code Recoverable}), no latency, a new
   * {@link SecureRandom}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A provider with every default (see {@link #builder()}).
   *
   * @return the provider
   */
  public static InMemoryKeyProvider create() {
    return builder().build();
  }

  // ---------------------------------------------------------------- lifecycle (the "portal")

  /**
   * Creates an RSA key with one version.
   *
   * @param name the key name, 1&ndash;127 of {@code [0-9a-zA-Z-]}
   * @param sizeBits 1024, 2048, 3072 or 4096
   * @return the versioned reference of the first version
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if the name or size is not valid
   * @throws IllegalStateException if a key of that name exists (also when it is soft-deleted)
   */
  public KeyReference createKey(String name, int sizeBits) {
    return createKey(name, KeyType.RSA, sizeBits);
  }

  /**
   * Creates a key of any type a key policy may meet, with one version. RSA types ({@code RSA},
   * {@code RSA_HSM}, both software keys here) take 1024, 2048, 3072 or 4096 bits and permit
   * encrypt, decrypt, sign, verify, wrapKey and unwrapKey; EC types ({@code EC}, {@code EC_HSM})
   * take 256, 384 or 521 (the P-curves), permit sign and verify and are described with size 0.
   *
   * @param name the key name, 1&ndash;127 of {@code [0-9a-zA-Z-]}
   * @param type the key type: {@code RSA}, {@code RSA_HSM}, {@code EC} or {@code EC_HSM}
   * @param sizeBits the modulus size or curve size
   * @return the versioned reference of the first version
   * @throws NullPointerException if {@code name} or {@code type} is null
   * @throws IllegalArgumentException if the name, type or size is not valid
   * @throws IllegalStateException if a key of that name exists (also when it is soft-deleted)
   */
  public KeyReference createKey(String name, KeyType type, int sizeBits) {
    KeyReference key = KeyReference.local(Objects.requireNonNull(name, "name"), null);
    KeyPair keyPair = generate(Objects.requireNonNull(type, "type"), sizeBits);
    return addFirstVersion(key, type, sizeBits, keyPair);
  }

  /**
   * Creates an RSA key ({@link KeyType#RSA}) whose first version is the given key pair, for
   * known-answer tests and interoperability with other holders of the same key.
   *
   * @param name the key name, 1&ndash;127 of {@code [0-9a-zA-Z-]}
   * @param keyPair an RSA key pair of 1024 to 8192 bits
   * @return the versioned reference of the first version
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the name is not valid, or the pair is not a matching RSA
   *     pair of a supported size
   * @throws IllegalStateException if a key of that name exists (also when it is soft-deleted)
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
    if (!pub.getModulus().equals(priv.getModulus())) {
      throw new IllegalArgumentException("keyPair's public and private keys do not match");
    }
    int size = pub.getModulus().bitLength();
    if (size < 1024 || size > 8192) {
      throw new IllegalArgumentException("RSA key size must be 1024-8192 bits, found " + size);
    }
    return addFirstVersion(key, KeyType.RSA, size, keyPair);
  }

  private KeyReference addFirstVersion(
      KeyReference key, KeyType type, int sizeBits, KeyPair keyPair) {
    Set<KeyOperation> ops = type.isRsa() ? RSA_OPERATIONS : EC_OPERATIONS;
    synchronized (lock) {
      StoredKey existing = stored(key.name());
      if (existing != null) {
        throw new IllegalStateException(
            existing.deletedOn == null
                ? "key " + key + " already exists; use rotate to add a version"
                : "key " + key + " is deleted but recoverable; recover or purge it first");
      }
      StoredKey k = new StoredKey();
      StoredVersion v = addVersion(k, key, type, sizeBits, keyPair, ops);
      keys.put(key.name(), k);
      return v.reference;
    }
  }

  /**
   * Creates a new version of a key with the latest version's type, size and permitted operations
   * (enabled, no validity window); it becomes the latest version.
   *
   * @param key the key (a version in it is ignored)
   * @return the versioned reference of the new version
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if the key does not exist or is deleted
   */
  public KeyReference rotate(KeyReference key) {
    Objects.requireNonNull(key, "key");
    StoredVersion latest;
    Set<KeyOperation> operations;
    synchronized (lock) {
      latest = latest(activeKey(key));
      operations = latest.attributes.operations();
    }
    return rotate(key, latest.type, latest.generatedBits, operations);
  }

  /**
   * Creates a new version of a key with another type or size (as a customer might rotate to a key
   * a policy does not accept); it becomes the latest version, enabled, with the default operations
   * of its type (see {@link #createKey(String, KeyType, int)}).
   *
   * @param key the key (a version in it is ignored)
   * @param type the new version's type
   * @param sizeBits the new version's size
   * @return the versioned reference of the new version
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the type or size is not valid
   * @throws KeyNotFoundException if the key does not exist or is deleted
   */
  public KeyReference rotate(KeyReference key, KeyType type, int sizeBits) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(type, "type");
    return rotate(key, type, sizeBits, type.isRsa() ? RSA_OPERATIONS : EC_OPERATIONS);
  }

  private KeyReference rotate(
      KeyReference key, KeyType type, int sizeBits, Set<KeyOperation> operations) {
    KeyPair keyPair = generate(type, sizeBits);
    synchronized (lock) {
      StoredKey k = activeKey(key);
      return addVersion(k, key, type, sizeBits, keyPair, operations).reference;
    }
  }

  private StoredVersion addVersion(
      StoredKey k,
      KeyReference key,
      KeyType type,
      int sizeBits,
      KeyPair keyPair,
      Set<KeyOperation> operations) {
    String version = String.format("%08d", ++lastVersion);
    StoredVersion v =
        new StoredVersion(
            key.withVersion(version),
            type,
            sizeBits,
            keyPair,
            new Attributes(true, null, null, operations));
    k.versions.add(v);
    return v;
  }

  /**
   * Enables or disables one version.
   *
   * @param version the key version (must be versioned)
   * @param enabled whether it may be used
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   */
  public void setEnabled(KeyReference version, boolean enabled) {
    update(version, a -> new Attributes(enabled, a.notBefore(), a.expiresOn(), a.operations()));
  }

  /**
   * Sets or clears the start of a version's validity.
   *
   * @param version the key version (must be versioned)
   * @param notBefore the first instant the version may be used, or {@code null} for no limit
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   */
  public void setNotBefore(KeyReference version, Instant notBefore) {
    update(version, a -> new Attributes(a.enabled(), notBefore, a.expiresOn(), a.operations()));
  }

  /**
   * Sets or clears the end of a version's validity.
   *
   * @param version the key version (must be versioned)
   * @param expiresOn the first instant the version may no longer be used, or {@code null} for no
   *     limit
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   */
  public void setExpiry(KeyReference version, Instant expiresOn) {
    update(version, a -> new Attributes(a.enabled(), a.notBefore(), expiresOn, a.operations()));
  }

  /**
   * Replaces the operations a version permits (Key Vault's {@code key_ops}).
   *
   * @param version the key version (must be versioned)
   * @param operations the permitted operations, possibly empty
   * @throws NullPointerException if an argument is null or {@code operations} contains null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   */
  public void setOperations(KeyReference version, Set<KeyOperation> operations) {
    Set<KeyOperation> ops = Set.copyOf(Objects.requireNonNull(operations, "operations"));
    update(version, a -> new Attributes(a.enabled(), a.notBefore(), a.expiresOn(), ops));
  }

  private void update(KeyReference version, UnaryOperator<Attributes> change) {
    requireVersioned(version, "version");
    synchronized (lock) {
      StoredVersion v = find(activeKey(version), version);
      v.attributes = change.apply(v.attributes);
    }
  }

  /**
   * Deletes a key with all its versions. With soft delete (see {@link VaultProtection}) the key is
   * kept, unusable, until it is {@linkplain #recover recovered}, {@linkplain #purge purged}, or its
   * retention days have passed on the clock; without soft delete it is gone at once.
   *
   * @param key the key (a version in it is ignored)
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if the key does not exist or is already deleted
   */
  public void delete(KeyReference key) {
    Objects.requireNonNull(key, "key");
    synchronized (lock) {
      StoredKey k = activeKey(key);
      if (vaultProtection.softDeleteEnabled()) {
        k.deletedOn = clock.instant();
      } else {
        keys.remove(key.name());
      }
    }
  }

  /**
   * Recovers a soft-deleted key with all its versions and their attributes.
   *
   * @param key the key (a version in it is ignored)
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if no such key exists, deleted or not (never created, purged,
   *     retention over, or deleted without soft delete)
   * @throws IllegalStateException if the key is not deleted
   */
  public void recover(KeyReference key) {
    Objects.requireNonNull(key, "key");
    synchronized (lock) {
      StoredKey k = existingKey(key);
      if (k.deletedOn == null) {
        throw new IllegalStateException("key " + key.versionless() + " is not deleted");
      }
      k.deletedOn = null;
    }
  }

  /**
   * Permanently removes a soft-deleted key.
   *
   * @param key the key (a version in it is ignored)
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if no such key exists, deleted or not
   * @throws IllegalStateException if the key is not deleted, or the vault has purge protection
   */
  public void purge(KeyReference key) {
    Objects.requireNonNull(key, "key");
    synchronized (lock) {
      StoredKey k = existingKey(key);
      if (k.deletedOn == null) {
        throw new IllegalStateException(
            "key " + key.versionless() + " is not deleted; only a deleted key can be purged");
      }
      if (vaultProtection.purgeProtectionEnabled()) {
        throw new IllegalStateException(
            "purge protection is enabled: key "
                + key.versionless()
                + " is kept until its retention of "
                + vaultProtection.retentionDays()
                + " days ends");
      }
      keys.remove(key.name());
    }
  }

  /**
   * Describes every version of a key, oldest first. Not counted, never faulted.
   *
   * @param key the key (a version in it is ignored)
   * @return the descriptions; the last is the latest version
   * @throws NullPointerException if {@code key} is null
   * @throws KeyNotFoundException if the key does not exist or is deleted
   */
  public List<KeyDescription> listVersions(KeyReference key) {
    Objects.requireNonNull(key, "key");
    synchronized (lock) {
      StoredKey k = activeKey(key);
      List<KeyDescription> out = new ArrayList<>(k.versions.size());
      for (StoredVersion v : k.versions) {
        out.add(describe(v));
      }
      return List.copyOf(out);
    }
  }

  /**
   * The private key of a version, for interoperability tests (e.g. decrypting with the JDK what
   * this provider wrapped). Not counted, never faulted, works on disabled versions.
   *
   * @param version the key version (must be versioned)
   * @return the private key
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   */
  public PrivateKey exportPrivateKey(KeyReference version) {
    requireVersioned(version, "version");
    synchronized (lock) {
      return find(activeKey(version), version).keyPair.getPrivate();
    }
  }

  /** The deletion guarantees this provider simulates and reports in every description. */
  public VaultProtection vaultProtection() {
    return vaultProtection;
  }

  // ---------------------------------------------------------------- SPI

  @Override
  public String id() {
    return id;
  }

  /**
   * Whether {@code reference} is a {@code local:} reference; true also for keys not created (yet),
   * which then are not found.
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
   * <p>Describes disabled and expired versions too.
   *
   * @throws NullPointerException if {@code reference} is null
   */
  @Override
  public KeyDescription describe(KeyReference reference) {
    Objects.requireNonNull(reference, "reference");
    faults.before(Operation.DESCRIBE, reference);
    return snapshot(reference).description();
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
    faults.before(Operation.WRAP, reference);
    Snapshot s = snapshot(reference);
    checkUsable(s.description(), KeyOperation.WRAP_KEY);
    Cipher cipher = cipher(Cipher.ENCRYPT_MODE, s.keyPair().getPublic(), WrapAlgorithm.RSA_OAEP_256);
    byte[] plain = dataKey.copy();
    try {
      return new WrappedKey(
          id, s.description().reference(), WrapAlgorithm.RSA_OAEP_256, cipher.doFinal(plain));
    } catch (IllegalBlockSizeException | BadPaddingException e) {
      throw new IllegalArgumentException(
          "a data key of "
              + plain.length
              + " bytes is too long for RSA-OAEP-256 under a "
              + s.description().sizeBits()
              + "-bit key");
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Accepts keys wrapped with {@link WrapAlgorithm#RSA_OAEP_256} and {@link
   * WrapAlgorithm#RSA_OAEP_SHA1}.
   *
   * @throws NullPointerException if {@code wrappedKey} is null
   * @throws KeyNotFoundException also if {@code wrappedKey} names another provider id ({@link
   *     ServedKeys#requireOwn})
   */
  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    KeyReference reference = ServedKeys.requireOwn(this, wrappedKey);
    faults.before(Operation.UNWRAP, reference);
    Snapshot s = snapshot(reference);
    checkUsable(s.description(), KeyOperation.UNWRAP_KEY);
    Cipher cipher = cipher(Cipher.DECRYPT_MODE, s.keyPair().getPrivate(), wrappedKey.algorithm());
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
   * <p>Always present; works on disabled and expired versions.
   *
   * @throws NullPointerException if {@code reference} is null
   * @throws IllegalArgumentException if {@code reference} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   * @throws KeyAccessDeniedException when injected
   * @throws dev.cmk.api.KeyProviderUnavailableException when injected
   */
  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    requireVersioned(reference, "reference");
    faults.before(Operation.PUBLIC_KEY, reference);
    return Optional.of(snapshot(reference).keyPair().getPublic());
  }

  // ---------------------------------------------------------------- FaultControls

  @Override
  public void failNext(Operation operation, int times, Fault fault) {
    faults.failNext(operation, times, fault);
  }

  @Override
  public void setFault(Operation operation, Fault fault) {
    faults.setFault(operation, fault);
  }

  @Override
  public void clearFault(Operation operation) {
    faults.clearFault(operation);
  }

  @Override
  public void clearFaults() {
    faults.clearFaults();
  }

  @Override
  public void denyIdentity(boolean denied) {
    faults.denyIdentity(denied);
  }

  @Override
  public boolean identityDenied() {
    return faults.identityDenied();
  }

  @Override
  public void setLatency(Duration latency) {
    faults.setLatency(latency);
  }

  @Override
  public Duration latency() {
    return faults.latency();
  }

  @Override
  public long count(Operation operation) {
    return faults.count(operation);
  }

  @Override
  public void resetCounters() {
    faults.resetCounters();
  }

  @Override
  public String toString() {
    int n;
    synchronized (lock) {
      n = keys.size();
    }
    return "InMemoryKeyProvider[id=" + id + ", keys=" + n + "; calls: " + faults.summary() + "]";
  }

  // ---------------------------------------------------------------- internals

  private static void requireVersioned(KeyReference reference, String parameter) {
    Objects.requireNonNull(reference, parameter);
    if (!reference.isVersioned()) {
      throw new IllegalArgumentException(
          parameter + " must name a key version; resolve the latest version first");
    }
  }

  private Snapshot snapshot(KeyReference reference) {
    synchronized (lock) {
      StoredKey k = activeKey(reference);
      StoredVersion v = reference.isVersioned() ? find(k, reference) : latest(k);
      return new Snapshot(describe(v), v.keyPair);
    }
  }

  private KeyDescription describe(StoredVersion v) {
    Attributes a = v.attributes;
    return new KeyDescription(
        v.reference,
        v.type,
        v.describedBits(),
        a.enabled(),
        a.notBefore(),
        a.expiresOn(),
        a.operations(),
        vaultProtection);
  }

  private void checkUsable(KeyDescription d, KeyOperation operation) {
    String op = operation == KeyOperation.WRAP_KEY ? "wrapKey" : "unwrapKey";
    if (!d.enabled()) {
      throw new KeyAccessDeniedException(
          "key version is disabled", KeyAccessDeniedException.Reason.KEY_DISABLED, d.reference());
    }
    if (!d.isValidAt(clock.instant())) {
      throw new KeyAccessDeniedException(
          "key version is outside its not-before/expiry window",
          KeyAccessDeniedException.Reason.KEY_NOT_VALID_NOW,
          d.reference());
    }
    if (!d.operations().contains(operation)) {
      throw new KeyAccessDeniedException(
          "key version does not permit " + op,
          KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED,
          d.reference());
    }
    if (!d.keyType().isRsa()) {
      throw new KeyAccessDeniedException(
          "a key of type " + d.keyType().jwkName() + " cannot " + op + " with RSA-OAEP",
          KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED,
          d.reference());
    }
  }

  /** The key of that name, deleted or not, after dropping it if its retention is over. */
  private StoredKey stored(String name) {
    StoredKey k = keys.get(name);
    if (k != null && k.deletedOn != null && vaultProtection.retentionDays() > 0) {
      Instant purgeAt = k.deletedOn.plus(Duration.ofDays(vaultProtection.retentionDays()));
      if (!clock.instant().isBefore(purgeAt)) {
        keys.remove(name);
        return null;
      }
    }
    return k;
  }

  private StoredKey existingKey(KeyReference reference) {
    StoredKey k = reference.kind() == KeyReference.Kind.LOCAL ? stored(reference.name()) : null;
    if (k == null) {
      throw new KeyNotFoundException("key not found", reference.versionless());
    }
    return k;
  }

  private StoredKey activeKey(KeyReference reference) {
    StoredKey k = existingKey(reference);
    if (k.deletedOn != null) {
      throw new KeyNotFoundException("key is deleted", reference.versionless());
    }
    return k;
  }

  private static StoredVersion find(StoredKey k, KeyReference reference) {
    String version = reference.version().orElseThrow();
    for (StoredVersion v : k.versions) {
      if (v.reference.version().orElseThrow().equals(version)) {
        return v;
      }
    }
    throw new KeyNotFoundException("key version not found", reference);
  }

  private static StoredVersion latest(StoredKey k) {
    return k.versions.get(k.versions.size() - 1);
  }

  private KeyPair generate(KeyType type, int sizeBits) {
    try {
      switch (type) {
        case RSA:
        case RSA_HSM:
          if (!RSA_SIZES.contains(sizeBits)) {
            throw new IllegalArgumentException(
                "RSA key size must be one of " + RSA_SIZES + ", found " + sizeBits);
          }
          KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
          rsa.initialize(sizeBits, random);
          return rsa.generateKeyPair();
        case EC:
        case EC_HSM:
          String curve = EC_CURVES.get(sizeBits);
          if (curve == null) {
            throw new IllegalArgumentException(
                "EC key size must be 256, 384 or 521, found " + sizeBits);
          }
          KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
          ec.initialize(new ECGenParameterSpec(curve), random);
          return ec.generateKeyPair();
        default:
          throw new IllegalArgumentException(
              "key type must be RSA, RSA_HSM, EC or EC_HSM, found " + type);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate a " + type + " key", e);
    }
  }

  private Cipher cipher(int mode, Key key, WrapAlgorithm algorithm) {
    try {
      Cipher c;
      OAEPParameterSpec spec;
      switch (algorithm) {
        case RSA_OAEP_256:
          // The JDK's default MGF1 digest for this transformation is SHA-1: be explicit.
          c = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
          spec =
              new OAEPParameterSpec(
                  "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
          break;
        case RSA_OAEP_SHA1:
          c = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
          spec =
              new OAEPParameterSpec(
                  "SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);
          break;
        default:
          throw new AssertionError(algorithm);
      }
      c.init(mode, key, spec, random);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot do " + algorithm.jwaName(), e);
    }
  }

  /**
   * Configures an {@link InMemoryKeyProvider}. Nothing is required.
   *
   * <p><b>Thread safety:</b> not thread-safe; use from one thread.
   */
  public static final class Builder {
    private String id = DEFAULT_ID;
    private Clock clock = Clock.systemUTC();
    private VaultProtection vaultProtection = new VaultProtection(true, true, 90, "Recoverable");
    private Duration latency = Duration.ZERO;
    private SecureRandom random;

    private Builder() {}

    /**
     * The provider id written into wrapped keys (default {@value #DEFAULT_ID}).
     *
     * @param id 1&ndash;32 of {@code [a-z0-9.-]}, starting with a letter
     * @return this builder
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if {@code id} breaks the rule
     */
    public Builder id(String id) {
      this.id = ProviderIds.check(Objects.requireNonNull(id, "id"));
      return this;
    }

    /**
     * The clock for not-before / expiry checks, deletion dates and retention (default system
     * UTC); use a {@link ManualClock} in tests.
     *
     * @param clock the clock
     * @return this builder
     * @throws NullPointerException if {@code clock} is null
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The deletion guarantees to simulate and report (default: soft delete, purge protection, 90
     * days, recovery level {@code Recoverable}).
     *
     * @param vaultProtection the protection
     * @return this builder
     * @throws NullPointerException if {@code vaultProtection} is null
     */
    public Builder vaultProtection(VaultProtection vaultProtection) {
      this.vaultProtection = Objects.requireNonNull(vaultProtection, "vaultProtection");
      return this;
    }

    /**
     * Initial simulated latency per SPI call (default none); can be changed later with {@link
     * InMemoryKeyProvider#setLatency}.
     *
     * @param latency the delay, not negative
     * @return this builder
     * @throws NullPointerException if {@code latency} is null
     * @throws IllegalArgumentException if {@code latency} is negative
     */
    public Builder latency(Duration latency) {
      this.latency = FaultInjector.checkLatency(latency);
      return this;
    }

    /**
     * The randomness for key generation and OAEP (default a new {@link SecureRandom}).
     *
     * @param random the source
     * @return this builder
     * @throws NullPointerException if {@code random} is null
     */
    public Builder secureRandom(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Builds the provider, with no keys.
     *
     * @return the provider
     */
    public InMemoryKeyProvider build() {
      if (random == null) {
        random = new SecureRandom();
      }
      return new InMemoryKeyProvider(this);
    }
  }
}
