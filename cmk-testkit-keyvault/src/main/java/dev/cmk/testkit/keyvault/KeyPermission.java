package dev.cmk.testkit.keyvault;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * A key permission of a vault access policy (or the equivalent RBAC data action), named like Key
 * Vault's {@code keys/...} permissions.
 */
public enum KeyPermission {
  /** {@code get}: read a key (and a deleted key). */
  GET,
  /** {@code list}: list keys, key versions and deleted keys. */
  LIST,
  /** {@code create}: create keys and key versions. */
  CREATE,
  /** {@code update}: change attributes and permitted operations. */
  UPDATE,
  /** {@code import}: import key material. */
  IMPORT,
  /** {@code delete}: delete a key. */
  DELETE,
  /** {@code recover}: recover a soft-deleted key. */
  RECOVER,
  /** {@code purge}: purge a soft-deleted key. */
  PURGE,
  /** {@code rotate}: create a new version through the rotate operation. */
  ROTATE,
  /** {@code wrapKey}. */
  WRAP_KEY,
  /** {@code unwrapKey}. */
  UNWRAP_KEY,
  /** {@code encrypt}. */
  ENCRYPT,
  /** {@code decrypt}. */
  DECRYPT,
  /** {@code sign}. */
  SIGN,
  /** {@code verify}. */
  VERIFY,
  /** {@code backup}: download a key's protected backup. */
  BACKUP,
  /** {@code restore}: restore a key from a backup. */
  RESTORE,
  /** {@code getrotationpolicy}: read a key's rotation policy. */
  GET_ROTATION_POLICY,
  /** {@code setrotationpolicy}: set a key's rotation policy. */
  SET_ROTATION_POLICY,
  /** {@code release}: release an exportable key to an attested environment. */
  RELEASE;

  /** Every permission (the "Key Vault Crypto Officer" set). */
  public static Set<KeyPermission> all() {
    return EnumSet.allOf(KeyPermission.class);
  }

  /**
   * What a service using keys for envelope encryption needs: get, wrapKey, unwrapKey (the "Key
   * Vault Crypto Service Encryption User" role).
   */
  public static Set<KeyPermission> cryptoServiceEncryptionUser() {
    return EnumSet.of(GET, WRAP_KEY, UNWRAP_KEY);
  }

  /** The Key Vault name of the permission, e.g. {@code unwrapKey}. */
  public String azureName() {
    switch (this) {
      case WRAP_KEY:
        return "wrapKey";
      case UNWRAP_KEY:
        return "unwrapKey";
      case GET_ROTATION_POLICY:
        return "getrotationpolicy";
      case SET_ROTATION_POLICY:
        return "setrotationpolicy";
      default:
        return name().toLowerCase(Locale.ROOT);
    }
  }
}
