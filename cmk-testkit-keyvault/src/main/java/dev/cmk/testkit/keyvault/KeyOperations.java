package dev.cmk.testkit.keyvault;

import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Key Vault keys data-plane operations of one loopback vault, after routing and authorization:
 * list (paged), get, create, rotate, update, delete and deleted keys (get, purge, recover); the RSA
 * operations are {@link KeyCrypto}'s, the sub-resources {@link KeySubResources}'. Each returns the JSON body of a 200 answer or throws
 * a {@link KeyVaultError}. State is read and changed under the vault's lock; RSA key generation and
 * private-key operations run outside it.
 */
final class KeyOperations {
  private static final Set<String> KNOWN_KEY_OPS =
      Set.of("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export");
  private static final Set<Integer> RSA_SIZES = Set.of(2048, 3072, 4096);

  private final VaultState vault;
  private final VaultKeys store;
  private final KeyBundles bundles;

  KeyOperations(VaultState vault, VaultKeys store, KeyBundles bundles) {
    this.vault = vault;
    this.store = store;
    this.bundles = bundles;
  }

  // ---------------------------------------------------------------- lists

  Object listKeys(String baseUrl, Paging paging) {
    synchronized (vault.lock) {
      List<Object> items = new ArrayList<>();
      for (StoredKey key : byName(store.active())) {
        items.add(bundles.item(baseUrl + "/keys/" + key.name, key.latest()));
      }
      return paging.page(items, baseUrl + "/keys");
    }
  }

  Object listVersions(String keyName, String baseUrl, Paging paging) {
    synchronized (vault.lock) {
      StoredKey key = store.activeKey(keyName);
      List<Object> items = new ArrayList<>();
      for (StoredVersion v : key.versions) {
        items.add(bundles.item(KeyBundles.kid(baseUrl, key, v), v));
      }
      return paging.page(items, baseUrl + "/keys/" + key.name + "/versions");
    }
  }

  Object listDeletedKeys(String baseUrl, Paging paging) {
    synchronized (vault.lock) {
      if (!store.softDelete()) {
        throw KeyVaultError.notEnabledForVault("listDeleted");
      }
      List<Object> items = new ArrayList<>();
      for (StoredKey key : byName(store.deleted())) {
        Map<String, Object> item = bundles.item(baseUrl + "/keys/" + key.name, key.latest());
        KeyBundles.putDeletion(item, key, baseUrl);
        items.add(item);
      }
      return paging.page(items, baseUrl + "/deletedkeys");
    }
  }

  /** Keys in a stable order (by name), so that skip tokens stay meaningful between pages. */
  private static List<StoredKey> byName(Collection<StoredKey> keys) {
    List<StoredKey> sorted = new ArrayList<>(keys);
    sorted.sort(Comparator.comparing(k -> k.name.toLowerCase(Locale.ROOT)));
    return sorted;
  }

  // ---------------------------------------------------------------- keys

  Object getKey(String keyName, String version, String baseUrl) {
    synchronized (vault.lock) {
      StoredKey key = store.activeKey(keyName);
      StoredVersion v = VaultKeys.version(key, version);
      if (!v.enabled) {
        throw KeyVaultError.keyDisabled("get");
      }
      return bundles.bundle(baseUrl, key, v);
    }
  }

  Object createKey(String keyName, Map<String, Object> request, String baseUrl) {
    String kty = Json.string(request, "kty");
    if (kty == null) {
      throw KeyVaultError.badParameter("The property 'kty' is required.");
    }
    if (!kty.equals("RSA") && !kty.equals("RSA-HSM")) {
      throw KeyVaultError.badParameter(
          "Key type " + kty + " is not supported by the loopback Key Vault (RSA and RSA-HSM only).");
    }
    if (vault.kind == VaultState.Kind.MANAGED_HSM && kty.equals("RSA")) {
      throw KeyVaultError.badParameter(
          "Key type RSA is not supported by Managed HSM; use RSA-HSM.");
    }
    Long size = Json.number(request, "key_size");
    int bits = size == null ? 2048 : size.intValue();
    if (!RSA_SIZES.contains(bits)) {
      throw KeyVaultError.badParameter(
          "Invalid key size " + bits + "; RSA keys are 2048, 3072 or 4096 bits.");
    }
    Long exponent = Json.number(request, "public_exponent");
    if (exponent != null && exponent != 65537L) {
      throw KeyVaultError.badParameter("Only the public exponent 65537 is supported.");
    }
    List<String> ops = Json.strings(request, "key_ops");
    List<String> keyOps = ops == null ? VaultKeys.DEFAULT_RSA_KEY_OPS : checkOps(ops);
    Map<String, Object> attributes = Json.object(request, "attributes");
    Boolean enabled = attributes == null ? null : Json.bool(attributes, "enabled");
    Long nbf = attributes == null ? null : Json.number(attributes, "nbf");
    Long exp = attributes == null ? null : Json.number(attributes, "exp");
    Map<String, String> tags = tags(request);
    synchronized (vault.lock) {
      if (store.isDeletedUnlocked(keyName)) {
        throw conflictDeleted(keyName);
      }
    }
    KeyPair pair = store.generateRsa(bits);
    synchronized (vault.lock) {
      if (store.isDeletedUnlocked(keyName)) {
        throw conflictDeleted(keyName);
      }
      StoredKey key = store.activeOrNew(keyName);
      StoredVersion v =
          new StoredVersion(
              store.newVersion(),
              kty,
              pair,
              keyOps,
              enabled == null || enabled,
              nbf,
              exp,
              store.now(),
              tags);
      key.versions.add(v);
      return bundles.bundle(baseUrl, key, v);
    }
  }

  Object rotateKey(String keyName, String baseUrl) {
    String kty;
    int bits;
    synchronized (vault.lock) {
      StoredVersion latest = store.activeKey(keyName).latest();
      kty = latest.kty;
      bits = latest.sizeBits();
    }
    KeyPair pair = store.generateRsa(bits);
    synchronized (vault.lock) {
      StoredKey key = store.activeKey(keyName);
      StoredVersion latest = key.latest();
      StoredVersion v =
          new StoredVersion(
              store.newVersion(), kty, pair, latest.keyOps, true, null, null, store.now(),
              latest.tags);
      key.versions.add(v);
      return bundles.bundle(baseUrl, key, v);
    }
  }

  Object updateKey(String keyName, String version, Map<String, Object> request, String baseUrl) {
    List<String> ops = Json.strings(request, "key_ops");
    List<String> keyOps = ops == null ? null : checkOps(ops);
    Map<String, Object> attributes = Json.object(request, "attributes");
    Map<String, String> tags = request.containsKey("tags") ? tags(request) : null;
    synchronized (vault.lock) {
      StoredKey key = store.activeKey(keyName);
      StoredVersion v = VaultKeys.version(key, version);
      if (keyOps != null) {
        v.keyOps = keyOps;
      }
      if (attributes != null) {
        Boolean enabled = Json.bool(attributes, "enabled");
        if (enabled != null) {
          v.enabled = enabled;
        }
        if (attributes.containsKey("nbf")) {
          v.notBefore = Json.number(attributes, "nbf");
        }
        if (attributes.containsKey("exp")) {
          v.expires = Json.number(attributes, "exp");
        }
      }
      if (tags != null) {
        v.tags = tags;
      }
      v.updated = store.now();
      return bundles.bundle(baseUrl, key, v);
    }
  }

  Object deleteKey(String keyName, String baseUrl) {
    synchronized (vault.lock) {
      StoredKey key = store.activeKey(keyName);
      Map<String, Object> answer = bundles.bundle(baseUrl, key, key.latest());
      store.remove(keyName);
      if (store.softDelete()) {
        KeyBundles.putDeletion(answer, key, baseUrl);
      }
      return answer;
    }
  }

  // ---------------------------------------------------------------- deleted keys

  Object getDeletedKey(String keyName, String baseUrl) {
    synchronized (vault.lock) {
      if (!store.softDelete()) {
        throw KeyVaultError.notEnabledForVault("getDeleted");
      }
      StoredKey key = store.deletedKey(keyName);
      if (key == null) {
        throw KeyVaultError.deletedKeyNotFound(keyName);
      }
      Map<String, Object> answer = bundles.bundle(baseUrl, key, key.latest());
      KeyBundles.putDeletion(answer, key, baseUrl);
      return answer;
    }
  }

  void purgeDeletedKey(String keyName) {
    synchronized (vault.lock) {
      if (!store.softDelete()) {
        throw KeyVaultError.notEnabledForVault("purge");
      }
      if (store.deletedKey(keyName) == null) {
        throw KeyVaultError.deletedKeyNotFound(keyName);
      }
      if (store.purgeProtection()) {
        throw KeyVaultError.purgeProtected(vault.name);
      }
      store.purge(keyName);
    }
  }

  Object recoverDeletedKey(String keyName, String baseUrl) {
    synchronized (vault.lock) {
      if (!store.softDelete()) {
        throw KeyVaultError.notEnabledForVault("recover");
      }
      StoredKey key = store.recover(keyName);
      if (key == null) {
        throw KeyVaultError.deletedKeyNotFound(keyName);
      }
      return bundles.bundle(baseUrl, key, key.latest());
    }
  }

  // ---------------------------------------------------------------- request checks

  private static KeyVaultError conflictDeleted(String keyName) {
    return new KeyVaultError(
        409,
        "Conflict",
        "Key "
            + keyName
            + " is currently in a deleted but recoverable state, and its name cannot be reused; in"
            + " this state, the key can only be recovered or purged.");
  }

  private static List<String> checkOps(List<String> ops) {
    for (String op : ops) {
      if (!KNOWN_KEY_OPS.contains(op)) {
        throw KeyVaultError.badParameter("Invalid key operation: " + op);
      }
    }
    return List.copyOf(ops);
  }

  private static Map<String, String> tags(Map<String, Object> request) {
    Map<String, Object> raw = Json.object(request, "tags");
    if (raw == null) {
      return Map.of();
    }
    Map<String, String> tags = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : raw.entrySet()) {
      if (!(e.getValue() instanceof String)) {
        throw KeyVaultError.badParameter("Tag values must be strings.");
      }
      tags.put(e.getKey(), (String) e.getValue());
    }
    return Collections.unmodifiableMap(tags);
  }
}
