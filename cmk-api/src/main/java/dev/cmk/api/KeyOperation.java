package dev.cmk.api;

/**
 * An operation a key permits (Key Vault's {@code key_ops}).
 *
 * <p><b>Thread safety:</b> immutable.
 */
public enum KeyOperation {
  /** Encrypt. */
  ENCRYPT("encrypt"),
  /** Decrypt. */
  DECRYPT("decrypt"),
  /** Sign. */
  SIGN("sign"),
  /** Verify. */
  VERIFY("verify"),
  /** Wrap a key. Required by cmk on the write path. */
  WRAP_KEY("wrapKey"),
  /** Unwrap a key. Required by cmk on the read path. */
  UNWRAP_KEY("unwrapKey"),
  /** Import. */
  IMPORT("import"),
  /** Export. */
  EXPORT("export");

  private final String jwkName;

  KeyOperation(String jwkName) {
    this.jwkName = jwkName;
  }

  /**
   * The JSON Web Key / Key Vault name of this operation, e.g. {@code unwrapKey}; used in messages.
   *
   * @return the name
   */
  public String jwkName() {
    return jwkName;
  }
}
