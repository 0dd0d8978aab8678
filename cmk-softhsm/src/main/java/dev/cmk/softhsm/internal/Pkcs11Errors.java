package dev.cmk.softhsm.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_ARGUMENTS_BAD;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_ATTRIBUTE_READ_ONLY;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_CRYPTOKI_NOT_INITIALIZED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_DATA_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_DATA_LEN_RANGE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_DEVICE_ERROR;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_DEVICE_REMOVED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_ENCRYPTED_DATA_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_ENCRYPTED_DATA_LEN_RANGE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_FUNCTION_NOT_SUPPORTED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_FUNCTION_REJECTED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_KEY_FUNCTION_NOT_PERMITTED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_KEY_HANDLE_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_KEY_SIZE_RANGE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_KEY_TYPE_INCONSISTENT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_MECHANISM_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_MECHANISM_PARAM_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_OBJECT_HANDLE_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_EXPIRED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_INCORRECT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_LEN_RANGE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_LOCKED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_SESSION_CLOSED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_SESSION_HANDLE_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_SESSION_READ_ONLY;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_TOKEN_NOT_PRESENT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_TOKEN_NOT_RECOGNIZED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_TOKEN_WRITE_PROTECTED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_USER_NOT_LOGGED_IN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_USER_PIN_NOT_INITIALIZED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_USER_TYPE_INVALID;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.jspecify.annotations.Nullable;

/**
 * Classifies PKCS#11 return values the way the core's loss-of-access guard needs them.
 *
 * <table>
 *   <caption>Classification</caption>
 *   <tr><th>Return value</th><th>Result</th></tr>
 *   <tr><td>{@code CKR_KEY_FUNCTION_NOT_PERMITTED}</td>
 *       <td>{@link KeyAccessDeniedException}, {@code KEY_DISABLED}: the token checks only {@code
 *       CKA_DECRYPT} for it, and a private key with {@code CKA_DECRYPT} false is how this module
 *       disables a version (and what {@code describe} reports as disabled). Whose key it is decides
 *       what the guard does, not the reason: a denial for a key other than the configured one
 *       fails that request only.</td></tr>
 *   <tr><td>{@code CKR_MECHANISM_INVALID}, {@code CKR_MECHANISM_PARAM_INVALID},
 *       {@code CKR_KEY_TYPE_INCONSISTENT}, {@code CKR_FUNCTION_REJECTED}, read-only token or
 *       attribute</td><td>{@link KeyAccessDeniedException}, {@code OPERATION_NOT_PERMITTED}</td></tr>
 *   <tr><td>{@code CKR_PIN_*}, {@code CKR_USER_PIN_NOT_INITIALIZED}, {@code
 *       CKR_USER_TYPE_INVALID}, {@code CKR_USER_ANOTHER_ALREADY_LOGGED_IN}</td>
 *       <td>{@link KeyAccessDeniedException}, {@code IDENTITY_NOT_AUTHORIZED}</td></tr>
 *   <tr><td>{@code CKR_OBJECT_HANDLE_INVALID}, {@code CKR_KEY_HANDLE_INVALID}</td>
 *       <td>{@link KeyNotFoundException} (after one new search for the object)</td></tr>
 *   <tr><td>{@code CKR_SESSION_HANDLE_INVALID}, {@code CKR_SESSION_CLOSED}, {@code
 *       CKR_DEVICE_REMOVED}, {@code CKR_TOKEN_NOT_PRESENT}, {@code CKR_TOKEN_NOT_RECOGNIZED},
 *       {@code CKR_DEVICE_ERROR}, {@code CKR_USER_NOT_LOGGED_IN}, {@code
 *       CKR_CRYPTOKI_NOT_INITIALIZED}</td>
 *       <td>session lost: sessions are re-opened and the operation retried once, then {@link
 *       KeyProviderUnavailableException}</td></tr>
 *   <tr><td>anything else</td><td>{@link KeyProviderUnavailableException}</td></tr>
 * </table>
 *
 * <p>Messages name the operation and the return value's name, never data.
 */
public final class Pkcs11Errors {
  private Pkcs11Errors() {}

  /** Whether the session or the login behind it is gone, so sessions must be re-opened. */
  public static boolean isSessionLost(long code) {
    return code == CKR_SESSION_HANDLE_INVALID
        || code == CKR_SESSION_CLOSED
        || code == CKR_DEVICE_REMOVED
        || code == CKR_TOKEN_NOT_PRESENT
        || code == CKR_TOKEN_NOT_RECOGNIZED
        || code == CKR_DEVICE_ERROR
        || code == CKR_USER_NOT_LOGGED_IN
        || code == CKR_CRYPTOKI_NOT_INITIALIZED;
  }

  /** Whether the PIN or the user was refused at login. */
  public static boolean isLoginRefused(long code) {
    return isPinRefused(code)
        || code == CKR_USER_PIN_NOT_INITIALIZED
        || code == CKR_USER_TYPE_INVALID
        || code == CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
  }

  /**
   * Whether a refused login means this PIN must not be offered again soon: wrong, malformed, locked
   * or expired (each further try with a wrong PIN counts toward locking the user PIN).
   */
  public static boolean isPinRefused(long code) {
    return code == CKR_PIN_INCORRECT
        || code == CKR_PIN_INVALID
        || code == CKR_PIN_LEN_RANGE
        || code == CKR_PIN_EXPIRED
        || code == CKR_PIN_LOCKED;
  }

  /** Whether {@code C_GetMechanismInfo} failed because the token does not know the mechanism. */
  public static boolean isMechanismAbsent(long code) {
    return code == CKR_MECHANISM_INVALID;
  }

  /**
   * Whether a failure of the native OAEP probe's {@code C_DecryptInit} or trial {@code C_Decrypt}
   * (of a ciphertext known to be valid) is a definite "not supported", which may be remembered
   * for the provider's lifetime: the token refuses the mechanism or its parameters, or rejects
   * valid OAEP. Anything else ({@code CKR_GENERAL_ERROR}, {@code CKR_FUNCTION_FAILED}, device and
   * session errors, &hellip;) says nothing about the mechanism; the probe is then run again later.
   * Refusals that concern the probe's key ({@link #isKeySpecific}) are not definite either.
   */
  public static boolean isProbeAnswerDefinite(long code) {
    return !isKeySpecific(code) && (isMechanismUnsupported(code) || isCiphertextRejected(code));
  }

  /**
   * Whether a refusal of an operation concerns the key rather than the token's mechanism: the key's
   * type or size does not fit it, or the key does not permit the function. A probe that meets one
   * learns nothing about the token.
   */
  public static boolean isKeySpecific(long code) {
    return code == CKR_KEY_TYPE_INCONSISTENT
        || code == CKR_KEY_SIZE_RANGE
        || code == CKR_KEY_FUNCTION_NOT_PERMITTED;
  }

  /** Whether an object handle no longer names an object (deleted, or from an old login). */
  public static boolean isHandleInvalid(long code) {
    return code == CKR_OBJECT_HANDLE_INVALID || code == CKR_KEY_HANDLE_INVALID;
  }

  /** Whether the token does not offer a mechanism or these parameters for it. */
  public static boolean isMechanismUnsupported(long code) {
    return code == CKR_MECHANISM_INVALID
        || code == CKR_MECHANISM_PARAM_INVALID
        || code == CKR_ARGUMENTS_BAD
        || code == CKR_FUNCTION_NOT_SUPPORTED
        || code == CKR_KEY_TYPE_INCONSISTENT
        || code == CKR_KEY_SIZE_RANGE;
  }

  /** Whether a failed {@code C_Decrypt} (after a successful init) means the input is bad. */
  public static boolean isCiphertextRejected(long code) {
    return code == CKR_ENCRYPTED_DATA_INVALID
        || code == CKR_ENCRYPTED_DATA_LEN_RANGE
        || code == CKR_DATA_INVALID
        || code == CKR_DATA_LEN_RANGE;
  }

  /** The symbolic name of a return value, e.g. {@code CKR_PIN_INCORRECT}. */
  public static String name(long code) {
    String name = PKCS11Constants.ckrCodeToName(code);
    return name == null ? "CKR 0x" + Long.toHexString(code) : name;
  }

  /**
   * Converts a PKCS#11 failure into the cmk exception for it (see the class comment).
   *
   * @param e the failure, kept as the cause
   * @param operation what was attempted, e.g. {@code "unwrap"}
   * @param reference the key, or {@code null}
   * @return the exception to throw
   */
  public static KeyProviderException toCmk(
      PKCS11Exception e, String operation, @Nullable KeyReference reference) {
    long code = e.getErrorCode();
    String what = "PKCS#11 " + operation + " failed: " + name(code);
    if (code == CKR_KEY_FUNCTION_NOT_PERMITTED) {
      return new KeyAccessDeniedException(
          what + " (the key version is disabled)",
          KeyAccessDeniedException.Reason.KEY_DISABLED,
          reference,
          e);
    }
    if (code == CKR_MECHANISM_INVALID
        || code == CKR_MECHANISM_PARAM_INVALID
        || code == CKR_KEY_TYPE_INCONSISTENT
        || code == CKR_FUNCTION_REJECTED
        || code == CKR_ATTRIBUTE_READ_ONLY
        || code == CKR_TOKEN_WRITE_PROTECTED
        || code == CKR_SESSION_READ_ONLY) {
      return new KeyAccessDeniedException(
          what, KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED, reference, e);
    }
    if (isLoginRefused(code)) {
      return new KeyAccessDeniedException(
          what + " (check the configured PIN source)",
          KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED,
          reference,
          e);
    }
    if (isHandleInvalid(code)) {
      return new KeyNotFoundException(what + " (the key object is gone)", reference, e);
    }
    return new KeyProviderUnavailableException(what, reference, e);
  }
}
