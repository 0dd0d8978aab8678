package dev.cmk.api;

import org.jspecify.annotations.Nullable;

/**
 * Root of every exception cmk throws on purpose. Unchecked, so callers catch what they can act on.
 *
 * <p>Subtypes say what happened and what to do about it:
 *
 * <ul>
 *   <li>{@link InvalidCiphertextException}: the envelope is malformed, tampered, truncated or was
 *       decrypted with the wrong associated data. One uniform message, no detail (no oracle).
 *   <li>{@link UnsupportedFormatException}: a well-formed envelope of a format version or suite this
 *       build does not understand (written by a newer cmk).
 *   <li>{@link KeyProviderException} and its subtypes: the key-encryption key could not be used
 *       (not found, access denied, provider unavailable).
 *   <li>{@link KeyPolicyViolationException}: the key does not meet the configured key policy.
 *   <li>{@link KeyAccessSuspendedException}: the loss-of-access guard is open; servers map it to
 *       HTTP 500.
 * </ul>
 *
 * <p><b>Security guarantee:</b> no message of any cmk exception contains key material or
 * plaintext. Vendor exceptions appear only as the {@link #getCause() cause}.
 */
public abstract class CmkException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what went wrong, without secrets
   */
  protected CmkException(String message) {
    super(message);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param message what went wrong, without secrets
   * @param cause the underlying failure, or {@code null}
   */
  protected CmkException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
