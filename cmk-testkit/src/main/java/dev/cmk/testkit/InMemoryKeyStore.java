package dev.cmk.testkit;

import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.TokenProtection;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.api.VaultProtection;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The keys of one {@link InMemoryKeyProvider}: versions with their key pairs and attributes, soft
 * deletion and retention by the provider's clock, and the lifecycle operations that the provider
 * (its "portal" methods) and its {@link InMemoryKeyManager} share.
 *
 * <p><b>Thread safety:</b> every state change is atomic under one lock; key generation runs
 * outside it.
 */
final class InMemoryKeyStore {
  static final List<Integer> RSA_SIZES_OFFERED = List.of(1024, 2048, 3072, 4096);

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
      boolean enabled,
      @Nullable Instant notBefore,
      @Nullable Instant expiresOn,
      Set<KeyOperation> operations) {}

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
    @Nullable Instant deletedOn; // guarded by lock; null while active
  }

  /** A consistent view of one version, taken under the lock. */
  record Snapshot(KeyDescription description, KeyPair keyPair) {}

  private final Clock clock;
  private final VaultProtection vaultProtection;
  private final SecureRandom random;
  private final Object lock = new Object();
  private final Map<String, StoredKey> keys = new HashMap<>(); // guarded by lock
  private long lastVersion; // guarded by lock

  InMemoryKeyStore(Clock clock, VaultProtection vaultProtection, SecureRandom random) {
    this.clock = clock;
    this.vaultProtection = vaultProtection;
    this.random = random;
  }

  VaultProtection vaultProtection() {
    return vaultProtection;
  }

  /** How many keys are stored (also soft-deleted ones). */
  int size() {
    synchronized (lock) {
      return keys.size();
    }
  }

  /** The active keys, sorted by name. */
  List<KeyReference> listKeys() {
    synchronized (lock) {
      List<KeyReference> out = new ArrayList<>();
      for (String name : new java.util.TreeSet<>(keys.keySet())) {
        StoredKey k = stored(name);
        if (k != null && k.deletedOn == null) {
          out.add(KeyReference.local(name, null));
        }
      }
      return List.copyOf(out);
    }
  }

  /** The soft-deleted keys whose retention has not ended, sorted by name. */
  List<DeletedKey> listDeletedKeys() {
    synchronized (lock) {
      List<DeletedKey> out = new ArrayList<>();
      for (String name : new java.util.TreeSet<>(keys.keySet())) {
        StoredKey k = stored(name);
        if (k != null && k.deletedOn != null) {
          out.add(
              new DeletedKey(
                  KeyReference.local(name, null),
                  k.deletedOn,
                  k.deletedOn.plus(Duration.ofDays(vaultProtection.retentionDays())),
                  k.versions.size()));
        }
      }
      return List.copyOf(out);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  KeyReference createKey(String name, int sizeBits) {
    return createKey(name, KeyType.RSA, sizeBits);
  }

  KeyReference createKey(String name, KeyType type, int sizeBits) {
    KeyReference key = KeyReference.local(Objects.requireNonNull(name, "name"), null);
    KeyPair keyPair = generate(Objects.requireNonNull(type, "type"), sizeBits);
    return addFirstVersion(key, type, sizeBits, keyPair);
  }

  KeyReference importKey(String name, KeyPair keyPair) {
    KeyReference key = KeyReference.local(Objects.requireNonNull(name, "name"), null);
    int size = KeyManager.requireRsaKeyPair(keyPair, 1024, 8192);
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

  KeyReference rotate(KeyReference key) {
    Objects.requireNonNull(key, "key");
    StoredVersion latest;
    Set<KeyOperation> operations;
    synchronized (lock) {
      latest = latest(activeKey(key));
      operations = latest.attributes.operations();
    }
    return rotate(key, latest.type, latest.generatedBits, operations);
  }

  KeyReference rotate(KeyReference key, KeyType type, int sizeBits) {
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

  void setEnabled(KeyReference version, boolean enabled) {
    update(version, a -> new Attributes(enabled, a.notBefore(), a.expiresOn(), a.operations()));
  }

  void setNotBefore(KeyReference version, @Nullable Instant notBefore) {
    update(version, a -> new Attributes(a.enabled(), notBefore, a.expiresOn(), a.operations()));
  }

  void setExpiry(KeyReference version, @Nullable Instant expiresOn) {
    update(version, a -> new Attributes(a.enabled(), a.notBefore(), expiresOn, a.operations()));
  }

  void setOperations(KeyReference version, Set<KeyOperation> operations) {
    Set<KeyOperation> ops = Set.copyOf(Objects.requireNonNull(operations, "operations"));
    update(version, a -> new Attributes(a.enabled(), a.notBefore(), a.expiresOn(), ops));
  }

  private void update(KeyReference version, UnaryOperator<Attributes> change) {
    KeyReference.requireVersioned(version, "version");
    synchronized (lock) {
      StoredVersion v = find(activeKey(version), version);
      v.attributes = change.apply(v.attributes);
    }
  }

  void delete(KeyReference key) {
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

  void recover(KeyReference key) {
    Objects.requireNonNull(key, "key");
    synchronized (lock) {
      StoredKey k = existingKey(key);
      if (k.deletedOn == null) {
        throw new IllegalStateException("key " + key.versionless() + " is not deleted");
      }
      k.deletedOn = null;
    }
  }

  void purge(KeyReference key) {
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

  List<KeyDescription> listVersions(KeyReference key) {
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

  PrivateKey exportPrivateKey(KeyReference version) {
    KeyReference.requireVersioned(version, "version");
    synchronized (lock) {
      return find(activeKey(version), version).keyPair.getPrivate();
    }
  }

  // ---------------------------------------------------------------- internals

  Snapshot snapshot(KeyReference reference) {
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
        vaultProtection,
        TokenProtection.none());
  }

  /** The key of that name, deleted or not, after dropping it if its retention is over. */
  private @Nullable StoredKey stored(String name) {
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
          KeyManager.requireKeySize(sizeBits, RSA_SIZES_OFFERED);
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
}
