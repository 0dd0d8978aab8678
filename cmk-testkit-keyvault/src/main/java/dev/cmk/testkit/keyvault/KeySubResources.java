package dev.cmk.testkit.keyvault;

import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The sub-resources of a key on one loopback vault, each with a documented answer:
 *
 * <ul>
 *   <li>{@code GET/PUT /keys/{name}/rotationpolicy}: stored and returned as Key Vault does (the
 *       default policy, "notify 30 days before expiry", until one is set); never acted on, the
 *       loopback has no scheduler.
 *   <li>{@code POST /keys/{name}/backup} and {@code POST /keys/restore}: an opaque blob, sealed
 *       with this server's {@link BackupSeal} (restorable into any vault of the same kind on the
 *       same server, as a real backup restores within its subscription and geography); restoring
 *       over an existing or soft-deleted name is 409 {@code Conflict}.
 *   <li>{@code POST /keys/{name}/{version}/release}: 400 {@code BadParameter}, since the loopback
 *       creates no exportable keys with a release policy.
 *   <li>{@code GET /keys/{name}/{version}/attestation}: 400 {@code BadParameter}, no attestation.
 * </ul>
 */
final class KeySubResources {
  private final VaultState vault;
  private final VaultKeys store;
  private final KeyBundles bundles;
  private final BackupSeal seal;

  KeySubResources(VaultState vault, VaultKeys store, KeyBundles bundles, BackupSeal seal) {
    this.vault = vault;
    this.store = store;
    this.bundles = bundles;
    this.seal = seal;
  }

  // ---------------------------------------------------------------- rotation policy

  Object rotationPolicy(String keyName, String baseUrl) {
    synchronized (vault.lock) {
      StoredKey key = store.activeKey(keyName);
      if (key.rotationPolicy == null) {
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("lifetimeActions", List.of(action("timeBeforeExpiry", "P30D", "Notify")));
        policy.put("attributes", Map.of());
        return policy;
      }
      return withId(key, baseUrl);
    }
  }

  Object setRotationPolicy(String keyName, Map<String, Object> request, String baseUrl) {
    List<Object> actions = new ArrayList<>();
    Object raw = request.get("lifetimeActions");
    if (raw != null && !(raw instanceof List)) {
      throw KeyVaultError.badParameter("'lifetimeActions' must be an array.");
    }
    for (Object a : raw == null ? List.of() : (List<?>) raw) {
      actions.add(checkedAction(a));
    }
    Map<String, Object> attributes = Json.object(request, "attributes");
    String expiryTime = attributes == null ? null : Json.string(attributes, "expiryTime");
    if (expiryTime != null && days(expiryTime, "expiryTime") < 28) {
      throw KeyVaultError.badParameter("The expiryTime of a rotation policy must be at least 28 days.");
    }
    synchronized (vault.lock) {
      StoredKey key = store.activeKey(keyName);
      long now = store.now();
      Map<String, Object> attrs = new LinkedHashMap<>();
      if (expiryTime != null) {
        attrs.put("expiryTime", expiryTime);
      }
      attrs.put("created", key.rotationPolicyCreated != null ? key.rotationPolicyCreated : now);
      attrs.put("updated", now);
      Map<String, Object> policy = new LinkedHashMap<>();
      policy.put("lifetimeActions", List.copyOf(actions));
      policy.put("attributes", attrs);
      key.rotationPolicy = policy;
      key.rotationPolicyCreated = (Long) attrs.get("created");
      return withId(key, baseUrl);
    }
  }

  private static Map<String, Object> withId(StoredKey key, String baseUrl) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", baseUrl + "/keys/" + key.name + "/rotationpolicy");
    out.putAll(key.rotationPolicy);
    return out;
  }

  private static Map<String, Object> checkedAction(Object raw) {
    if (!(raw instanceof Map)) {
      throw KeyVaultError.badParameter("Each lifetime action must be an object.");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> a = (Map<String, Object>) raw;
    Map<String, Object> trigger = Json.object(a, "trigger");
    Map<String, Object> action = Json.object(a, "action");
    String type = action == null ? null : Json.string(action, "type");
    if (trigger == null || type == null) {
      throw KeyVaultError.badParameter("A lifetime action needs a 'trigger' and an 'action.type'.");
    }
    String normalized = type.toLowerCase(Locale.ROOT);
    if (!normalized.equals("rotate") && !normalized.equals("notify")) {
      throw KeyVaultError.badParameter("Invalid lifetime action type: " + type);
    }
    String afterCreate = Json.string(trigger, "timeAfterCreate");
    String beforeExpiry = Json.string(trigger, "timeBeforeExpiry");
    if ((afterCreate == null) == (beforeExpiry == null)) {
      throw KeyVaultError.badParameter(
          "A trigger needs exactly one of 'timeAfterCreate' and 'timeBeforeExpiry'.");
    }
    String field = afterCreate != null ? "timeAfterCreate" : "timeBeforeExpiry";
    String time = afterCreate != null ? afterCreate : beforeExpiry;
    days(time, field);
    return action(field, time, normalized.equals("rotate") ? "Rotate" : "Notify");
  }

  private static Map<String, Object> action(String triggerField, String time, String type) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("trigger", Map.of(triggerField, time));
    out.put("action", Map.of("type", type));
    return out;
  }

  /** Days of an ISO 8601 duration of years, months and days ({@code P90D}, {@code P1Y}). */
  private static long days(String duration, String field) {
    try {
      Period p = Period.parse(duration);
      return p.getYears() * 365L + p.getMonths() * 30L + p.getDays();
    } catch (DateTimeParseException e) {
      throw KeyVaultError.badParameter("'" + field + "' is not an ISO 8601 duration: " + duration);
    }
  }

  // ---------------------------------------------------------------- backup and restore

  Object backup(String keyName) {
    Map<String, Object> content = new LinkedHashMap<>();
    synchronized (vault.lock) {
      StoredKey key = store.activeKey(keyName);
      content.put("kind", vault.kind.name());
      content.put("name", key.name);
      List<Object> versions = new ArrayList<>();
      for (StoredVersion v : key.versions) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", v.version);
        m.put("kty", v.kty);
        m.put("pkcs8", Json.base64Url(v.keyPair.getPrivate().getEncoded()));
        m.put("keyOps", v.keyOps);
        m.put("enabled", v.enabled);
        m.put("nbf", v.notBefore);
        m.put("exp", v.expires);
        m.put("created", v.created);
        m.put("tags", v.tags);
        versions.add(m);
      }
      content.put("versions", versions);
    }
    return Map.of("value", Json.base64Url(seal.seal(Json.write(content))));
  }

  @SuppressWarnings("unchecked")
  Object restore(Map<String, Object> request, String baseUrl) {
    String value = Json.string(request, "value");
    if (value == null) {
      throw KeyVaultError.badParameter("The property 'value' is required.");
    }
    Map<String, Object> content = Json.parseObject(seal.open(Json.fromBase64Url(value, "value")));
    if (!vault.kind.name().equals(content.get("kind"))) {
      throw KeyVaultError.badParameter(
          "The backup blob cannot be restored into this kind of vault.");
    }
    String name = (String) content.get("name");
    StoredKey restored = new StoredKey(name);
    for (Object o : (List<Object>) content.get("versions")) {
      Map<String, Object> m = (Map<String, Object>) o;
      StoredVersion v =
          new StoredVersion(
              (String) m.get("version"),
              (String) m.get("kty"),
              keyPair(Json.fromBase64Url((String) m.get("pkcs8"), "value")),
              List.copyOf((List<String>) m.get("keyOps")),
              (Boolean) m.get("enabled"),
              Json.number(m, "nbf"),
              Json.number(m, "exp"),
              Json.number(m, "created"),
              Map.copyOf((Map<String, String>) m.get("tags")));
      restored.versions.add(v);
    }
    synchronized (vault.lock) {
      if (store.findActive(name) != null || store.deletedKey(name) != null) {
        throw new KeyVaultError(
            409,
            "Conflict",
            "There was a conflict restoring the key " + name + ": a key with this name already"
                + " exists in this vault, or is deleted but recoverable.");
      }
      store.restore(restored);
      return bundles.bundle(baseUrl, restored, restored.latest());
    }
  }

  private static KeyPair keyPair(byte[] pkcs8) {
    try {
      KeyFactory rsa = KeyFactory.getInstance("RSA");
      RSAPrivateCrtKey priv = (RSAPrivateCrtKey) rsa.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      return new KeyPair(
          rsa.generatePublic(new RSAPublicKeySpec(priv.getModulus(), priv.getPublicExponent())),
          priv);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("a sealed backup holds an unreadable key", e);
    }
  }

  // ---------------------------------------------------------------- not served

  KeyVaultError release(String keyName, String version, Map<String, Object> request) {
    synchronized (vault.lock) {
      VaultKeys.version(store.activeKey(keyName), version);
    }
    return KeyVaultError.badParameter(
        "Key " + keyName + " is not exportable and has no release policy; it cannot be released.");
  }

  KeyVaultError noAttestation(String keyName, String version) {
    synchronized (vault.lock) {
      VaultKeys.version(store.activeKey(keyName), version);
    }
    return KeyVaultError.badParameter(
        "Key attestation is not available for key " + keyName + " in this vault.");
  }
}
