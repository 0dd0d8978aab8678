package dev.cmk.testkit.keyvault;

import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.TokenProtection;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.spi.KeyManager;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The {@link KeyManager} of one loopback vault ({@link LoopbackVault#keyManager()}): cmk-api's
 * lifecycle vocabulary acting directly on the vault's state, as the vault's owner in the portal
 * would (no HTTP, no permissions, no faults). Key references are this vault's, {@code
 * https://{host}:{port}/keys/{name}/{version}}; references to other vaults are not served ({@link
 * KeyNotFoundException}).
 *
 * <p>Capabilities: {@code VALIDITY}, {@code OPERATIONS}, {@code IMPORT}, and {@code SOFT_DELETE}
 * while the vault has soft delete on.
 *
 * <p><b>Thread safety:</b> safe for concurrent use with each other and with HTTP requests.
 */
final class LoopbackKeyManager implements KeyManager {
  private final LoopbackVault vault;
  private final VaultState state;

  LoopbackKeyManager(LoopbackVault vault, VaultState state) {
    this.vault = vault;
    this.state = state;
  }

  @Override
  public Set<Capability> capabilities() {
    EnumSet<Capability> c =
        EnumSet.of(Capability.VALIDITY, Capability.OPERATIONS, Capability.IMPORT);
    if (state.keys.softDelete()) {
      c.add(Capability.SOFT_DELETE);
    }
    return Set.copyOf(c);
  }

  @Override
  public KeyReference keyReference(String name) {
    VaultRoutes.checkNameArgument(Objects.requireNonNull(name, "name"));
    return KeyReference.parse(vault.vaultUrl() + "/keys/" + name);
  }

  @Override
  public KeyReference createKey(String name, int sizeBits) {
    keyReference(name);
    KeyManager.requireKeySize(sizeBits, keySizes());
    requireNew(name);
    return add(name, state.keys.generateRsa(sizeBits));
  }

  @Override
  public KeyReference importKey(String name, KeyPair keyPair) {
    keyReference(name);
    KeyManager.requireRsaKeyPair(keyPair, 2048, 4096);
    requireNew(name);
    return add(name, keyPair);
  }

  /** A new version of the latest version's type ({@code RSA} or {@code RSA-HSM}) and size. */
  @Override
  public KeyReference rotateKey(KeyReference key) {
    String name = served(key).name();
    int bits;
    String kty;
    synchronized (state.lock) {
      StoredVersion latest = active(key).latest();
      bits = latest.sizeBits();
      kty = latest.kty;
    }
    return add(name, kty, state.keys.generateRsa(bits));
  }

  @Override
  public void setEnabled(KeyReference version, boolean enabled) {
    update(version, v -> v.enabled = enabled);
  }

  @Override
  public void setNotBefore(KeyReference version, @Nullable Instant notBefore) {
    update(version, v -> v.notBefore = notBefore == null ? null : notBefore.getEpochSecond());
  }

  @Override
  public void setExpiry(KeyReference version, @Nullable Instant expiresOn) {
    update(version, v -> v.expires = expiresOn == null ? null : expiresOn.getEpochSecond());
  }

  @Override
  public void setOperations(KeyReference version, Set<KeyOperation> operations) {
    EnumSet<KeyOperation> ordered = EnumSet.noneOf(KeyOperation.class);
    ordered.addAll(Objects.requireNonNull(operations, "operations"));
    List<String> ops = new ArrayList<>();
    for (KeyOperation op : ordered) {
      ops.add(op.jwkName());
    }
    List<String> keyOps = List.copyOf(ops);
    update(version, v -> v.keyOps = keyOps);
  }

  @Override
  public void deleteKey(KeyReference key) {
    served(key);
    synchronized (state.lock) {
      active(key);
      state.keys.remove(key.name());
    }
  }

  @Override
  public void recoverKey(KeyReference key) {
    requireSoftDelete();
    served(key);
    synchronized (state.lock) {
      state.keys.purgeExpiredDeletedKeys();
      if (state.keys.findActive(key.name()) != null) {
        throw new IllegalStateException("key " + key.versionless() + " is not deleted");
      }
      if (state.keys.recover(key.name()) == null) {
        throw new KeyNotFoundException("key not found", key.versionless());
      }
    }
  }

  @Override
  public void purgeKey(KeyReference key) {
    requireSoftDelete();
    served(key);
    synchronized (state.lock) {
      state.keys.purgeExpiredDeletedKeys();
      if (state.keys.findActive(key.name()) != null) {
        throw new IllegalStateException(
            "key " + key.versionless() + " is not deleted; only a deleted key can be purged");
      }
      if (state.keys.deletedKey(key.name()) == null) {
        throw new KeyNotFoundException("key not found", key.versionless());
      }
      if (state.keys.purgeProtection()) {
        throw new IllegalStateException(
            "purge protection is on: key " + key.versionless() + " is kept until its retention ends");
      }
      state.keys.purge(key.name());
    }
  }

  @Override
  public List<KeyReference> listKeys() {
    synchronized (state.lock) {
      state.keys.purgeExpiredDeletedKeys();
      List<KeyReference> out = new ArrayList<>();
      for (StoredKey k : state.keys.active()) {
        out.add(KeyReference.parse(vault.vaultUrl() + "/keys/" + k.name));
      }
      out.sort(Comparator.comparing(KeyReference::name));
      return List.copyOf(out);
    }
  }

  @Override
  public List<KeyDescription> listVersions(KeyReference key) {
    served(key);
    synchronized (state.lock) {
      StoredKey k = active(key);
      VaultProtection protection =
          VaultProtection.fromAzureRecoveryLevel(
              state.keys.recoveryLevel(), state.keys.recoverableDays());
      List<KeyDescription> out = new ArrayList<>();
      for (StoredVersion v : k.versions) {
        out.add(describe(k, v, protection));
      }
      return List.copyOf(out);
    }
  }

  @Override
  public List<DeletedKey> listDeletedKeys() {
    synchronized (state.lock) {
      state.keys.purgeExpiredDeletedKeys();
      List<DeletedKey> out = new ArrayList<>();
      for (StoredKey k : state.keys.deleted()) {
        out.add(
            new DeletedKey(
                KeyReference.parse(vault.vaultUrl() + "/keys/" + k.name),
                Instant.ofEpochSecond(k.deletedDate),
                Instant.ofEpochSecond(k.scheduledPurgeDate),
                k.versions.size()));
      }
      out.sort(Comparator.comparing(d -> d.key().name()));
      return List.copyOf(out);
    }
  }

  @Override
  public String toString() {
    return "LoopbackKeyManager[" + state.host + "]";
  }

  // ---------------------------------------------------------------- helpers

  private KeyDescription describe(StoredKey k, StoredVersion v, VaultProtection protection) {
    Set<KeyOperation> ops = EnumSet.noneOf(KeyOperation.class);
    for (KeyOperation op : KeyOperation.values()) {
      if (v.keyOps.contains(op.jwkName())) {
        ops.add(op);
      }
    }
    return new KeyDescription(
        KeyReference.parse(vault.vaultUrl() + "/keys/" + k.name + "/" + v.version),
        v.kty.equals("RSA-HSM") ? KeyType.RSA_HSM : KeyType.RSA,
        v.sizeBits(),
        v.enabled,
        v.notBefore == null ? null : Instant.ofEpochSecond(v.notBefore),
        v.expires == null ? null : Instant.ofEpochSecond(v.expires),
        ops,
        protection,
        TokenProtection.none());
  }

  private KeyReference add(String name, KeyPair pair) {
    return add(name, state.kind == VaultState.Kind.MANAGED_HSM ? "RSA-HSM" : "RSA", pair);
  }

  private KeyReference add(String name, String kty, KeyPair pair) {
    String version = state.keys.addVersion(name, kty, pair);
    return KeyReference.parse(
        vault.vaultUrl() + "/keys/" + state.keys.canonicalName(name) + "/" + version);
  }

  private void requireNew(String name) {
    synchronized (state.lock) {
      state.keys.purgeExpiredDeletedKeys();
      if (state.keys.findActive(name) != null) {
        throw new IllegalStateException("key " + name + " already exists; use rotateKey");
      }
      if (state.keys.isDeletedUnlocked(name)) {
        throw new IllegalStateException(
            "key " + name + " is deleted but recoverable; recover or purge it first");
      }
    }
  }

  /**
   * The one way to change a version (here and through {@link LoopbackVault}): the version of an
   * active key of this vault, changed under the lock, its {@code updated} time set.
   */
  private void update(KeyReference version, Consumer<StoredVersion> change) {
    onVersion(
        version,
        v -> {
          change.accept(v);
          v.updated = state.keys.now();
          return null;
        });
  }

  /**
   * Runs {@code action} on a version of an active key of this vault, under the lock.
   *
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the reference is another vault's, or the key does not exist,
   *     is soft-deleted, or has no such version
   */
  <T> T onVersion(KeyReference version, Function<StoredVersion, T> action) {
    KeyReference.requireVersioned(version, "version");
    served(version);
    synchronized (state.lock) {
      StoredVersion v = active(version).version(version.version().orElseThrow());
      if (v == null) {
        throw new KeyNotFoundException("key version not found", version);
      }
      return action.apply(v);
    }
  }

  /**
   * The version ids of an active key of this vault, oldest first.
   *
   * @throws KeyNotFoundException if the key does not exist or is soft-deleted
   */
  List<String> versionIds(KeyReference key) {
    served(key);
    synchronized (state.lock) {
      List<String> ids = new ArrayList<>();
      for (StoredVersion v : active(key).versions) {
        ids.add(v.version);
      }
      return List.copyOf(ids);
    }
  }

  /** The active key; caller holds the lock. */
  private StoredKey active(KeyReference key) {
    state.keys.purgeExpiredDeletedKeys();
    StoredKey k = state.keys.findActive(key.name());
    if (k == null) {
      throw new KeyNotFoundException(
          state.keys.isDeletedUnlocked(key.name()) ? "key is deleted" : "key not found",
          key.versionless());
    }
    return k;
  }

  private KeyReference served(KeyReference key) {
    Objects.requireNonNull(key, "key");
    boolean azure =
        key.kind() == KeyReference.Kind.AZURE_KEY_VAULT
            || key.kind() == KeyReference.Kind.AZURE_MANAGED_HSM;
    if (!azure || !KeyVaultHandler.hostOf(key.authority()).equals(state.host)) {
      throw new KeyNotFoundException(
          "the loopback vault " + state.host + " does not serve this key reference", key);
    }
    return key;
  }

  private void requireSoftDelete() {
    if (!state.keys.softDelete()) {
      throw KeyManager.unsupported(Capability.SOFT_DELETE);
    }
  }
}
