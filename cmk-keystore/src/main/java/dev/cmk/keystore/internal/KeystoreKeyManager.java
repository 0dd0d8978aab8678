package dev.cmk.keystore.internal;

import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.api.spi.ServedKeys;
import dev.cmk.keystore.internal.KeystoreMetadata.KeyEntry;
import dev.cmk.keystore.internal.KeystoreMetadata.VersionEntry;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The {@link KeyManager} of a keystore file: every change is one atomic read-modify-write of the
 * file under its lock ({@link KeystoreStore#modify}), visible at once to the provider that owns
 * this manager and, at their next call, to every other process using the file.
 *
 * <p>Capabilities: soft delete with the keystore's retention and purge protection, validity
 * windows, permitted operations and import of existing RSA pairs (1024&ndash;8192 bits, so that
 * data under an old key can be read and re-wrapped; every cmk key-policy preset rejects keys below
 * 2048 bits). Versions are named {@code {counter}-{random}} and sort by creation. A rotation
 * generates the latest version's size (2048 bits when that is not one of {@link #keySizes()}, e.g.
 * an imported 1024-bit key) with its operations.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; changes are serialized across threads and
 * processes.
 */
public final class KeystoreKeyManager implements KeyManager {
  /** Operations a new key version permits. */
  public static final Set<KeyOperation> DEFAULT_OPERATIONS =
      Set.copyOf(EnumSet.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY));

  private static final Set<Capability> CAPABILITIES =
      Set.copyOf(
          EnumSet.of(
              Capability.SOFT_DELETE,
              Capability.VALIDITY,
              Capability.OPERATIONS,
              Capability.IMPORT));

  private final KeyEncryptionKeyProvider provider;
  private final KeystoreStore store;

  /**
   * A manager for the provider's file.
   *
   * @param provider the provider that serves the keys (for the not-served rule)
   * @param store the provider's store
   */
  public KeystoreKeyManager(KeyEncryptionKeyProvider provider, KeystoreStore store) {
    this.provider = provider;
    this.store = store;
  }

  @Override
  public Set<Capability> capabilities() {
    return CAPABILITIES;
  }

  @Override
  public KeyReference keyReference(String name) {
    return KeyReference.local(Objects.requireNonNull(name, "name"), null);
  }

  @Override
  public KeyReference createKey(String name, int sizeBits) {
    KeyReference key = keyReference(name);
    KeyManager.requireKeySize(sizeBits, keySizes());
    return addFirstVersion(key, store.generate(sizeBits));
  }

  @Override
  public KeyReference importKey(String name, KeyPair keyPair) {
    KeyReference key = keyReference(name);
    KeyManager.requireRsaKeyPair(keyPair, 1024, 8192);
    return addFirstVersion(key, keyPair);
  }

  private KeyReference addFirstVersion(KeyReference key, KeyPair pair) {
    return store.modify(
        w -> {
          KeyEntry existing = w.metadata().keys().get(key.name());
          if (existing != null && !store.retentionOver(w.metadata(), existing)) {
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
          w.put(new KeyEntry(key.name(), null, List.of(v)));
          return key.withVersion(v.version());
        });
  }

  @Override
  public KeyReference rotateKey(KeyReference key) {
    ServedKeys.requireServed(provider, key);
    VersionEntry latest = KeystoreStore.activeKey(store.current().metadata(), key).latest();
    int bits = keySizes().contains(latest.bits()) ? latest.bits() : 2048;
    KeyPair pair = store.generate(bits);
    return store.modify(
        w -> {
          KeyEntry k = KeystoreStore.activeKey(w.metadata(), key);
          VersionEntry v = w.addVersion(k.name(), pair, k.latest().operations());
          List<VersionEntry> versions = new ArrayList<>(k.versions());
          versions.add(v);
          w.put(new KeyEntry(k.name(), null, versions));
          return key.withVersion(v.version());
        });
  }

  @Override
  public void setEnabled(KeyReference version, boolean enabled) {
    updateVersion(version, v -> v.withEnabled(enabled));
  }

  @Override
  public void setNotBefore(KeyReference version, @Nullable Instant notBefore) {
    updateVersion(version, v -> v.withNotBefore(notBefore));
  }

  @Override
  public void setExpiry(KeyReference version, @Nullable Instant expiresOn) {
    updateVersion(version, v -> v.withExpiresOn(expiresOn));
  }

  @Override
  public void setOperations(KeyReference version, Set<KeyOperation> operations) {
    Set<KeyOperation> ops = Set.copyOf(Objects.requireNonNull(operations, "operations"));
    updateVersion(version, v -> v.withOperations(ops));
  }

  private void updateVersion(KeyReference version, UnaryOperator<VersionEntry> change) {
    ServedKeys.requireServed(provider, KeyReference.requireVersioned(version, "version"));
    store.modify(
        w -> {
          KeyEntry k = KeystoreStore.activeKey(w.metadata(), version);
          VersionEntry old = KeystoreStore.findVersion(k, version);
          List<VersionEntry> versions = new ArrayList<>(k.versions());
          versions.set(versions.indexOf(old), change.apply(old));
          w.put(new KeyEntry(k.name(), null, versions));
          return null;
        });
  }

  @Override
  public void deleteKey(KeyReference key) {
    ServedKeys.requireServed(provider, key);
    store.modify(
        w -> {
          KeyEntry k = KeystoreStore.activeKey(w.metadata(), key);
          w.put(new KeyEntry(k.name(), w.now(), k.versions()));
          return null;
        });
  }

  @Override
  public void recoverKey(KeyReference key) {
    ServedKeys.requireServed(provider, key);
    store.modify(
        w -> {
          KeyEntry k = store.existingKey(w.metadata(), key);
          if (!k.deleted()) {
            throw new IllegalStateException("key " + key.versionless() + " is not deleted");
          }
          w.put(new KeyEntry(k.name(), null, k.versions()));
          return null;
        });
  }

  @Override
  public void purgeKey(KeyReference key) {
    ServedKeys.requireServed(provider, key);
    store.modify(
        w -> {
          KeyEntry k = w.metadata().keys().get(key.name());
          if (k == null) {
            throw new KeyNotFoundException(
                "no such key in the keystore", key.versionless());
          }
          if (!k.deleted()) {
            throw new IllegalStateException(
                "key " + key.versionless() + " is not deleted; only a deleted key can be purged");
          }
          if (w.metadata().purgeProtection() && !store.retentionOver(w.metadata(), k)) {
            throw new IllegalStateException(
                "purge protection is on: deleted key "
                    + key.versionless()
                    + " is kept until its retention ends at "
                    + KeystoreStore.scheduledPurge(w.metadata(), k));
          }
          w.remove(k);
          return null;
        });
  }

  @Override
  public List<KeyReference> listKeys() {
    List<KeyReference> out = new ArrayList<>();
    for (KeyEntry k : store.current().metadata().keys().values()) {
      if (!k.deleted()) {
        out.add(KeyReference.local(k.name(), null));
      }
    }
    return List.copyOf(out);
  }

  @Override
  public List<KeyDescription> listVersions(KeyReference key) {
    ServedKeys.requireServed(provider, key);
    KeystoreSnapshot s = store.current();
    KeyEntry k = KeystoreStore.activeKey(s.metadata(), key);
    List<KeyDescription> out = new ArrayList<>();
    for (VersionEntry v : k.versions()) {
      out.add(store.description(s, key, v));
    }
    return List.copyOf(out);
  }

  @Override
  public List<DeletedKey> listDeletedKeys() {
    KeystoreSnapshot s = store.current();
    List<DeletedKey> out = new ArrayList<>();
    for (KeyEntry k : s.metadata().keys().values()) {
      if (k.deleted() && !store.retentionOver(s.metadata(), k)) {
        out.add(
            new DeletedKey(
                KeyReference.local(k.name(), null),
                k.deletedOn(),
                KeystoreStore.scheduledPurge(s.metadata(), k),
                k.versions().size()));
      }
    }
    return List.copyOf(out);
  }

  /** Names the file, never the password. */
  @Override
  public String toString() {
    return "KeystoreKeyManager[path=" + store.path() + "]";
  }
}
