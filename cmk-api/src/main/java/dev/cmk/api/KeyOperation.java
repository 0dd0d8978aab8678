package dev.cmk.api;

/** An operation a key permits (Key Vault's {@code key_ops}). */
public enum KeyOperation {
  /** Encrypt. */
  ENCRYPT,
  /** Decrypt. */
  DECRYPT,
  /** Sign. */
  SIGN,
  /** Verify. */
  VERIFY,
  /** Wrap a key. Required by cmk on the write path. */
  WRAP_KEY,
  /** Unwrap a key. Required by cmk on the read path. */
  UNWRAP_KEY,
  /** Import. */
  IMPORT,
  /** Export. */
  EXPORT
}
