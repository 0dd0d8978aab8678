package dev.cmk.testkit.keyvault;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An error answer of the loopback Key Vault, rendered the way Key Vault renders errors: {@code
 * {"error":{"code":...,"message":...,"innererror":{"code":...}}}}.
 */
final class KeyVaultError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String code;
  final @Nullable String innerCode;
  final @Nullable Long retryAfterSeconds;

  KeyVaultError(
      int status,
      String code,
      String message,
      @Nullable String innerCode,
      @Nullable Long retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.innerCode = innerCode;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  KeyVaultError(int status, String code, String message) {
    this(status, code, message, null, null);
  }

  static KeyVaultError badParameter(String message) {
    return new KeyVaultError(400, "BadParameter", message);
  }

  static KeyVaultError keyNotFound(String name) {
    return new KeyVaultError(
        404,
        "KeyNotFound",
        "A key with (name/id) "
            + name
            + " was not found in this key vault. If you recently deleted this key you may be able"
            + " to recover it using the correct recovery command. For help resolving this issue,"
            + " please see https://go.microsoft.com/fwlink/?linkid=2125182");
  }

  static KeyVaultError versionNotFound(String name, String version) {
    return new KeyVaultError(
        404,
        "KeyNotFound",
        "A key with (name/id) " + name + "/" + version + " was not found in this key vault.");
  }

  static KeyVaultError deletedKeyNotFound(String name) {
    return new KeyVaultError(404, "KeyNotFound", "Deleted Key not found: " + name);
  }

  static KeyVaultError notEnabledForVault(String operation) {
    return new KeyVaultError(
        400, "NotSupported", "Operation \"" + operation + "\" is not enabled for this vault.");
  }

  /**
   * Purge refused under purge protection: 403 {@code Forbidden}, as Key Vault answers it (the key
   * stays recoverable until its scheduled purge date).
   */
  static KeyVaultError purgeProtected(String vaultName) {
    return new KeyVaultError(
        403,
        "Forbidden",
        "Operation \"purge\" is not allowed because purge protection is enabled for this vault."
            + " Key Vault service will automatically purge it after the retention period has"
            + " passed.\r\nVault: " + vaultName + ";location=loopback");
  }

  static KeyVaultError keyDisabled(String operation) {
    return new KeyVaultError(
        403,
        "Forbidden",
        "Operation " + operation + " is not allowed on a disabled key.",
        "KeyDisabled",
        null);
  }

  /** The inner code when there is one, else the code: what a client classifies on. */
  String effectiveCode() {
    return innerCode != null ? innerCode : code;
  }

  Map<String, Object> body() {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", getMessage());
    if (innerCode != null) {
      Map<String, Object> inner = new LinkedHashMap<>();
      inner.put("code", innerCode);
      error.put("innererror", inner);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", error);
    return body;
  }
}
