package dev.cmk.testkit.keyvault;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The cryptographic operations of Key Vault's keys data plane on one loopback vault: {@code
 * wrapkey}, {@code unwrapkey}, {@code encrypt}, {@code decrypt} ({@link RsaCipher}) and {@code
 * sign}, {@code verify} ({@link RsaSignatures}). Each checks that the version is enabled, permits
 * the operation ({@code key_ops}) and, for the operations that create something (wrap, encrypt,
 * sign), is inside its validity window; the key material is used outside the vault's lock.
 */
final class KeyCrypto {

  /** An operation on a key version: its path segment, permission and {@code key_ops} name. */
  enum Operation {
    WRAP("wrapkey", KeyPermission.WRAP_KEY, "wrapKey", true),
    UNWRAP("unwrapkey", KeyPermission.UNWRAP_KEY, "unwrapKey", false),
    ENCRYPT("encrypt", KeyPermission.ENCRYPT, "encrypt", true),
    DECRYPT("decrypt", KeyPermission.DECRYPT, "decrypt", false),
    SIGN("sign", KeyPermission.SIGN, "sign", true),
    VERIFY("verify", KeyPermission.VERIFY, "verify", false);

    final String pathSegment;
    final KeyPermission permission;
    final String keyOp;
    /** Whether the operation creates something, and so needs the validity window. */
    final boolean creates;

    Operation(String pathSegment, KeyPermission permission, String keyOp, boolean creates) {
      this.pathSegment = pathSegment;
      this.permission = permission;
      this.keyOp = keyOp;
      this.creates = creates;
    }

    /** The operation of a path segment ({@code wrapkey}, ...), or null. */
    static @Nullable Operation ofPathSegment(String segment) {
      for (Operation op : values()) {
        if (op.pathSegment.equals(segment)) {
          return op;
        }
      }
      return null;
    }
  }

  private final VaultState vault;
  private final VaultKeys store;

  KeyCrypto(VaultState vault, VaultKeys store) {
    this.vault = vault;
    this.store = store;
  }

  /**
   * Runs {@code op} with the version's key.
   *
   * @return the answer: {@code kid} and {@code value} (for verify: {@code value} true or false)
   * @throws KeyVaultError 400 for a bad request or algorithm, 403 when the version may not do it,
   *     404 when it does not exist
   */
  Object apply(
      Operation op, String keyName, String version, Map<String, Object> request, String baseUrl) {
    String alg = Json.string(request, "alg");
    String value = Json.string(request, "value");
    String digest = op == Operation.VERIFY ? Json.string(request, "digest") : null;
    if (alg == null || value == null || (op == Operation.VERIFY && digest == null)) {
      throw KeyVaultError.badParameter(
          op == Operation.VERIFY
              ? "The properties 'alg', 'digest' and 'value' are required."
              : "The properties 'alg' and 'value' are required.");
    }
    byte[] input = Json.fromBase64Url(value, "value");
    StoredKey key;
    StoredVersion v;
    synchronized (vault.lock) {
      key = store.activeKey(keyName);
      v = VaultKeys.version(key, version);
      checkUsable(v, op);
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    switch (op) {
      case SIGN:
        answer.put("value", Json.base64Url(RsaSignatures.sign(alg, v.keyPair.getPrivate(), input)));
        break;
      case VERIFY:
        byte[] digestBytes = Json.fromBase64Url(digest, "digest");
        answer.put("value", RsaSignatures.verify(alg, v.keyPair.getPublic(), digestBytes, input));
        return answer;
      default:
        answer.put("value", Json.base64Url(RsaCipher.apply(alg, op.creates, v.keyPair, input)));
        break;
    }
    synchronized (vault.lock) {
      answer.put("kid", KeyBundles.kid(baseUrl, key, v));
    }
    return answer;
  }

  private void checkUsable(StoredVersion v, Operation op) {
    if (!v.enabled) {
      throw KeyVaultError.keyDisabled(op.keyOp);
    }
    if (!v.keyOps.contains(op.keyOp)) {
      throw new KeyVaultError(
          403,
          "Forbidden",
          "Operation " + op.keyOp + " is not permitted on this key.",
          "KeyOperationForbidden",
          null);
    }
    if (op.creates) {
      long now = store.now();
      if (v.expires != null && now >= v.expires) {
        throw new KeyVaultError(
            403,
            "Forbidden",
            "Operation " + op.keyOp + " is not allowed on an expired key.",
            "KeyExpired",
            null);
      }
      if (v.notBefore != null && now < v.notBefore) {
        throw new KeyVaultError(
            403,
            "Forbidden",
            "Operation " + op.keyOp + " is not allowed on a key that is not yet valid.",
            "KeyNotYetValid",
            null);
      }
    }
  }
}
