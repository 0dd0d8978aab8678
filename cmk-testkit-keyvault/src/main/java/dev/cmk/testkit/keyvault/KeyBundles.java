package dev.cmk.testkit.keyvault;

import java.math.BigInteger;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON shapes of Key Vault's answers: key bundles (JWK and attributes), list items, deleted-key
 * fields and pages. Callers hold the vault's lock while the stored key is read.
 */
final class KeyBundles {
  private final VaultKeys store;

  KeyBundles(VaultKeys store) {
    this.store = store;
  }

  /** The key identifier of one version: {@code <baseUrl>/keys/<name>/<version>}. */
  static String kid(String baseUrl, StoredKey key, StoredVersion v) {
    return baseUrl + "/keys/" + key.name + "/" + v.version;
  }

  /** A key bundle: {@code key} (the public JWK), {@code attributes} and {@code tags}. */
  Map<String, Object> bundle(String baseUrl, StoredKey key, StoredVersion v) {
    RSAPublicKey pub = (RSAPublicKey) v.keyPair.getPublic();
    Map<String, Object> jwk = new LinkedHashMap<>();
    jwk.put("kid", kid(baseUrl, key, v));
    jwk.put("kty", v.kty);
    jwk.put("key_ops", v.keyOps);
    jwk.put("n", Json.base64Url(unsigned(pub.getModulus())));
    jwk.put("e", Json.base64Url(unsigned(pub.getPublicExponent())));
    Map<String, Object> bundle = new LinkedHashMap<>();
    bundle.put("key", jwk);
    bundle.put("attributes", attributes(v));
    putTags(bundle, v);
    return bundle;
  }

  /** A list item: {@code kid} (with or without version), {@code attributes}, {@code tags}. */
  Map<String, Object> item(String kid, StoredVersion v) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("kid", kid);
    item.put("attributes", attributes(v));
    putTags(item, v);
    return item;
  }

  /** The key attributes of one version, with the vault's recovery level. */
  Map<String, Object> attributes(StoredVersion v) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("enabled", v.enabled);
    if (v.notBefore != null) {
      a.put("nbf", v.notBefore);
    }
    if (v.expires != null) {
      a.put("exp", v.expires);
    }
    a.put("created", v.created);
    a.put("updated", v.updated);
    a.put("recoveryLevel", store.recoveryLevel());
    Integer days = store.recoverableDays();
    if (days != null) {
      a.put("recoverableDays", days);
    }
    a.put("exportable", false);
    return a;
  }

  /** Adds the deleted-key fields: recovery id, deletion and scheduled purge dates. */
  static void putDeletion(Map<String, Object> target, StoredKey key, String baseUrl) {
    target.put("recoveryId", baseUrl + "/deletedkeys/" + key.name);
    target.put("deletedDate", key.deletedDate);
    target.put("scheduledPurgeDate", key.scheduledPurgeDate);
  }

  /** The big-endian magnitude without a sign byte, as JWK wants it. */
  static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      return Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return bytes;
  }

  private static void putTags(Map<String, Object> target, StoredVersion v) {
    if (!v.tags.isEmpty()) {
      target.put("tags", v.tags);
    }
  }
}
