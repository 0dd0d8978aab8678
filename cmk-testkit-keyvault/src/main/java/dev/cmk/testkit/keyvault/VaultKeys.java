package dev.cmk.testkit.keyvault;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The key store of one loopback vault: active and soft-deleted keys by (case-insensitive) name,
 * the vault's deletion settings (soft delete, retention, purge protection) and the admin calls that
 * act on keys without HTTP. All state is guarded by the vault's lock; RSA key generation runs
 * outside it.
 */
final class VaultKeys {
  static final List<String> DEFAULT_RSA_KEY_OPS =
      List.of("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey");

  private final VaultState vault;
  private final Clock clock;
  private final SecureRandom random;
  private final Map<String, StoredKey> keys = new LinkedHashMap<>();
  private final Map<String, StoredKey> deleted = new LinkedHashMap<>();

  private boolean softDelete = true;
  private int retentionDays = 90;
  private boolean purgeProtection;
  private boolean protectedSubscription;

  VaultKeys(VaultState vault, Clock clock, SecureRandom random) {
    this.vault = vault;
    this.clock = clock;
    this.random = random;
  }

  // ---------------------------------------------------------------- deletion settings

  void setSoftDelete(boolean enabled, int days) {
    if (days < 7 || days > 90) {
      throw new IllegalArgumentException("retentionDays must be 7-90");
    }
    synchronized (vault.lock) {
      if (!enabled && vault.kind == VaultState.Kind.MANAGED_HSM) {
        throw new IllegalStateException("soft delete cannot be disabled on a Managed HSM");
      }
      if (!enabled && purgeProtection) {
        throw new IllegalStateException("soft delete cannot be disabled while purge protection is on");
      }
      if (!enabled && !deleted.isEmpty()) {
        throw new IllegalStateException("the vault holds soft-deleted keys; purge them first");
      }
      softDelete = enabled;
      retentionDays = days;
    }
  }

  void setPurgeProtection(boolean enabled) {
    synchronized (vault.lock) {
      if (enabled && !softDelete) {
        throw new IllegalStateException("purge protection requires soft delete");
      }
      purgeProtection = enabled;
    }
  }

  void setProtectedSubscription(boolean enabled) {
    synchronized (vault.lock) {
      protectedSubscription = enabled;
    }
  }

  boolean softDelete() {
    synchronized (vault.lock) {
      return softDelete;
    }
  }

  boolean purgeProtection() {
    synchronized (vault.lock) {
      return purgeProtection;
    }
  }

  /** Key Vault's {@code recoveryLevel} for the current settings. */
  String recoveryLevel() {
    synchronized (vault.lock) {
      if (!softDelete) {
        return "Purgeable";
      }
      String base = retentionDays < 90 ? "CustomizedRecoverable" : "Recoverable";
      if (purgeProtection) {
        return protectedSubscription ? base + "+ProtectedSubscription" : base;
      }
      return base + "+Purgeable";
    }
  }

  @Nullable Integer recoverableDays() {
    synchronized (vault.lock) {
      return softDelete ? retentionDays : null;
    }
  }

  // ---------------------------------------------------------------- store (caller holds the lock)

  Collection<StoredKey> active() {
    return keys.values();
  }

  Collection<StoredKey> deleted() {
    return deleted.values();
  }

  /** The active key; a Key Vault 404 if there is none. Caller holds the lock. */
  StoredKey activeKey(String keyName) {
    StoredKey key = keys.get(keyName.toLowerCase(Locale.ROOT));
    if (key == null) {
      throw KeyVaultError.keyNotFound(keyName);
    }
    return key;
  }

  /** The active key, or null. Caller holds the lock. */
  @Nullable StoredKey findActive(String keyName) {
    return keys.get(keyName.toLowerCase(Locale.ROOT));
  }

  /** The soft-deleted key, or null. Caller holds the lock. */
  @Nullable StoredKey deletedKey(String keyName) {
    return deleted.get(keyName.toLowerCase(Locale.ROOT));
  }

  boolean isDeletedUnlocked(String keyName) {
    return deleted.containsKey(keyName.toLowerCase(Locale.ROOT));
  }

  /** The active key of that name, created empty if absent. Caller holds the lock. */
  StoredKey activeOrNew(String keyName) {
    return keys.computeIfAbsent(keyName.toLowerCase(Locale.ROOT), k -> new StoredKey(keyName));
  }

  /** Moves an active key to the deleted keys (soft delete) or drops it. Caller holds the lock. */
  @Nullable StoredKey remove(String keyName) {
    StoredKey key = keys.remove(keyName.toLowerCase(Locale.ROOT));
    if (key != null && softDelete) {
      key.deletedDate = now();
      key.scheduledPurgeDate = key.deletedDate + Duration.ofDays(retentionDays).toSeconds();
      deleted.put(keyName.toLowerCase(Locale.ROOT), key);
    }
    return key;
  }

  /** Removes a soft-deleted key for good; false if there is none. Caller holds the lock. */
  boolean purge(String keyName) {
    return deleted.remove(keyName.toLowerCase(Locale.ROOT)) != null;
  }

  /** Moves a soft-deleted key back; null if there is none. Caller holds the lock. */
  @Nullable StoredKey recover(String keyName) {
    StoredKey key = deleted.remove(keyName.toLowerCase(Locale.ROOT));
    if (key != null) {
      keys.put(keyName.toLowerCase(Locale.ROOT), key);
    }
    return key;
  }

  /** Adds a restored key under its name; the caller checked the name is free. Caller holds the lock. */
  void restore(StoredKey key) {
    keys.put(key.name.toLowerCase(Locale.ROOT), key);
  }

  /** Drops soft-deleted keys whose scheduled purge date has passed. */
  void purgeExpiredDeletedKeys() {
    synchronized (vault.lock) {
      long now = now();
      deleted.values().removeIf(k -> k.scheduledPurgeDate <= now);
    }
  }

  /** The version ({@code ""} = latest); a Key Vault 404 if absent. */
  static StoredVersion version(StoredKey key, String version) {
    if (version.isEmpty()) {
      return key.latest();
    }
    StoredVersion v = key.version(version);
    if (v == null) {
      throw KeyVaultError.versionNotFound(key.name, version);
    }
    return v;
  }

  String newVersion() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  long now() {
    return clock.instant().getEpochSecond();
  }

  KeyPair generateRsa(int bits) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA key generation unavailable", e);
    }
  }

  // ---------------------------------------------------------------- admin (no HTTP)

  /** Adds a version with the given material; returns the version id. */
  String addVersion(String keyName, String kty, KeyPair pair) {
    VaultRoutes.checkName(keyName);
    if (vault.kind == VaultState.Kind.MANAGED_HSM && !kty.equals("RSA-HSM")) {
      throw new IllegalArgumentException("a Managed HSM holds only RSA-HSM keys");
    }
    synchronized (vault.lock) {
      if (isDeletedUnlocked(keyName)) {
        throw new IllegalStateException("key " + keyName + " is deleted but recoverable");
      }
      StoredKey key = activeOrNew(keyName);
      List<String> ops = key.versions.isEmpty() ? DEFAULT_RSA_KEY_OPS : key.latest().keyOps;
      StoredVersion v =
          new StoredVersion(newVersion(), kty, pair, ops, true, null, null, now(), Map.of());
      key.versions.add(v);
      return v.version;
    }
  }

  boolean isDeleted(String keyName) {
    synchronized (vault.lock) {
      purgeExpiredDeletedKeys();
      return isDeletedUnlocked(keyName);
    }
  }

  /** The stored spelling of an active key's name ({@code keyName} when there is none). */
  String canonicalName(String keyName) {
    synchronized (vault.lock) {
      StoredKey key = keys.get(keyName.toLowerCase(Locale.ROOT));
      return key == null ? keyName : key.name;
    }
  }
}
